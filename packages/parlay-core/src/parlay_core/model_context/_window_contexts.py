"""Model contexts that window a conversation by message count: all, the latest, or head and tail."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._component_config import Component
from parlay_core._exceptions import ComponentConfigError
from parlay_core.model_context._chat_completion_context import (
    ChatCompletionContext,
    drop_leading_function_results,
)
from parlay_core.models import AssistantMessage, LLMMessage, UserMessage

__all__ = [
    "BufferedChatCompletionContext",
    "BufferedChatCompletionContextConfig",
    "HeadAndTailChatCompletionContext",
    "HeadAndTailChatCompletionContextConfig",
    "UnboundedChatCompletionContext",
    "UnboundedChatCompletionContextConfig",
]


class UnboundedChatCompletionContextConfig(BaseModel):
    """Configuration of :class:`UnboundedChatCompletionContext`.

    Attributes:
        initial_messages: Messages the context starts with.
    """

    initial_messages: list[LLMMessage] | None = None


class UnboundedChatCompletionContext(
    ChatCompletionContext, Component[UnboundedChatCompletionContextConfig]
):
    """Returns every message, oldest first, with no limit.

    Args:
        initial_messages: Messages the context starts with.
    """

    component_config_schema = UnboundedChatCompletionContextConfig
    component_provider_override = "parlay_core.model_context.UnboundedChatCompletionContext"

    async def get_messages(self) -> list[LLMMessage]:
        """Return every message."""
        return list(self._messages)

    def _to_config(self) -> UnboundedChatCompletionContextConfig:
        return UnboundedChatCompletionContextConfig(initial_messages=self._initial_messages)

    @classmethod
    def _from_config(cls, config: UnboundedChatCompletionContextConfig) -> Self:
        return cls(initial_messages=config.initial_messages)


class BufferedChatCompletionContextConfig(BaseModel):
    """Configuration of :class:`BufferedChatCompletionContext`.

    Attributes:
        buffer_size: How many of the latest messages to show.
        initial_messages: Messages the context starts with.
    """

    buffer_size: int
    initial_messages: list[LLMMessage] | None = None


class BufferedChatCompletionContext(
    ChatCompletionContext, Component[BufferedChatCompletionContextConfig]
):
    """Returns the last ``buffer_size`` messages.

    If the window would start with a :class:`~parlay_core.models.FunctionExecutionResultMessage`
    whose function calls fell outside it, those results are left out too, because providers
    reject a tool result that does not follow its call. The window may then hold fewer than
    ``buffer_size`` messages.

    Args:
        buffer_size: How many of the latest messages to show; at least 1.
        initial_messages: Messages the context starts with.

    Raises:
        ComponentConfigError: ``buffer_size`` is less than 1.
    """

    component_config_schema = BufferedChatCompletionContextConfig
    component_provider_override = "parlay_core.model_context.BufferedChatCompletionContext"

    def __init__(
        self, buffer_size: int, initial_messages: Sequence[LLMMessage] | None = None
    ) -> None:
        super().__init__(initial_messages)
        if buffer_size <= 0:
            raise ComponentConfigError(
                f"buffer_size must be at least 1, got {buffer_size}. Pass the number of recent "
                "messages the model should see."
            )
        self._buffer_size = buffer_size

    async def get_messages(self) -> list[LLMMessage]:
        """Return the last ``buffer_size`` messages, without leading orphaned results."""
        return drop_leading_function_results(self._messages[-self._buffer_size :])

    def _to_config(self) -> BufferedChatCompletionContextConfig:
        return BufferedChatCompletionContextConfig(
            buffer_size=self._buffer_size, initial_messages=self._initial_messages
        )

    @classmethod
    def _from_config(cls, config: BufferedChatCompletionContextConfig) -> Self:
        return cls(buffer_size=config.buffer_size, initial_messages=config.initial_messages)


class HeadAndTailChatCompletionContextConfig(BaseModel):
    """Configuration of :class:`HeadAndTailChatCompletionContext`.

    Attributes:
        head_size: How many of the first messages to show.
        tail_size: How many of the last messages to show.
        initial_messages: Messages the context starts with.
    """

    head_size: int
    tail_size: int
    initial_messages: list[LLMMessage] | None = None


class HeadAndTailChatCompletionContext(
    ChatCompletionContext, Component[HeadAndTailChatCompletionContextConfig]
):
    """Returns the first ``head_size`` and the last ``tail_size`` messages.

    When messages are left out between the two, a
    ``UserMessage(content="Skipped N messages.", source="System")`` stands in for them, so the
    model knows the conversation has a gap. Function calls are never split from their results:
    a head that would end with a function-call request drops it, and a tail that would start
    with results whose calls were skipped drops them; the note counts those as skipped too.
    When everything fits, every message is returned unchanged.

    Args:
        head_size: How many of the first messages to show; at least 1.
        tail_size: How many of the last messages to show; at least 1.
        initial_messages: Messages the context starts with.

    Raises:
        ComponentConfigError: ``head_size`` or ``tail_size`` is less than 1.
    """

    component_config_schema = HeadAndTailChatCompletionContextConfig
    component_provider_override = "parlay_core.model_context.HeadAndTailChatCompletionContext"

    def __init__(
        self, head_size: int, tail_size: int, initial_messages: Sequence[LLMMessage] | None = None
    ) -> None:
        super().__init__(initial_messages)
        for name, value in (("head_size", head_size), ("tail_size", tail_size)):
            if value <= 0:
                raise ComponentConfigError(
                    f"{name} must be at least 1, got {value}. For a window over the latest "
                    "messages only, use BufferedChatCompletionContext."
                )
        self._head_size = head_size
        self._tail_size = tail_size

    async def get_messages(self) -> list[LLMMessage]:
        """Return the head, a note on how many messages were skipped, and the tail."""
        messages = self._messages
        if len(messages) <= self._head_size + self._tail_size:
            return list(messages)
        head = messages[: self._head_size]
        last = head[-1]
        if isinstance(last, AssistantMessage) and isinstance(last.content, list):
            head = head[:-1]
        tail = drop_leading_function_results(messages[-self._tail_size :])
        skipped = len(messages) - len(head) - len(tail)
        note = UserMessage(content=f"Skipped {skipped} messages.", source="System")
        return [*head, note, *tail]

    def _to_config(self) -> HeadAndTailChatCompletionContextConfig:
        return HeadAndTailChatCompletionContextConfig(
            head_size=self._head_size,
            tail_size=self._tail_size,
            initial_messages=self._initial_messages,
        )

    @classmethod
    def _from_config(cls, config: HeadAndTailChatCompletionContextConfig) -> Self:
        return cls(
            head_size=config.head_size,
            tail_size=config.tail_size,
            initial_messages=config.initial_messages,
        )
