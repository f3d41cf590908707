"""Chat messages and agent events, with the shapes and ``type`` names of AutoGen 0.4.

:class:`BaseChatMessage` subclasses are what agents say to each other (one per turn);
:class:`BaseAgentEvent` subclasses report what happens inside a turn. Every message dumps to
``{"id", "source", "models_usage", "metadata", "created_at", "content", "type", ...}`` and a
:class:`MessageFactory` loads it back by ``type``.
"""

from parlay_agentchat.messages._base import (
    BaseAgentEvent,
    BaseChatMessage,
    BaseMessage,
    BaseTextChatMessage,
)
from parlay_agentchat.messages._chat import (
    HandoffMessage,
    MultiModalMessage,
    StopMessage,
    StructuredContentType,
    StructuredMessage,
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
from parlay_agentchat.messages._factory import AgentEvent, ChatMessage, MessageFactory
from parlay_agentchat.messages._structured_factory import (
    StructuredMessageComponent,
    StructuredMessageFactory,
)

__all__ = [
    "AgentEvent",
    "BaseAgentEvent",
    "BaseChatMessage",
    "BaseMessage",
    "BaseTextChatMessage",
    "ChatMessage",
    "CodeExecutionEvent",
    "CodeGenerationEvent",
    "HandoffMessage",
    "MemoryQueryEvent",
    "MessageFactory",
    "ModelClientStreamingChunkEvent",
    "MultiModalMessage",
    "SelectSpeakerEvent",
    "SelectorEvent",
    "StopMessage",
    "StructuredContentType",
    "StructuredMessage",
    "StructuredMessageComponent",
    "StructuredMessageFactory",
    "TextMessage",
    "ThoughtEvent",
    "ToolCallExecutionEvent",
    "ToolCallRequestEvent",
    "ToolCallSummaryMessage",
    "UserInputRequestedEvent",
]
