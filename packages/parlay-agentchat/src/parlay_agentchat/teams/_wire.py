"""JSON serializers for the team events, for runtimes that carry messages between processes.

In process, team events travel as objects and these serializers are never called. A
distributed runtime serializes what crosses a process boundary; the generic dataclass
serializer cannot encode the chat messages inside team events, so teams register these,
which write each message as its ``dump()`` and read it back by its ``type``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar, cast

from parlay_agentchat.base import Response, TaskResult
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, MessageFactory, StopMessage
from parlay_agentchat.teams._events import (
    ErrorDetails,
    GroupChatAgentResponse,
    GroupChatError,
    GroupChatMessage,
    GroupChatPause,
    GroupChatRequestPublish,
    GroupChatReset,
    GroupChatResume,
    GroupChatStart,
    GroupChatTeamResponse,
    GroupChatTermination,
)
from parlay_core import JSON_DATA_CONTENT_TYPE, MessageSerializer
from parlay_core.exceptions import SerializationError

__all__ = ["register_wire_types", "team_event_serializers"]

T = TypeVar("T")
Message = BaseAgentEvent | BaseChatMessage

# Message classes known on the wire in this process: the built-in ones, plus every team's
# custom types. Shared by all teams, since a runtime keeps one serializer per type name.
_wire_factory = MessageFactory()
_custom_types: dict[str, type[Message]] = {}


def register_wire_types(types: list[type[Message]]) -> None:
    """Make a team's message classes readable on the wire (a later class of a name wins)."""
    for message_type in types:
        if not _wire_factory.is_registered(message_type):
            _custom_types[message_type.__name__] = message_type


def _load(data: Mapping[str, Any]) -> Message:
    custom = _custom_types.get(str(data.get("type")))
    return custom.load(data) if custom is not None else _wire_factory.create(data)


def _dump_error(error: ErrorDetails | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {
        "source": error.source,
        "error_type": error.error_type,
        "error_message": error.error_message,
        "traceback": error.traceback,
    }


def _load_error(data: Mapping[str, Any] | None) -> ErrorDetails | None:
    return None if data is None else ErrorDetails(**dict(data))


def _encode(message: object) -> dict[str, Any]:
    if isinstance(message, GroupChatStart):
        dumps = None if message.messages is None else [m.dump() for m in message.messages]
        return {"messages": dumps, "output_task_messages": message.output_task_messages}
    if isinstance(message, GroupChatAgentResponse):
        inner = message.response.inner_messages
        return {
            "response": {
                "chat_message": message.response.chat_message.dump(),
                "inner_messages": None if inner is None else [m.dump() for m in inner],
            },
            "name": message.name,
        }
    if isinstance(message, GroupChatTeamResponse):
        return {
            "result": {
                "messages": [m.dump() for m in message.result.messages],
                "stop_reason": message.result.stop_reason,
            },
            "name": message.name,
        }
    if isinstance(message, GroupChatMessage):
        return {"message": message.message.dump()}
    if isinstance(message, GroupChatTermination):
        return {"message": message.message.dump(), "error": _dump_error(message.error)}
    if isinstance(message, GroupChatError):
        return {"error": _dump_error(message.error)}
    return {}


def _decode(cls: type[Any], data: Mapping[str, Any]) -> object:
    if cls is GroupChatStart:
        dumps = data.get("messages")
        messages = None if dumps is None else [_load(d) for d in dumps]
        return GroupChatStart(
            cast(list[BaseChatMessage] | None, messages), bool(data["output_task_messages"])
        )
    if cls is GroupChatAgentResponse:
        response = data["response"]
        inner = response.get("inner_messages")
        return GroupChatAgentResponse(
            Response(
                chat_message=cast(BaseChatMessage, _load(response["chat_message"])),
                inner_messages=None if inner is None else [_load(d) for d in inner],
            ),
            str(data["name"]),
        )
    if cls is GroupChatTeamResponse:
        result = data["result"]
        return GroupChatTeamResponse(
            TaskResult.model_construct(
                messages=[_load(d) for d in result["messages"]],
                stop_reason=result.get("stop_reason"),
            ),
            str(data["name"]),
        )
    if cls is GroupChatMessage:
        return GroupChatMessage(_load(data["message"]))
    if cls is GroupChatTermination:
        return GroupChatTermination(
            cast(StopMessage, _load(data["message"])), _load_error(data.get("error"))
        )
    if cls is GroupChatError:
        error = _load_error(data["error"])
        assert error is not None
        return GroupChatError(error)
    return cls()


class _TeamEventSerializer(MessageSerializer[T], Generic[T]):
    def __init__(self, cls: type[T]) -> None:
        self._cls = cls

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._cls.__name__

    def serialize(self, message: T) -> bytes:
        return json.dumps(_encode(message)).encode()

    def deserialize(self, payload: bytes) -> T:
        try:
            return cast(T, _decode(self._cls, json.loads(payload)))
        except (ValueError, KeyError, TypeError) as exc:
            raise SerializationError(
                f"Cannot read a {self._cls.__name__} from the payload: {exc}. Both sides must "
                "run the same Parlay version and know the same custom message types."
            ) from exc


def team_event_serializers() -> list[MessageSerializer[Any]]:
    """The serializers of every team event type."""
    types: list[type[Any]] = [
        GroupChatStart,
        GroupChatAgentResponse,
        GroupChatTeamResponse,
        GroupChatRequestPublish,
        GroupChatMessage,
        GroupChatTermination,
        GroupChatError,
        GroupChatReset,
        GroupChatPause,
        GroupChatResume,
    ]
    return [_TeamEventSerializer(t) for t in types]
