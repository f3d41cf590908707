"""Every error parlay-agentchat raises on purpose; see :class:`AgentChatError` for the tree."""

from parlay_agentchat._exceptions import (
    AgentChatError,
    AgentConfigurationError,
    GraphCycleError,
    GraphStartNodeError,
    GraphValidationError,
    InvalidTaskError,
    MessageTypeNotRegisteredError,
    ProgressLedgerError,
    StructuredOutputError,
    TeamAlreadyRunningError,
    TeamRunError,
    TeamRunningError,
    TerminatedException,
    UnknownGraphNodeError,
    UserInputError,
)

__all__ = [
    "AgentChatError",
    "AgentConfigurationError",
    "GraphCycleError",
    "GraphStartNodeError",
    "GraphValidationError",
    "InvalidTaskError",
    "MessageTypeNotRegisteredError",
    "ProgressLedgerError",
    "StructuredOutputError",
    "TeamAlreadyRunningError",
    "TeamRunError",
    "TeamRunningError",
    "TerminatedException",
    "UnknownGraphNodeError",
    "UserInputError",
]
