"""A model client that answers with the last thing the user said."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, Union

from pydantic import BaseModel
from typing_extensions import Self

# Component is re-exported by parlay_core; the private path keeps this working until then.
from parlay_core import CancellationToken, Component
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    UserMessage,
    approximate_message_tokens,
)
from parlay_core.tools import Tool, ToolSchema

__all__ = ["EchoChatCompletionClient", "EchoClientConfig"]

_CONTEXT_WINDOW = 8192
_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})


class EchoClientConfig(BaseModel):
    """Config of :class:`EchoChatCompletionClient`.

    Attributes:
        prefix: Text put in front of every answer.
    """

    prefix: str = ""


def _last_user_text(messages: Sequence[LLMMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, UserMessage):
            if isinstance(message.content, str):
                return message.content
            # Images have no text to echo; say where they were instead of dropping them.
            return " ".join(
                part if isinstance(part, str) else "[image]" for part in message.content
            )
    return ""


class EchoChatCompletionClient(ChatCompletionClient, Component[EchoClientConfig]):
    """A model client that answers with the last user message, for demos and tests.

    It never calls tools and needs no network.

    Args:
        prefix: Text put in front of every answer.
    """

    component_config_schema = EchoClientConfig
    component_provider_override = "parlay_echo.EchoChatCompletionClient"

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._last_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._total = RequestUsage(prompt_tokens=0, completion_tokens=0)

    def _answer(
        self, messages: Sequence[LLMMessage], cancellation_token: CancellationToken | None
    ) -> CreateResult:
        if cancellation_token is not None and cancellation_token.is_cancelled():
            raise asyncio.CancelledError("the echo request was cancelled before it started")
        text = self._prefix + _last_user_text(messages)
        usage = RequestUsage(
            prompt_tokens=approximate_message_tokens(messages),
            completion_tokens=approximate_message_tokens(text),
        )
        self._last_usage = usage
        self._total = RequestUsage(
            self._total.prompt_tokens + usage.prompt_tokens,
            self._total.completion_tokens + usage.completion_tokens,
        )
        return CreateResult(finish_reason="stop", content=text, usage=usage, cached=False)

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
        """Answer with the last user message (after the prefix)."""
        return self._answer(messages, cancellation_token)

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: Union[Tool, Literal["auto", "required", "none"]] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        """Yield the answer word by word (spaces kept), then the complete result."""
        result = self._answer(messages, cancellation_token)
        assert isinstance(result.content, str)
        words = result.content.split(" ")
        for index, word in enumerate(words):
            chunk = word if index == len(words) - 1 else word + " "
            if chunk:
                yield chunk
        yield result

    async def close(self) -> None:
        """Nothing to release."""

    def actual_usage(self) -> RequestUsage:
        """Return the usage of the most recent call."""
        return self._last_usage

    def total_usage(self) -> RequestUsage:
        """Return the usage summed over every call."""
        return self._total

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Estimate the prompt's tokens."""
        return approximate_message_tokens(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Return what is left of an 8,192-token window."""
        return _CONTEXT_WINDOW - self.count_tokens(messages, tools=tools)

    @property
    def model_info(self) -> ModelInfo:
        """An echo can do nothing but echo."""
        return ModelInfo(
            vision=False,
            function_calling=False,
            json_output=False,
            family=ModelFamily.UNKNOWN,
            structured_output=False,
        )

    def _to_config(self) -> EchoClientConfig:
        return EchoClientConfig(prefix=self._prefix)

    @classmethod
    def _from_config(cls, config: EchoClientConfig) -> Self:
        return cls(prefix=config.prefix)
