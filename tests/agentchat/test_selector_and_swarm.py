"""SelectorGroupChat (model, functions, retries, fallback) and Swarm (handoffs)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.conditions import HandoffTermination, MaxMessageTermination
from parlay_agentchat.exceptions import AgentConfigurationError, InvalidTaskError, TeamRunError
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    SelectorEvent,
)
from parlay_agentchat.teams import RoundRobinGroupChat, SelectorGroupChat, Swarm
from parlay_agentchat.teams._selector import mentioned_names
from parlay_core import load_component
from parlay_core.model_context import BufferedChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    CreateResult,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from parlay_core.testing import ReplayChatCompletionClient
from tests.agentchat._support import Scripted, call, replay, tool_calls

Thread = Sequence[BaseAgentEvent | BaseChatMessage]


def texts(messages: Thread) -> list[tuple[str, str]]:
    return [(m.source, m.to_text()) for m in messages]


def trio() -> list[Scripted]:
    return [
        Scripted("planner", ["plan", "plan 2"]),
        Scripted("coder", ["code", "code 2"]),
        Scripted("tester", ["test", "test 2"]),
    ]


async def test_the_model_selects_each_speaker() -> None:
    selector = ReplayChatCompletionClient(["coder", "The tester should go."])
    team = SelectorGroupChat(trio(), selector, max_turns=2)
    result = await team.run(task="build it")
    assert texts(result.messages) == [("user", "build it"), ("coder", "code"), ("tester", "test")]
    first_prompt = selector.create_calls[0]["messages"][0]
    # Models outside OpenAI's families get the prompt as a user turn, which many need.
    assert isinstance(first_prompt, UserMessage)
    assert "planner: Scripted agent planner." in first_prompt.content
    assert "['planner', 'coder', 'tester']" in first_prompt.content
    assert "user: build it" in first_prompt.content
    second_prompt = selector.create_calls[1]["messages"][0]
    # The previous speaker is not a candidate unless repeats are allowed.
    assert "['planner', 'tester']" in second_prompt.content
    assert "coder: code" in second_prompt.content


async def test_openai_models_get_the_selector_prompt_as_a_system_message() -> None:
    info = ModelInfo(
        vision=False,
        function_calling=True,
        json_output=True,
        family=ModelFamily.GPT_4O,
        structured_output=True,
    )
    selector = ReplayChatCompletionClient(["coder"], model_info=info)
    await SelectorGroupChat(trio(), selector, max_turns=1).run(task="build it")
    assert isinstance(selector.create_calls[0]["messages"][0], SystemMessage)


async def test_each_role_is_one_line_of_the_prompt() -> None:
    wordy = AssistantAgent(
        "wordy", replay("w"), description="Writes long\n   answers.\nOver several lines."
    )
    selector = ReplayChatCompletionClient(["wordy"])
    await SelectorGroupChat([wordy, Scripted("terse", ["t"])], selector, max_turns=1).run(task="go")
    prompt = str(selector.create_calls[0]["messages"][0].content)
    assert "wordy: Writes long answers. Over several lines.\nterse: Scripted agent terse." in prompt


async def test_invalid_replies_are_corrected_then_accepted() -> None:
    selector = ReplayChatCompletionClient(["nobody", "planner or coder", "coder"])
    team = SelectorGroupChat(trio(), selector, max_turns=1)
    result = await team.run(task="go")
    assert texts(result.messages)[-1] == ("coder", "code")
    conversation = selector.create_calls[2]["messages"]
    assert isinstance(conversation[1], AssistantMessage)
    assert isinstance(conversation[2], UserMessage)
    assert "No valid name was mentioned" in str(conversation[2].content)
    assert "Expected exactly one name" in str(conversation[4].content)


async def test_repeated_speaker_is_refused_unless_allowed() -> None:
    selector = ReplayChatCompletionClient(["planner", "planner", "coder"])
    team = SelectorGroupChat(trio(), selector, max_turns=2)
    result = await team.run(task="go")
    assert [s for s, _ in texts(result.messages)] == ["user", "planner", "coder"]
    assert "Repeated speaker is not allowed" in str(
        selector.create_calls[2]["messages"][-1].content
    )

    again = ReplayChatCompletionClient(["planner", "planner"])
    repeating = SelectorGroupChat(trio(), again, max_turns=2, allow_repeated_speaker=True)
    result = await repeating.run(task="go")
    assert [s for s, _ in texts(result.messages)] == ["user", "planner", "planner"]


async def test_fallback_after_failed_attempts_is_the_previous_speaker() -> None:
    selector = ReplayChatCompletionClient(["?", "??", "coder", "x", "y"])
    team = SelectorGroupChat(trio(), selector, max_turns=3, max_selector_attempts=2)
    result = await team.run(task="go")
    # First selection: two bad replies and no previous speaker, so the first candidate.
    # Second: "coder" at once. Third: two bad replies, so coder (the previous speaker) again,
    # even though repeats are not allowed (AutoGen's documented fallback).
    assert [s for s, _ in texts(result.messages)] == ["user", "planner", "coder", "coder"]
    insisting = SelectorGroupChat(
        trio(), ReplayChatCompletionClient(["coder"] * 4), max_turns=2, max_selector_attempts=3
    )
    result = await insisting.run(task="go")
    assert [s for s, _ in texts(result.messages)] == ["user", "coder", "coder"]


async def test_selector_func_and_candidate_func() -> None:
    def selector_func(thread: Thread) -> str | None:
        return "tester" if len(thread) == 1 else None

    async def candidates(thread: Thread) -> list[str]:
        return ["planner"]

    model = ReplayChatCompletionClient([])
    team = SelectorGroupChat(
        trio(), model, max_turns=2, selector_func=selector_func, candidate_func=candidates
    )
    result = await team.run(task="go")
    assert [s for s, _ in texts(result.messages)] == ["user", "tester", "planner"]
    assert model.create_calls == []  # one candidate: no model call

    bad = SelectorGroupChat(trio(), model, selector_func=lambda thread: "ghost")
    with pytest.raises(TeamRunError, match="ghost"):
        await bad.run(task="go")
    empty = SelectorGroupChat(trio(), model, candidate_func=lambda thread: [])
    with pytest.raises(TeamRunError, match="no candidates"):
        await empty.run(task="go")


async def test_selector_streaming_and_model_context_and_state() -> None:
    selector = ReplayChatCompletionClient(["coder please", "tester"])
    team = SelectorGroupChat(
        trio(),
        selector,
        max_turns=1,
        model_client_streaming=True,
        emit_team_events=True,
        model_context=BufferedChatCompletionContext(buffer_size=1),
    )
    items = [item async for item in team.run_stream(task="first task")]
    chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    assert "".join(c.content for c in chunks) == "coder please"
    assert chunks[0].source == "SelectorGroupChatManager"
    # The whole reply follows its chunks as a SelectorEvent, then the selection itself.
    after = [type(i).__name__ for i in items if not isinstance(i, ModelClientStreamingChunkEvent)]
    assert after[:4] == ["TextMessage", "SelectorEvent", "SelectSpeakerEvent", "TextMessage"]
    selector_event = next(i for i in items if isinstance(i, SelectorEvent))
    assert selector_event.content == "coder please"
    state = await team.save_state()
    manager = state["agent_states"]["SelectorGroupChatManager"]
    assert manager["type"] == "SelectorManagerState"
    assert manager["previous_speaker"] == "coder"
    await team.run(task="second task")
    prompt = selector.create_calls[1]["messages"][0].content
    assert "user: second task" in prompt
    assert "first task" not in prompt  # the context keeps one message
    other = SelectorGroupChat(trio(), ReplayChatCompletionClient([]), max_turns=1)
    await other.load_state(state)
    assert (await other.save_state())["agent_states"]["SelectorGroupChatManager"][
        "previous_speaker"
    ] == "coder"


def test_selector_configuration() -> None:
    with pytest.raises(AgentConfigurationError, match="two participants"):
        SelectorGroupChat([Scripted("a")], ReplayChatCompletionClient([]))
    team = SelectorGroupChat(
        [
            AssistantAgent("a", ReplayChatCompletionClient(["x"])),
            AssistantAgent("b", ReplayChatCompletionClient(["y"])),
        ],
        ReplayChatCompletionClient(["a"]),
        termination_condition=MaxMessageTermination(3),
        allow_repeated_speaker=True,
    )
    model = team.dump_component()
    assert model.provider == "parlay_agentchat.teams.SelectorGroupChat"
    assert model.config["allow_repeated_speaker"] is True
    assert "{roles}" in model.config["selector_prompt"]
    loaded = load_component(json.loads(model.model_dump_json()), expected=SelectorGroupChat)
    assert loaded.dump_component() == model


def test_mentioned_names() -> None:
    names = ["coder", "code_reviewer", "planner"]
    assert mentioned_names("The coder should go", names) == {"coder": 1}
    assert mentioned_names("code_reviewer", names) == {"code_reviewer": 1}
    assert mentioned_names(r"code\_reviewer, then coder", names) == {
        "code_reviewer": 1,
        "coder": 1,
    }
    assert mentioned_names("encoder", names) == {}


async def test_swarm_follows_handoffs() -> None:
    alice = AssistantAgent(
        "alice",
        replay(tool_calls(call("transfer_to_bob")), "alice again"),
        handoffs=["bob"],
    )
    bob = AssistantAgent(
        "bob", replay("bob here", tool_calls(call("transfer_to_alice"))), handoffs=["alice"]
    )
    team = Swarm([alice, bob], max_turns=4)
    result = await team.run(task="start")
    chat = [(type(m).__name__, m.source) for m in result.messages if isinstance(m, BaseChatMessage)]
    assert chat == [
        ("TextMessage", "user"),
        ("HandoffMessage", "alice"),
        ("TextMessage", "bob"),  # no handoff: bob keeps the turn
        ("HandoffMessage", "bob"),
        ("TextMessage", "alice"),
    ]
    state = await team.save_state()
    assert state["agent_states"]["SwarmGroupChatManager"]["current_speaker"] == "alice"


async def test_selector_streaming_without_team_events_shows_no_selector_chatter() -> None:
    team = SelectorGroupChat(
        trio(), ReplayChatCompletionClient(["coder"]), max_turns=1, model_client_streaming=True
    )
    result = await team.run(task="go")
    assert [type(m).__name__ for m in result.messages] == ["TextMessage", "TextMessage"]


async def test_swarm_hands_off_to_a_person_and_resumes() -> None:
    agent = AssistantAgent(
        "agent", replay(tool_calls(call("transfer_to_user")), "Thanks!"), handoffs=["user"]
    )
    team = Swarm([agent], termination_condition=HandoffTermination("user"), max_turns=1)
    first = await team.run(task="book a flight")
    assert first.stop_reason == "Handoff to user from agent detected."
    # A start the swarm cannot make is the caller's error, raised as is (a ValueError).
    with pytest.raises(InvalidTaskError, match="HandoffMessage"):
        await team.run(task="just text")
    with pytest.raises(ValueError, match="HandoffMessage"):
        await team.run()
    answer = HandoffMessage(content="Tomorrow, please.", target="agent", source="user")
    second = await team.run(task=answer)
    assert texts(second.messages)[-1] == ("agent", "Thanks!")


async def test_swarm_refuses_bad_setups() -> None:
    with pytest.raises(AgentConfigurationError, match="hand off"):
        Swarm([Scripted("a")])
    inner = RoundRobinGroupChat([AssistantAgent("x", replay("x"), handoffs=["y"])])
    with pytest.raises(TypeError, match=r"Participant .* must be a ChatAgent"):
        Swarm([inner])  # type: ignore[list-item]
    agent = AssistantAgent("a", replay(tool_calls(call("transfer_to_ghost"))), handoffs=["ghost"])
    team = Swarm([agent])
    with pytest.raises(TeamRunError, match="ghost"):
        await team.run(task="go")
    with pytest.raises(InvalidTaskError, match="not a participant"):
        await Swarm([AssistantAgent("b", replay("x"), handoffs=["c"])]).run(
            task=HandoffMessage(content="x", target="zed", source="user")
        )


def test_swarm_config_round_trip() -> None:
    team = Swarm(
        [AssistantAgent("a", replay("x"), handoffs=["b"]), AssistantAgent("b", replay("y"))],
        termination_condition=HandoffTermination("user"),
    )
    model = team.dump_component()
    assert model.provider == "parlay_agentchat.teams.Swarm"
    loaded = load_component(json.loads(model.model_dump_json()), expected=Swarm)
    assert loaded.dump_component() == model


async def test_swarm_passes_the_words_said_with_a_handoff_to_the_target() -> None:
    # A model that writes text next to its handoff call (a thought) explains why it hands
    # over; the target must read it, or it may just hand the conversation back forever.
    said = CreateResult(
        finish_reason="function_calls",
        content=[call("transfer_to_writer")],
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
        cached=False,
        thought="Research done: revenue grew 12%. Writer, please draft the report.",
    )
    planner = AssistantAgent("planner", replay(said), handoffs=["writer"])
    writer_model = replay("Report: revenue grew 12%.")
    writer = AssistantAgent("writer", writer_model, handoffs=["planner"])
    team = Swarm([planner, writer], max_turns=2)
    result = await team.run(task="Research the revenue and write a report.")
    handoff = next(m for m in result.messages if isinstance(m, HandoffMessage))
    assert handoff.context == [
        AssistantMessage(content=said.thought or "", source="planner"),
    ]
    seen = writer_model.create_calls[0]["messages"]
    assert any(isinstance(m, AssistantMessage) and m.content == said.thought for m in seen), (
        "the writer's model did not see the planner's words"
    )
    assert texts(result.messages)[-1] == ("writer", "Report: revenue grew 12%.")
    # The context survives a save and load of the team.
    state = await team.save_state()
    again = Swarm(
        [
            AssistantAgent("planner", replay("x"), handoffs=["writer"]),
            AssistantAgent("writer", replay("y"), handoffs=["planner"]),
        ]
    )
    await again.load_state(state)
    assert await again.save_state() == state
