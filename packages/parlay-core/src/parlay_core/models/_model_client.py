"""The interface every model client implements."""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import ComponentBase
from parlay_core.models._model_info import ModelCapabilities, ModelInfo
from parlay_core.models._types import CreateResult, LLMMessage, RequestUsage

if TYPE_CHECKING:
    # Annotations only: the tools layer may itself import models, so no runtime import here.
    from parlay_core.tools import Tool, ToolSchema

__all__ = ["ChatCompletionClient"]

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})


class ChatCompletionClient(ComponentBase[BaseModel], ABC):
    """A client for a chat-completion model: the one interface agents talk to models through.

    Implementations wrap a provider (OpenAI, Anthropic, a local server, an embedded model, a
    scripted replay). They track token usage across calls and describe the model through
    :attr:`model_info`. A client is a component (``component_type = "model"``), so concrete
    clients can be dumped to and loaded from configuration.
    """

    component_type = "model"

    @abstractmethod
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
        """Send the conversation to the model and return its complete reply.

        Args:
            messages: The conversation so far.
            tools: The tools the model may call.
            tool_choice: ``"auto"`` (the model decides), ``"required"`` (it must call a tool),
                ``"none"`` (it must not), or one tool it must call.
            json_output: ``True`` for JSON mode, a pydantic model class for structured output
                in that schema, or ``None``/``False`` for plain text.
            extra_create_args: Provider-specific arguments passed through unchanged.
            cancellation_token: Cancels the request.

        Returns:
            The reply, its finish reason and its token usage.
        """

    @abstractmethod
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
        """Like :meth:`create`, but yield the reply text in chunks as it arrives.

        The arguments are those of :meth:`create`. The generator yields ``str`` chunks and ends
        with exactly one :class:`CreateResult` holding the whole reply.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the client's connections and resources."""

    @abstractmethod
    def actual_usage(self) -> RequestUsage:
        """Return the token usage of the most recent call."""

    @abstractmethod
    def total_usage(self) -> RequestUsage:
        """Return the token usage summed over every call so far."""

    @abstractmethod
    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Count (or estimate) the tokens ``messages`` and ``tools`` take in a prompt."""

    @abstractmethod
    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Return how many tokens of the context window are left after ``messages`` and ``tools``.

        Negative when the prompt does not fit.
        """

    @property
    @abstractmethod
    def model_info(self) -> ModelInfo:
        """What the model supports (vision, function calling, JSON output, family, ...)."""

    @property
    def capabilities(self) -> ModelCapabilities:
        """Deprecated: the first three flags of :attr:`model_info`; use :attr:`model_info`."""
        warnings.warn(
            "ChatCompletionClient.capabilities is deprecated; use model_info instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        info = self.model_info
        return ModelCapabilities(
            vision=info["vision"],
            function_calling=info["function_calling"],
            json_output=info["json_output"],
        )
