"""Configuration of the Anthropic client; field names follow AutoGen's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from pydantic import BaseModel, SecretStr

__all__ = [
    "CREATE_ARG_NAMES",
    "AnthropicClientConfigurationConfigModel",
    "CreateArgumentsConfigModel",
    "split_create_args",
]


class CreateArgumentsConfigModel(BaseModel):
    """Request arguments sent with every call unless a call overrides them.

    Each is the Messages API parameter of the same name; ``None`` leaves it to the API.
    ``max_tokens`` is required by the API, so it defaults to 4096.
    """

    max_tokens: int = 4096
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: Union[list[str], None] = None
    metadata: dict[str, Any] | None = None
    thinking: dict[str, Any] | None = None


CREATE_ARG_NAMES: frozenset[str] = frozenset(CreateArgumentsConfigModel.model_fields)
"""The request arguments the client accepts as defaults at construction."""


class AnthropicClientConfigurationConfigModel(CreateArgumentsConfigModel):
    """Configuration of :class:`AnthropicChatCompletionClient`.

    Attributes:
        model: The Claude model, e.g. ``"claude-sonnet-4-20250514"``.
        api_key: The API key; when absent the SDK reads ``ANTHROPIC_API_KEY``.
        base_url: The API's root URL (a proxy or gateway).
        timeout: Seconds to wait for a response.
        max_retries: Retries on connection errors, 408, 409, 429 and 5xx (SDK default 2).
        model_info: What the model supports; needed only for models Parlay does not know.
        default_headers: HTTP headers sent with every request.
    """

    model: str
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    model_info: dict[str, Any] | None = None
    default_headers: dict[str, str] | None = None


def split_create_args(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Validate default request arguments given to the constructor.

    Raises:
        TypeError: An argument is not a known request argument.
    """
    unknown = sorted(set(kwargs) - CREATE_ARG_NAMES)
    if unknown:
        raise TypeError(
            f"Unknown argument(s) {', '.join(unknown)}. Default request arguments are: "
            f"{', '.join(sorted(CREATE_ARG_NAMES))}. Pass any other provider argument per "
            "call with extra_create_args={...}."
        )
    return {key: value for key, value in kwargs.items() if value is not None}
