"""A model context that shows the model the whole conversation."""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._component_config import Component
from parlay_core.model_context._chat_completion_context import ChatCompletionContext
from parlay_core.models import LLMMessage

__all__ = ["UnboundedChatCompletionContext", "UnboundedChatCompletionContextConfig"]


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
