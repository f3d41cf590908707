"""Team events survive serialization, for runtimes that carry them between processes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from parlay_agentchat.base import Response, TaskResult
from parlay_agentchat.messages import (
    BaseTextChatMessage,
    StopMessage,
    TextMessage,
    ToolCallRequestEvent,
)
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.teams._events import (
    ErrorDetails,
    GroupChatAgentResponse,
    GroupChatError,
    GroupChatMessage,
    GroupChatPause,
    GroupChatRequestPublish,
    GroupChatStart,
    GroupChatTeamResponse,
    GroupChatTermination,
)
from parlay_agentchat.teams._wire import team_event_serializers
from parlay_core import FunctionCall, MessageSerializer, SingleThreadedAgentRuntime
from tests.agentchat._support import Scripted


class Vote(BaseTextChatMessage):
    type: Literal["Vote"] = "Vote"


class RecordingRuntime(SingleThreadedAgentRuntime):
    def __init__(self) -> None:
        super().__init__()
        self.serializers: dict[str, MessageSerializer[Any]] = {}

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        items = [serializer] if isinstance(serializer, MessageSerializer) else serializer
        for item in items:
            self.serializers[item.type_name] = item
        super().add_message_serializer(serializer)


async def test_team_events_round_trip_through_the_registered_serializers() -> None:
    runtime = RecordingRuntime()
    runtime.start()
    try:
        team = RoundRobinGroupChat(
            [Scripted("a", ["a1"])], max_turns=1, runtime=runtime, custom_message_types=[Vote]
        )
        await team.run(task="go")
    finally:
        await runtime.close()
    call = FunctionCall(id="1", name="f", arguments="{}")
    vote = Vote(content="yes", source="a")
    events: list[object] = [
        GroupChatStart(messages=[TextMessage(content="go", source="user"), vote]),
        GroupChatAgentResponse(
            Response(
                chat_message=TextMessage(content="hi", source="a"),
                inner_messages=[ToolCallRequestEvent(content=[call], source="a")],
            ),
            "a",
        ),
        GroupChatTeamResponse(TaskResult(messages=[vote], stop_reason="done"), "inner"),
        GroupChatRequestPublish(),
        GroupChatMessage(ToolCallRequestEvent(content=[call], source="a")),
        GroupChatTermination(StopMessage(content="stop", source="m")),
        GroupChatError(ErrorDetails("participant 'a'", "ValueError", "bad", "Traceback ...")),
        GroupChatPause(),
    ]
    for event in events:
        serializer = runtime.serializers[type(event).__name__]
        assert (
            serializer in team_event_serializers() or serializer.type_name == type(event).__name__
        )
        restored = serializer.deserialize(serializer.serialize(event))
        assert type(restored) is type(event)
        assert restored == event
