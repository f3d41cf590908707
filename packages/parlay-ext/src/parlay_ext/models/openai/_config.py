"""Configuration of the OpenAI clients: connection settings and default request arguments.

The field names are AutoGen's, so a config dumped by AutoGen's OpenAI client loads here.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel, SecretStr

from parlay_ext.models.openai._transform import model_class, response_format

__all__ = [
    "CREATE_ARG_NAMES",
    "AzureOpenAIClientConfigurationConfigModel",
    "BaseOpenAIClientConfigurationConfigModel",
    "CreateArgumentsConfigModel",
    "OpenAIClientConfigurationConfigModel",
    "config_create_args",
    "merge_create_args",
    "split_create_args",
]


class CreateArgumentsConfigModel(BaseModel):
    """Request arguments a client sends with every call unless a call overrides them.

    Each is the chat-completions parameter of the same name; ``None`` leaves it to the server.
    """

    frequency_penalty: float | None = None
    logit_bias: dict[str, int] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = None
    presence_penalty: float | None = None
    response_format: dict[str, Any] | None = None
    seed: int | None = None
    stop: Union[str, list[str], None] = None
    temperature: float | None = None
    top_p: float | None = None
    user: str | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    stream_options: dict[str, Any] | None = None


CREATE_ARG_NAMES: frozenset[str] = frozenset(CreateArgumentsConfigModel.model_fields)
"""The request arguments a client accepts as defaults at construction."""


class BaseOpenAIClientConfigurationConfigModel(CreateArgumentsConfigModel):
    """Settings shared by the OpenAI and Azure OpenAI clients.

    Attributes:
        model: The model name (for Azure, the model behind the deployment).
        api_key: The API key; when absent the SDK reads its environment variable.
        timeout: Seconds to wait for a response before giving up (SDK default: 600).
        max_retries: Retries on connection errors, 408, 409, 429 and 5xx (SDK default: 2).
        model_info: What the model supports; needed only for models Parlay does not know.
        model_capabilities: The deprecated older form of ``model_info`` (AutoGen's).
        default_headers: HTTP headers sent with every request.
        include_name_in_message: Send each user message's source as its ``name``.
        add_name_prefixes: Start each user message's text with ``"<source> said:"``.
    """

    model: str
    api_key: SecretStr | None = None
    timeout: float | None = None
    max_retries: int | None = None
    model_info: dict[str, Any] | None = None
    model_capabilities: dict[str, Any] | None = None
    default_headers: dict[str, str] | None = None
    include_name_in_message: bool = True
    add_name_prefixes: bool | None = None


class OpenAIClientConfigurationConfigModel(BaseOpenAIClientConfigurationConfigModel):
    """Configuration of :class:`OpenAIChatCompletionClient`.

    Attributes:
        organization: The OpenAI organization id.
        base_url: The API's root URL; set it to reach an OpenAI-compatible server.
    """

    organization: str | None = None
    base_url: str | None = None


class AzureOpenAIClientConfigurationConfigModel(BaseOpenAIClientConfigurationConfigModel):
    """Configuration of :class:`AzureOpenAIChatCompletionClient`.

    Attributes:
        azure_endpoint: The resource endpoint, ``https://<resource>.openai.azure.com/``.
        azure_deployment: The deployment name.
        api_version: The Azure OpenAI API version, e.g. ``"2024-10-21"``.
        azure_ad_token: A Microsoft Entra ID token, instead of an API key.
    """

    azure_endpoint: str
    azure_deployment: str | None = None
    api_version: str
    azure_ad_token: SecretStr | None = None


def split_create_args(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Validate default request arguments given to a client's constructor.

    Raises:
        TypeError: An argument is not a known request argument (likely a typo).
    """
    unknown = sorted(set(kwargs) - CREATE_ARG_NAMES)
    if unknown:
        raise TypeError(
            f"Unknown argument(s) {', '.join(unknown)}. Default request arguments are: "
            f"{', '.join(sorted(CREATE_ARG_NAMES))}. Pass any other provider argument per "
            "call with extra_create_args={...}."
        )
    return {key: value for key, value in kwargs.items() if value is not None}


def config_create_args(create: Mapping[str, Any]) -> dict[str, Any]:
    """Return default request arguments in the form a config saves.

    A pydantic model class given as ``response_format`` (AutoGen's older way to ask for
    structured output) is saved as the JSON-schema response format it is sent as, so a
    loaded client makes the same requests.
    """
    saved = dict(create)
    cls = model_class(saved.get("response_format"))
    if cls is not None:
        saved["response_format"] = response_format(cls)
    return saved


def merge_create_args(
    defaults: Mapping[str, Any],
    extra: Mapping[str, Any],
    json_output: bool | type[BaseModel] | None,
) -> tuple[dict[str, Any], bool | type[BaseModel] | None]:
    """Merge a call's ``extra_create_args`` over the defaults and settle the output format.

    A pydantic class in ``response_format`` (from the constructor or the call) asks for
    structured output, as ``json_output=<class>`` does; ``json_output`` set to JSON mode or a
    class replaces any ``response_format`` dict, as in AutoGen.

    Returns:
        The merged arguments without ``response_format`` when ``json_output`` decides the
        format, and the effective ``json_output``.

    Raises:
        ValueError: Both ``response_format`` and ``json_output`` are pydantic classes.
    """
    merged = {**defaults, **extra}
    legacy = model_class(merged.get("response_format"))
    if legacy is not None:
        if model_class(json_output) is not None:
            raise ValueError(
                "response_format and json_output are both pydantic model classes; give the "
                "structured-output class once, as json_output=... (or output_content_type=... "
                "on an AssistantAgent)."
            )
        if model_class(extra.get("response_format")) is not None:
            warnings.warn(
                "A pydantic class as response_format is deprecated (as in AutoGen); pass it as "
                "json_output=... to create() or create_stream() instead.",
                DeprecationWarning,
                stacklevel=4,
            )
        del merged["response_format"]
        return merged, legacy
    if json_output is not None and json_output is not False and "response_format" in merged:
        wanted = model_class(json_output)
        if wanted is not None:
            warnings.warn(
                f"response_format {merged['response_format']!r} is ignored: json_output asks "
                f"for structured output as {wanted.__name__}.",
                UserWarning,
                stacklevel=4,
            )
        del merged["response_format"]
    return merged, json_output
