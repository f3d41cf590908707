"""MessageFactory: turns dumped messages back into message objects by their ``type`` field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Union, cast

from pydantic import Field

from parlay_agentchat._exceptions import MessageTypeNotRegisteredError
from parlay_agentchat.messages._base import BaseAgentEvent, BaseChatMessage
from parlay_agentchat.messages._chat import (
    HandoffMessage,
    MultiModalMessage,
    StopMessage,
    TextMessage,
    ToolCallSummaryMessage,
)
from parlay_agentchat.messages._events import (
    CodeExecutionEvent,
    CodeGenerationEvent,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    SelectorEvent,
    SelectSpeakerEvent,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    UserInputRequestedEvent,
)

__all__ = ["AgentEvent", "ChatMessage", "MessageFactory"]

_BUILT_IN: tuple[type[BaseChatMessage | BaseAgentEvent], ...] = (
    TextMessage,
    MultiModalMessage,
    StopMessage,
    ToolCallSummaryMessage,
    HandoffMessage,
    ToolCallRequestEvent,
    ToolCallExecutionEvent,
    MemoryQueryEvent,
    UserInputRequestedEvent,
    ModelClientStreamingChunkEvent,
    ThoughtEvent,
    SelectSpeakerEvent,
    CodeGenerationEvent,
    CodeExecutionEvent,
    SelectorEvent,
)

ChatMessage = Annotated[
    Union[TextMessage, MultiModalMessage, StopMessage, ToolCallSummaryMessage, HandoffMessage],
    Field(discriminator="type"),
]
"""The built-in chat messages, told apart by ``type`` (AutoGen's deprecated union)."""

AgentEvent = Annotated[
    Union[
        ToolCallRequestEvent,
        ToolCallExecutionEvent,
        MemoryQueryEvent,
        UserInputRequestedEvent,
        ModelClientStreamingChunkEvent,
        ThoughtEvent,
        SelectSpeakerEvent,
        CodeGenerationEvent,
        CodeExecutionEvent,
    ],
    Field(discriminator="type"),
]
"""The built-in agent events, told apart by ``type`` (AutoGen's deprecated union)."""


class MessageFactory:
    """Builds messages from dumps, by the class name written in their ``type`` field.

    The built-in messages and events are registered from the start. Register your own message
    classes (and each parametrized ``StructuredMessage[T]``) with :meth:`register`; teams do it
    for the classes passed as ``custom_message_types``.
    """

    def __init__(self) -> None:
        self._types: dict[str, type[BaseChatMessage | BaseAgentEvent]] = {
            cls.__name__: cls for cls in _BUILT_IN
        }

    def is_registered(self, message_type: type[BaseChatMessage | BaseAgentEvent]) -> bool:
        """Return whether this very class is registered.

        Args:
            message_type: A message or event class.
        """
        return self._types.get(message_type.__name__) is message_type

    def register(self, message_type: type[BaseChatMessage | BaseAgentEvent]) -> None:
        """Register a message or event class under its class name.

        Registering the same class again does nothing.

        Args:
            message_type: A subclass of :class:`BaseChatMessage` or :class:`BaseAgentEvent`.

        Raises:
            MessageTypeNotRegisteredError: It is not a message class, or another class is
                already registered under the same name.
        """
        candidate = cast(object, message_type)  # callers without type checking may pass anything
        if not (
            isinstance(candidate, type) and issubclass(candidate, (BaseChatMessage, BaseAgentEvent))
        ):
            raise MessageTypeNotRegisteredError(
                f"{message_type!r} is not a message class; register subclasses of "
                "BaseChatMessage or BaseAgentEvent."
            )
        existing = self._types.get(message_type.__name__)
        if existing is not None and existing is not message_type:
            raise MessageTypeNotRegisteredError(
                f"Another message class is already registered as {message_type.__name__!r} "
                f"({existing.__module__}.{existing.__qualname__}). Give the class a distinct name."
            )
        self._types[message_type.__name__] = message_type

    def create(self, data: Mapping[str, Any]) -> BaseChatMessage | BaseAgentEvent:
        """Build a message from its dump.

        Args:
            data: A dump with a ``type`` field, as produced by ``message.dump()``.

        Returns:
            The message object.

        Raises:
            MessageTypeNotRegisteredError: ``type`` is missing or names no registered class.
        """
        type_name = data.get("type")
        if not isinstance(type_name, str):
            raise MessageTypeNotRegisteredError(
                "A message dump needs a 'type' field naming its class (for example "
                "'TextMessage'); dump messages with message.dump()."
            )
        message_type = self._types.get(type_name)
        if message_type is None:
            raise MessageTypeNotRegisteredError(
                f"Unknown message type {type_name!r}. Register the class with "
                "MessageFactory.register(), or pass it to the team or agent as "
                f"custom_message_types=[...]. Registered: {sorted(self._types)}."
            )
        return message_type.load(data)
