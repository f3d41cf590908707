"""The base class of model contexts: what part of a conversation an agent shows its model."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from parlay_core._component_config import ComponentBase
from parlay_core._exceptions import StateError
from parlay_core.models import FunctionExecutionResultMessage, LLMMessage

__all__ = ["ChatCompletionContext", "ChatCompletionContextState"]


class ChatCompletionContextState(BaseModel):
    """The saved state of a model context: ``{"messages": [...]}``.

    Attributes:
        messages: Every message the context holds, not only the ones it currently shows.
    """

    messages: list[LLMMessage] = Field(default_factory=list[LLMMessage])


class ChatCompletionContext(ComponentBase[BaseModel], ABC):
    """Holds a conversation and decides which of its messages go to the model.

    Every message added is kept; subclasses differ only in :meth:`get_messages`, which returns
    a window over them (everything, the last *n*, head and tail, a token budget). Keeping the
    full history means a state saved with one context loads into another.

    Args:
        initial_messages: Messages the context starts with (and returns to on :meth:`clear`
            only if they are added again).
    """

    component_type = "chat_completion_context"

    def __init__(self, initial_messages: Sequence[LLMMessage] | None = None) -> None:
        self._initial_messages: list[LLMMessage] | None = (
            list(initial_messages) if initial_messages is not None else None
        )
        self._messages: list[LLMMessage] = list(initial_messages or ())

    async def add_message(self, message: LLMMessage) -> None:
        """Append ``message`` to the conversation."""
        self._messages.append(message)

    @abstractmethod
    async def get_messages(self) -> list[LLMMessage]:
        """Return the messages to send to the model, oldest first."""

    async def clear(self) -> None:
        """Forget every message."""
        self._messages = []

    async def save_state(self) -> Mapping[str, Any]:
        """Return the whole conversation as JSON-ready data (``{"messages": [...]}``)."""
        return ChatCompletionContextState(messages=list(self._messages)).model_dump(mode="json")

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Replace the conversation with one saved by :meth:`save_state`.

        Raises:
            StateError: ``state`` is not a saved context state.
        """
        try:
            loaded = ChatCompletionContextState.model_validate(state)
        except ValidationError as exc:
            raise StateError(
                "This is not a saved model-context state; expected {'messages': [...]} as "
                f"returned by save_state(). Details: {exc}"
            ) from exc
        self._messages = loaded.messages


def drop_leading_function_results(messages: list[LLMMessage]) -> list[LLMMessage]:
    """Drop results at the start of a window whose function calls fell outside it.

    Providers reject a tool result that does not follow the assistant message that requested it.
    """
    start = 0
    while start < len(messages) and isinstance(messages[start], FunctionExecutionResultMessage):
        start += 1
    return messages[start:]
