"""The messages a team's manager and participant containers exchange over the runtime.

They are plain dataclasses holding message objects: in process they travel by reference and
are never serialized or validated again.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from parlay_agentchat.base import Response, TaskResult
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage

__all__ = [
    "ErrorDetails",
    "GroupChatAgentResponse",
    "GroupChatError",
    "GroupChatMessage",
    "GroupChatPause",
    "GroupChatRequestPublish",
    "GroupChatReset",
    "GroupChatResume",
    "GroupChatStart",
    "GroupChatTeamResponse",
    "GroupChatTermination",
]


@dataclass(slots=True)
class ErrorDetails:
    """An exception raised inside a team, described so it can be reported to the caller.

    Attributes:
        source: Where it was raised, for example ``"participant 'writer'"``.
        error_type: The exception class name.
        error_message: ``str(exception)``.
        traceback: The formatted traceback.
        exception: The exception itself, when it was raised in this process.
    """

    source: str
    error_type: str
    error_message: str
    traceback: str | None = None
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_exception(cls, error: BaseException, source: str) -> ErrorDetails:
        """Describe ``error``, raised by ``source``."""
        return cls(
            source=source,
            error_type=type(error).__name__,
            error_message=str(error),
            traceback="".join(traceback.format_exception(error)),
            exception=error,
        )

    def __str__(self) -> str:
        return f"{self.source} raised {self.error_type}: {self.error_message}"


@dataclass(slots=True)
class GroupChatStart:
    """Starts (or continues) a run; sent to the manager, which relays the task to everyone."""

    messages: list[BaseChatMessage] | None = None
    output_task_messages: bool = True


@dataclass(slots=True)
class GroupChatAgentResponse:
    """A participant agent's response, published to the whole group."""

    response: Response
    name: str


@dataclass(slots=True)
class GroupChatTeamResponse:
    """A participant team's result, published to the whole group."""

    result: TaskResult
    name: str


@dataclass(slots=True)
class GroupChatRequestPublish:
    """Asks one participant to take its turn."""


@dataclass(slots=True)
class GroupChatMessage:
    """An event or message produced during a turn, on its way to the caller."""

    message: BaseAgentEvent | BaseChatMessage


@dataclass(slots=True)
class GroupChatTermination:
    """The run is over: why, and the error if it failed."""

    message: StopMessage
    error: ErrorDetails | None = None


@dataclass(slots=True)
class GroupChatError:
    """A participant raised during its turn."""

    error: ErrorDetails


@dataclass(slots=True)
class GroupChatReset:
    """Asks a participant or the manager to forget the conversation."""


@dataclass(slots=True)
class GroupChatPause:
    """Asks a participant to pause."""


@dataclass(slots=True)
class GroupChatResume:
    """Asks a paused participant to go on."""
