"""Every error parlay-agentchat raises on purpose; see :class:`AgentChatError` for the tree."""

from parlay_agentchat._exceptions import (
    AgentChatError,
    AgentConfigurationError,
    InvalidTaskError,
    MessageTypeNotRegisteredError,
    StructuredOutputError,
    TeamAlreadyRunningError,
    TeamRunError,
    TeamRunningError,
    TerminatedException,
    UserInputError,
)

__all__ = [
    "AgentChatError",
    "AgentConfigurationError",
    "InvalidTaskError",
    "MessageTypeNotRegisteredError",
    "StructuredOutputError",
    "TeamAlreadyRunningError",
    "TeamRunError",
    "TeamRunningError",
    "TerminatedException",
    "UserInputError",
]
