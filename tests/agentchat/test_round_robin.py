"""RoundRobinGroupChat: turns, stop reasons, termination semantics, control, errors and state."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.base import TaskResult, TerminationCondition
from parlay_agentchat.conditions import (
    ExternalTermination,
    FunctionalTermination,
    MaxMessageTermination,
    TextMentionTermination,
)
from parlay_agentchat.exceptions import (
    AgentConfigurationError,
    InvalidTaskError,
    MessageTypeNotRegisteredError,
    TeamAlreadyRunningError,
    TeamRunError,
    TeamRunningError,
)
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    BaseTextChatMessage,
    ModelClientStreamingChunkEvent,
    SelectSpeakerEvent,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import AgentId, CancellationToken, SingleThreadedAgentRuntime, load_component
from parlay_core.exceptions import StateError
from parlay_core.models import AssistantMessage, UserMessage
from parlay_core.testing import ReplayChatCompletionClient
from tests.agentchat._support import Scripted, call, replay, tool_calls


def texts(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> list[tuple[str, str]]:
    return [(m.source, m.to_text()) for m in messages]


async def test_participants_speak_in_turn_until_the_condition_fires() -> None:
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2 TERMINATE"]))
    b = AssistantAgent("b", ReplayChatCompletionClient(["b1"]))
    team = RoundRobinGroupChat([a, b], termination_condition=TextMentionTermination("TERMINATE"))
    items = [item async for item in team.run_stream(task="go")]
    result = items[-1]
    assert isinstance(result, TaskResult)
    assert list(result.messages) == items[:-1]
    assert texts(result.messages) == [
        ("user", "go"),
        ("a", "a1"),
        ("b", "b1"),
        ("a", "a2 TERMINATE"),
    ]
    assert result.stop_reason == "Text 'TERMINATE' mentioned"


async def test_each_agent_receives_the_messages_since_its_last_turn() -> None:
    a = Scripted("a", ["a1", "a2"])
    b = Scripted("b", ["b1"])
    c = Scripted("c", ["c1"])
    team = RoundRobinGroupChat([a, b, c], max_turns=4)
    await team.run(task="go")
    assert a.seen == [["go"], ["b1", "c1"]]
    assert b.seen == [["go", "a1"]]
    assert c.seen == [["go", "a1", "b1"]]


async def test_max_turns_stop_reason() -> None:
    team = RoundRobinGroupChat([Scripted("a", ["a1", "a2"]), Scripted("b", ["b1"])], max_turns=3)
    first = await team.run(task="go")
    assert first.stop_reason == "Maximum number of turns 3 reached."
    assert texts(first.messages) == [("user", "go"), ("a", "a1"), ("b", "b1"), ("a", "a2")]


async def test_continuing_keeps_the_speaker_order_and_resets_the_turn_count() -> None:
    a = Scripted("a", ["a1", "a2", "a3"])
    b = Scripted("b", ["b1", "b2", "b3"])
    team = RoundRobinGroupChat([a, b], max_turns=3)
    await team.run(task="go")
    second = await team.run(task="more")
    assert texts(second.messages) == [("user", "more"), ("b", "b2"), ("a", "a3"), ("b", "b3")]
    assert second.stop_reason == "Maximum number of turns 3 reached."
    assert b.seen[-1] == ["a3"]


async def test_termination_sees_only_new_messages_and_resets_after_firing() -> None:
    batches: list[list[str]] = []

    def record(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> bool:
        batches.append([type(m).__name__ + ":" + m.source for m in messages])
        return len(batches) in (3, 5)

    def add(x: int) -> int:
        """Add one."""
        return x + 1

    tool_user = AssistantAgent("t", replay(tool_calls(call("add", x=1)), "t2"), tools=[add])
    plain = Scripted("p", ["p1", "p2"])
    team = RoundRobinGroupChat(
        [tool_user, plain], termination_condition=FunctionalTermination(record)
    )
    first = await team.run(task="go")
    assert batches == [
        ["TextMessage:user"],
        ["ToolCallRequestEvent:t", "ToolCallExecutionEvent:t", "ToolCallSummaryMessage:t"],
        ["TextMessage:p"],
    ]
    assert first.stop_reason == "Functional termination condition met"
    second = await team.run()  # the condition was reset, so it is called again
    assert batches[3:] == [["TextMessage:t"], ["TextMessage:p"]]
    assert second.stop_reason == "Functional termination condition met"


async def test_max_message_condition_counts_afresh_in_each_run() -> None:
    team = RoundRobinGroupChat(
        [Scripted("a", ["a1", "a2", "a3"]), Scripted("b", ["b1", "b2"])],
        termination_condition=MaxMessageTermination(3),
    )
    first = await team.run(task="go")
    assert len(first.messages) == 3
    second = await team.run()
    assert texts(second.messages) == [("a", "a2"), ("b", "b2"), ("a", "a3")]
    assert second.stop_reason == "Maximum number of messages 3 reached, current message count: 3"


async def test_tool_events_and_streaming_chunks_in_the_stream() -> None:
    def add(x: int) -> int:
        """Add one."""
        return x + 1

    tool_user = AssistantAgent("t", replay(tool_calls(call("add", x=1))), tools=[add])
    streamer = AssistantAgent(
        "s", ReplayChatCompletionClient(["all done now"]), model_client_stream=True
    )
    team = RoundRobinGroupChat([tool_user, streamer], max_turns=2)
    items = [item async for item in team.run_stream(task="go")]
    result = items[-1]
    assert isinstance(result, TaskResult)
    kinds = [type(i).__name__ for i in items[:-1]]
    assert kinds[:4] == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "ToolCallSummaryMessage",
    ]
    chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    assert "".join(c.content for c in chunks) == "all done now"
    assert kinds[-1] == "TextMessage"
    assert {c.full_message_id for c in chunks} == {items[-2].id}  # type: ignore[union-attr]
    assert [type(m).__name__ for m in result.messages] == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "ToolCallSummaryMessage",
        "TextMessage",
    ]
    assert isinstance(result.messages[1], ToolCallRequestEvent)
    assert isinstance(result.messages[2], ToolCallExecutionEvent)
    assert isinstance(result.messages[3], ToolCallSummaryMessage)


async def test_run_returns_the_streamed_messages_without_chunks() -> None:
    # run() collects the messages as they are produced instead of reading them one by one:
    # its result must be the one run_stream ends with.
    def make_team() -> RoundRobinGroupChat:
        def add(x: int) -> int:
            """Add one."""
            return x + 1

        tool_user = AssistantAgent("t", replay(tool_calls(call("add", x=1))), tools=[add])
        streamer = AssistantAgent(
            "s", ReplayChatCompletionClient(["all done now"]), model_client_stream=True
        )
        return RoundRobinGroupChat([tool_user, streamer], max_turns=2)

    streamed = [item async for item in make_team().run_stream(task="go")][-1]
    ran = await make_team().run(task="go")
    assert isinstance(streamed, TaskResult)
    assert ran.stop_reason == streamed.stop_reason == "Maximum number of turns 2 reached."
    assert [(type(m).__name__, m.source, m.to_text()) for m in ran.messages] == [
        (type(m).__name__, m.source, m.to_text()) for m in streamed.messages
    ]
    assert not any(isinstance(m, ModelClientStreamingChunkEvent) for m in ran.messages)


async def test_run_goes_through_a_subclass_run_stream() -> None:
    seen: list[str] = []

    class Watched(RoundRobinGroupChat):
        async def run_stream(
            self,
            *,
            task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
            cancellation_token: CancellationToken | None = None,
            output_task_messages: bool = True,
        ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
            async for item in super().run_stream(
                task=task,
                cancellation_token=cancellation_token,
                output_task_messages=output_task_messages,
            ):
                seen.append(type(item).__name__)
                yield item

    team = Watched([Scripted("a", ["a1"]), Scripted("b", ["b1"])], max_turns=2)
    result = await team.run(task="go")
    assert texts(result.messages) == [("user", "go"), ("a", "a1"), ("b", "b1")]
    assert seen == ["TextMessage", "TextMessage", "TextMessage", "TaskResult"]


async def test_termination_on_the_task_itself() -> None:
    a = Scripted("a", ["never"])
    team = RoundRobinGroupChat([a], termination_condition=TextMentionTermination("STOP"))
    result = await team.run(task="STOP right now")
    assert texts(result.messages) == [("user", "STOP right now")]
    assert result.stop_reason == "Text 'STOP' mentioned"
    assert a.seen == []


async def test_output_task_messages_false() -> None:
    team = RoundRobinGroupChat([Scripted("a", ["a1"])], max_turns=1)
    result = await team.run(task="go", output_task_messages=False)
    assert texts(result.messages) == [("a", "a1")]


async def test_a_second_concurrent_run_is_refused() -> None:
    a = Scripted("a", ["a1"], gated=True)
    team = RoundRobinGroupChat([a], max_turns=1)
    first = asyncio.ensure_future(team.run(task="go"))
    await a.entered.wait()
    with pytest.raises(TeamAlreadyRunningError, match="The team is already running") as info:
        await team.run(task="again")
    assert isinstance(info.value, ValueError)
    with pytest.raises(TeamRunningError) as busy:
        await team.reset()
    assert isinstance(busy.value, RuntimeError)
    with pytest.raises(RuntimeError):
        await team.load_state({"type": "TeamState", "agent_states": {}})
    a.gate.set()
    result = await first
    assert result.stop_reason == "Maximum number of turns 1 reached."


async def test_cancellation_aborts_the_run_and_the_team_stays_usable() -> None:
    a = Scripted("a", ["late", "a2"], gated=True)
    team = RoundRobinGroupChat([a], max_turns=1)
    token = CancellationToken()
    run = asyncio.ensure_future(team.run(task="go", cancellation_token=token))
    await a.entered.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert a.replies == ["late", "a2"]  # the turn was aborted, not finished
    a.gated = False
    result = await team.run(task="again")
    assert texts(result.messages) == [("user", "again"), ("a", "late")]


async def test_abandoning_the_stream_cancels_the_turn_in_progress() -> None:
    a = Scripted("a", ["a1"], gated=True)
    team = RoundRobinGroupChat([a], max_turns=1)
    stream = team.run_stream(task="go")
    first = await stream.__anext__()
    assert isinstance(first, TextMessage)
    await a.entered.wait()
    await stream.aclose()
    a.gated = False
    a.replies = ["fresh"]
    result = await team.run(task="again")
    assert texts(result.messages)[-1] == ("a", "fresh")


async def test_external_termination_stops_after_the_current_turn() -> None:
    stop = ExternalTermination()
    a = Scripted("a", ["a1", "a2"], gated=True)
    b = Scripted("b", ["b1"])
    team = RoundRobinGroupChat([a, b], termination_condition=stop)
    run = asyncio.ensure_future(team.run(task="go"))
    await a.entered.wait()
    stop.set()
    a.gate.set()
    result = await run
    assert texts(result.messages) == [("user", "go"), ("a", "a1")]
    assert result.stop_reason == "External termination requested"
    assert b.seen == []


async def test_a_failing_participant_fails_the_run_and_reset_recovers() -> None:
    a = Scripted("a", ["a1"])
    broken = Scripted("broken", [])  # raises: no reply left
    team = RoundRobinGroupChat([a, broken], max_turns=2)
    with pytest.raises(TeamRunError, match="participant 'broken' raised RuntimeError") as info:
        await team.run(task="go")
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "no reply left" in str(info.value.__cause__)
    await team.reset()
    assert a.calls == ["reset"]
    a.replies = ["again"]
    broken.replies = ["fixed"]
    result = await team.run(task="retry")
    assert texts(result.messages) == [("user", "retry"), ("a", "again"), ("broken", "fixed")]
    assert result.stop_reason == "Maximum number of turns 2 reached."


async def test_a_failing_termination_condition_fails_the_run() -> None:
    def boom(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> bool:
        raise KeyError("bad condition")

    team = RoundRobinGroupChat(
        [Scripted("a", ["a1"])], termination_condition=FunctionalTermination(boom)
    )
    with pytest.raises(TeamRunError, match="KeyError") as info:
        await team.run(task="go")
    assert isinstance(info.value.__cause__, KeyError)


async def test_group_chat_stops_when_nothing_is_left_to_do() -> None:
    from parlay_agentchat.teams import RoundRobinGroupChatManager

    class OneRound(RoundRobinGroupChat):
        def _create_manager(self, output_channel: Any, message_factory: Any) -> Any:
            manager = super()._create_manager(output_channel, message_factory)
            original = manager.select_speaker
            spoken: list[str] = []

            async def select_once(thread: Any) -> Any:
                if spoken:
                    return []
                spoken.append(await original(thread))
                return spoken[0]

            manager.select_speaker = select_once  # type: ignore[method-assign]
            assert isinstance(manager, RoundRobinGroupChatManager)
            return manager

    team = OneRound([Scripted("a", ["a1"]), Scripted("b", ["b1"])])
    result = await team.run(task="go")
    assert texts(result.messages) == [("user", "go"), ("a", "a1")]
    assert result.stop_reason == "The group chat is stopped."


async def test_pause_and_resume_reach_the_participants() -> None:
    a = Scripted("a", ["a1"], gated=True)
    b = Scripted("b", [])
    team = RoundRobinGroupChat([a, b], max_turns=1)
    await team.pause()
    await team.resume()
    assert a.calls == b.calls == ["pause", "resume"]
    run = asyncio.ensure_future(team.run(task="go"))
    await a.entered.wait()
    await team.pause()
    await team.resume()
    a.gate.set()
    await run
    assert a.calls == ["pause", "resume", "pause", "resume"]


async def test_reset_forgets_everything() -> None:
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2"]))
    b = Scripted("b", ["b1", "b2"])
    team = RoundRobinGroupChat([a, b], max_turns=1)
    await team.run(task="go")
    await team.reset()
    assert await a.model_context.get_messages() == []
    assert b.calls == ["reset"]
    state = await team.save_state()
    manager = state["agent_states"]["RoundRobinGroupChatManager"]
    assert manager["message_thread"] == []
    assert manager["next_speaker_index"] == 0
    result = await team.run(task="fresh")
    assert texts(result.messages) == [("user", "fresh"), ("a", "a2")]


def test_bad_participants_are_refused() -> None:
    with pytest.raises(AgentConfigurationError, match="unique") as info:
        RoundRobinGroupChat([Scripted("a"), Scripted("a")])
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="at least one participant"):
        RoundRobinGroupChat([])
    with pytest.raises(ValueError, match="max_turns"):
        RoundRobinGroupChat([Scripted("a")], max_turns=0)


async def test_bad_tasks_are_refused() -> None:
    team = RoundRobinGroupChat([Scripted("a", ["a1"])], max_turns=1)
    # AutoGen's wording, which callers match on.
    with pytest.raises(InvalidTaskError, match="Task list cannot be empty"):
        await team.run(task=[])
    with pytest.raises(ValueError, match="All messages in task list must be valid BaseChatMessage"):
        await team.run(task=["not a message"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be a str"):
        await team.run(task=3.5)  # type: ignore[arg-type]

    class Note(BaseTextChatMessage):
        type: Literal["Note"] = "Note"

    with pytest.raises(MessageTypeNotRegisteredError, match="custom_message_types") as info:
        await team.run(task=Note(content="hi", source="user"))
    assert isinstance(info.value, ValueError)
    accepting = RoundRobinGroupChat(
        [Scripted("a", ["a1"])], max_turns=1, custom_message_types=[Note]
    )
    result = await accepting.run(task=Note(content="hi", source="user"))
    assert isinstance(result.messages[0], Note)
    # The team is still usable after the refusals.
    assert (await team.run(task="ok")).stop_reason == "Maximum number of turns 1 reached."


async def test_team_events_report_speaker_selection() -> None:
    team = RoundRobinGroupChat(
        [Scripted("a", ["a1"]), Scripted("b", ["b1"])], max_turns=2, emit_team_events=True
    )
    result = await team.run(task="go")
    kinds = [(type(m).__name__, m.to_text()) for m in result.messages]
    assert kinds == [
        ("TextMessage", "go"),
        ("SelectSpeakerEvent", "['a']"),
        ("TextMessage", "a1"),
        ("SelectSpeakerEvent", "['b']"),
        ("TextMessage", "b1"),
    ]
    assert isinstance(result.messages[1], SelectSpeakerEvent)


async def test_state_shape_and_round_trip_into_another_team() -> None:
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1"]))
    b = Scripted("b", ["b1", "b2"])
    team = RoundRobinGroupChat([a, b], max_turns=1)
    await team.run(task="go")
    state = await team.save_state()
    json.dumps(state)
    assert state["type"] == "TeamState"
    assert state["version"] == "1.0.0"
    assert list(state["agent_states"]) == ["a", "b", "RoundRobinGroupChatManager"]
    container_a = state["agent_states"]["a"]
    assert container_a["type"] == "ChatAgentContainerState"
    assert container_a["agent_state"]["type"] == "AssistantAgentState"
    assert container_a["message_buffer"] == []
    container_b = state["agent_states"]["b"]
    assert [m["content"] for m in container_b["message_buffer"]] == ["go", "a1"]
    assert container_b["message_buffer"][0]["type"] == "TextMessage"
    manager = state["agent_states"]["RoundRobinGroupChatManager"]
    assert list(manager) == [
        "type",
        "version",
        "message_thread",
        "current_turn",
        "next_speaker_index",
    ]
    assert manager["type"] == "RoundRobinManagerState"
    assert [m["content"] for m in manager["message_thread"]] == ["go", "a1"]
    assert manager["next_speaker_index"] == 1

    client = ReplayChatCompletionClient(["a2"])
    new_a = AssistantAgent("a", client, system_message=None)
    new_b = Scripted("b", [])
    other = RoundRobinGroupChat([new_a, new_b], max_turns=2)
    await other.load_state(state)
    assert new_b.replies == ["b1", "b2"]
    result = await other.run()
    assert texts(result.messages) == [("b", "b1"), ("a", "a2")]
    assert new_b.seen == [["go", "a1"]]
    assert client.create_calls[0]["messages"] == [
        UserMessage(content="go", source="user"),
        AssistantMessage(content="a1", source="a"),
        UserMessage(content="b1", source="b"),
    ]


async def test_loading_a_state_without_a_participant_fails() -> None:
    team = RoundRobinGroupChat([Scripted("a", ["a1"]), Scripted("b")], max_turns=1)
    await team.run(task="go")
    state = await team.save_state()
    other = RoundRobinGroupChat([Scripted("a"), Scripted("c")], max_turns=1)
    with pytest.raises(StateError, match="'c'") as info:
        await other.load_state(state)
    assert isinstance(info.value, ValueError)


async def test_component_config_round_trip() -> None:
    team = RoundRobinGroupChat(
        [
            AssistantAgent("a", ReplayChatCompletionClient(["a1 DONE"])),
            AssistantAgent("b", ReplayChatCompletionClient(["b1"])),
        ],
        termination_condition=TextMentionTermination("DONE") | MaxMessageTermination(10),
        max_turns=5,
        name="pair",
        description="Two agents.",
    )
    model = team.dump_component()
    assert model.provider == "parlay_agentchat.teams.RoundRobinGroupChat"
    assert model.component_type == "team"
    config = model.config
    assert [p["config"]["name"] for p in config["participants"]] == ["a", "b"]
    assert config["termination_condition"]["provider"] == (
        "parlay_agentchat.base.OrTerminationCondition"
    )
    assert config["max_turns"] == 5
    loaded = load_component(json.loads(model.model_dump_json()), expected=RoundRobinGroupChat)
    assert (loaded.name, loaded.description) == ("pair", "Two agents.")
    result = await loaded.run(task="go")
    assert result.stop_reason == "Text 'DONE' mentioned"
    assert loaded.dump_component() == model


async def test_teams_nest_as_participants() -> None:
    inner = RoundRobinGroupChat(
        [Scripted("writer", ["draft 1", "draft 2"]), Scripted("editor", ["ok", "ok again"])],
        max_turns=2,
        name="inner",
    )
    reviewer = Scripted("reviewer", ["looks good", "still good"])
    outer = RoundRobinGroupChat([inner, reviewer], max_turns=2)
    result = await outer.run(task="write")
    assert texts(result.messages) == [
        ("user", "write"),
        ("writer", "draft 1"),
        ("editor", "ok"),
        ("reviewer", "looks good"),
    ]
    assert reviewer.seen == [["write", "draft 1", "ok"]]
    state = await outer.save_state()
    assert state["agent_states"]["inner"]["agent_state"]["type"] == "TeamState"
    second = await outer.run(task="again")
    assert texts(second.messages)[1:3] == [("writer", "draft 2"), ("editor", "ok again")]


async def test_teams_share_a_runtime_the_caller_manages() -> None:
    runtime = SingleThreadedAgentRuntime()
    runtime.start()
    try:
        first = RoundRobinGroupChat([Scripted("a", ["a1"])], max_turns=1, runtime=runtime)
        second = RoundRobinGroupChat([Scripted("a", ["x1"])], max_turns=1, runtime=runtime)
        one, two = await asyncio.gather(first.run(task="go"), second.run(task="go"))
        assert texts(one.messages)[-1] == ("a", "a1")
        assert texts(two.messages)[-1] == ("a", "x1")
        agent_id = AgentId(f"a_{first._team_id}", first._team_id)  # pyright: ignore[reportPrivateUsage]
        metadata = await runtime.agent_metadata(agent_id)
        assert metadata["description"] == "Scripted agent a."
        state = await first.save_state()
        assert list(state["agent_states"]) == ["a", "RoundRobinGroupChatManager"]
    finally:
        await runtime.close()


class Plan(BaseModel):
    steps: list[str]


async def test_structured_output_participants_register_their_message_type() -> None:
    planner = AssistantAgent(
        "planner", ReplayChatCompletionClient(['{"steps": ["a", "b"]}']), output_content_type=Plan
    )
    team = RoundRobinGroupChat([planner], max_turns=1)
    result = await team.run(task="plan")
    assert result.messages[-1].to_text() == '{"steps":["a","b"]}'
    state = await team.save_state()
    other = RoundRobinGroupChat(
        [AssistantAgent("planner", ReplayChatCompletionClient(["x"]), output_content_type=Plan)],
        max_turns=1,
    )
    await other.load_state(state)
    restored = await other.save_state()
    assert (
        restored["agent_states"]["RoundRobinGroupChatManager"]["message_thread"][1]["type"]
        == "StructuredMessage[Plan]"
    )


def test_condition_type_is_termination_condition() -> None:
    assert isinstance(TextMentionTermination("x"), TerminationCondition)


def test_a_team_runs_in_one_event_loop_after_another() -> None:
    a = Scripted("a", ["a1", "a2"])
    team = RoundRobinGroupChat([a], max_turns=1)
    first = asyncio.run(team.run(task="one"))
    second = asyncio.run(team.run(task="two"))
    assert texts(first.messages) == [("user", "one"), ("a", "a1")]
    assert texts(second.messages) == [("user", "two"), ("a", "a2")]
    state = asyncio.run(team.save_state())
    assert len(state["agent_states"]["RoundRobinGroupChatManager"]["message_thread"]) == 4


async def test_messages_go_to_the_events_logger_when_it_listens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = RoundRobinGroupChat([Scripted("a", ["a1"])], max_turns=1)
    with caplog.at_level("INFO", logger="parlay_agentchat.events"):
        await team.run(task="go")
    logged = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "parlay_agentchat.events"
    ]
    assert [(m["type"], m["source"], m["content"]) for m in logged] == [
        ("TextMessage", "user", "go"),
        ("TextMessage", "a", "a1"),
    ]


async def test_task_result_dumps_every_message_with_its_fields() -> None:
    team = RoundRobinGroupChat([Scripted("a", ["a1"])], max_turns=1)
    result = await team.run(task="go")
    dumped = json.loads(result.model_dump_json())
    assert [(m["type"], m["content"]) for m in dumped["messages"]] == [
        ("TextMessage", "go"),
        ("TextMessage", "a1"),
    ]
    assert dumped["stop_reason"] == "Maximum number of turns 1 reached."
