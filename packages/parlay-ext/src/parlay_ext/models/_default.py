"""Choosing a model client from the environment: a provider when a key is set, else offline."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import CancellationToken, Component
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
)
from parlay_ext.models._common import announce

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = [
    "DEFAULT_ANTHROPIC_MODEL",
    "DEFAULT_OPENAI_MODEL",
    "DefaultChatCompletionClient",
    "DefaultChatCompletionClientConfig",
    "default_model_client",
]

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
"""The model :func:`default_model_client` uses when ``OPENAI_API_KEY`` is set."""

DEFAULT_ANTHROPIC_MODEL = "claude-3-5-haiku-latest"
"""The model :func:`default_model_client` uses when ``ANTHROPIC_API_KEY`` is set."""


def default_model_client(
    *, environ: Mapping[str, str] | None = None, quiet: bool = False, **kwargs: Any
) -> ChatCompletionClient:
    """Return a model client chosen from the environment, and say which one.

    The choice, in order:

    1. ``OPENAI_API_KEY`` is set: :class:`~parlay_ext.models.openai.OpenAIChatCompletionClient`
       with ``PARLAY_OPENAI_MODEL`` (default ``gpt-4o-mini``);
    2. ``ANTHROPIC_API_KEY`` is set:
       :class:`~parlay_ext.models.anthropic.AnthropicChatCompletionClient` with
       ``PARLAY_ANTHROPIC_MODEL`` (default ``claude-3-5-haiku-latest``);
    3. otherwise the embedded offline model,
       :class:`~parlay_ext.models.llama_cpp.LlamaCppChatCompletionClient` (SmolLM2-135M-Instruct
       unless ``PARLAY_GGUF_PATH`` names another GGUF file).

    ``PARLAY_MODEL_CLIENT=openai|anthropic|local`` forces one of the three regardless of keys
    (``local`` keeps a run offline on a machine that has provider keys set).

    Args:
        environ: Where to read the variables (default ``os.environ``).
        quiet: Log the choice only, without printing it to standard error.
        **kwargs: Passed to the chosen client's constructor.

    Returns:
        The chosen client.

    Raises:
        ImportError: The chosen client's extra is not installed; the message names it.
        ValueError: ``PARLAY_MODEL_CLIENT`` names no known client.
    """
    env = os.environ if environ is None else environ
    forced = env.get("PARLAY_MODEL_CLIENT", "").strip().lower()
    if forced not in ("", "openai", "anthropic", "local"):
        raise ValueError(
            f"PARLAY_MODEL_CLIENT={forced!r} is not one of 'openai', 'anthropic', 'local'."
        )
    if forced == "openai" or (not forced and env.get("OPENAI_API_KEY")):
        from parlay_ext.models.openai import OpenAIChatCompletionClient

        model = env.get("PARLAY_OPENAI_MODEL", DEFAULT_OPENAI_MODEL)
        announce(f"Using OpenAI ({model}): OPENAI_API_KEY is set.", quiet=quiet)
        kwargs.setdefault("model", model)
        return OpenAIChatCompletionClient(**kwargs)
    if forced == "anthropic" or (not forced and env.get("ANTHROPIC_API_KEY")):
        from parlay_ext.models.anthropic import AnthropicChatCompletionClient

        model = env.get("PARLAY_ANTHROPIC_MODEL", DEFAULT_ANTHROPIC_MODEL)
        announce(f"Using Anthropic ({model}): ANTHROPIC_API_KEY is set.", quiet=quiet)
        kwargs.setdefault("model", model)
        return AnthropicChatCompletionClient(**kwargs)
    from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient

    path = env.get("PARLAY_GGUF_PATH")
    if path:
        kwargs.setdefault("model_path", path)
    kwargs.setdefault("quiet", quiet)
    why = "forced by PARLAY_MODEL_CLIENT" if forced else "no OPENAI_API_KEY or ANTHROPIC_API_KEY"
    announce(f"Using the embedded offline model (llama.cpp, {why}).", quiet=quiet)
    return LlamaCppChatCompletionClient(**kwargs)


class DefaultChatCompletionClientConfig(BaseModel):
    """The config of :class:`DefaultChatCompletionClient`: nothing but the choice "default"."""


class DefaultChatCompletionClient(
    ChatCompletionClient, Component[DefaultChatCompletionClientConfig]
):
    """The model client :func:`default_model_client` chooses, as a component.

    A config whose provider is ``"default"`` (the ``default`` entry point of
    ``parlay.model_clients``) loads as this class, so a team saved with it picks its model on
    the machine that loads it: OpenAI or Anthropic when their key is set, else the embedded
    offline model. Every call goes to the chosen client, :attr:`client`; it dumps back as
    ``"default"``, not as the client chosen here.

    Args:
        environ: Where to read the variables (default ``os.environ``).
        quiet: Log the choice only, without printing it to standard error.
        **kwargs: Passed to the chosen client's constructor (not kept in the dumped config).
    """

    component_config_schema = DefaultChatCompletionClientConfig
    component_provider_override = "parlay_ext.models.DefaultChatCompletionClient"

    def __init__(
        self, *, environ: Mapping[str, str] | None = None, quiet: bool = False, **kwargs: Any
    ) -> None:
        self.client = default_model_client(environ=environ, quiet=quiet, **kwargs)

    @property
    def model_info(self) -> ModelInfo:
        """The chosen client's model info."""
        return self.client.model_info

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: Union[Tool, Literal["auto", "required", "none"]] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Ask the chosen client."""
        return await self.client.create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: Union[Tool, Literal["auto", "required", "none"]] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        """Stream from the chosen client."""
        return self.client.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    async def close(self) -> None:
        """Close the chosen client."""
        await self.client.close()

    def actual_usage(self) -> RequestUsage:
        """The chosen client's usage of its last call."""
        return self.client.actual_usage()

    def total_usage(self) -> RequestUsage:
        """The chosen client's total usage."""
        return self.client.total_usage()

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """The chosen client's token count."""
        return self.client.count_tokens(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """The chosen client's remaining tokens."""
        return self.client.remaining_tokens(messages, tools=tools)

    def _to_config(self) -> DefaultChatCompletionClientConfig:
        return DefaultChatCompletionClientConfig()

    @classmethod
    def _from_config(cls, config: DefaultChatCompletionClientConfig) -> Self:
        return cls()
