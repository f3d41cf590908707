"""A model context that shows the model only the most recent messages."""

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
from parlay_core.models import LLMMessage

__all__ = ["BufferedChatCompletionContext", "BufferedChatCompletionContextConfig"]


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
