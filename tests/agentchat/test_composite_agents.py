"""SocietyOfMindAgent and MessageFilterAgent."""

from __future__ import annotations

import json

from parlay_agentchat.agents import (
    AssistantAgent,
    MessageFilterAgent,
    MessageFilterConfig,
    PerSourceFilter,
    SocietyOfMindAgent,
)
from parlay_agentchat.base import TaskResult
from parlay_agentchat.conditions import TextMentionTermination
from parlay_agentchat.messages import TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import CancellationToken, load_component
from parlay_core.models import UserMessage
from parlay_core.testing import ReplayChatCompletionClient
from tests.agentchat._support import Scripted


def inner_team() -> tuple[RoundRobinGroupChat, Scripted, Scripted]:
    writer = Scripted("writer", ["draft", "draft 2"])
    editor = Scripted("editor", ["edited", "edited 2"])
    return RoundRobinGroupChat([writer, editor], max_turns=2), writer, editor


async def test_society_of_mind_runs_the_team_and_sums_up() -> None:
    team, writer, editor = inner_team()
    model = ReplayChatCompletionClient(["Final answer."])
    agent = SocietyOfMindAgent("society", team, model)
    streamed = [m async for m in agent.run_stream(task="Write a poem.")]
    inner = [m for m in streamed[:-1] if not isinstance(m, TaskResult)]
    assert len(inner) == len(streamed) - 1  # one TaskResult, last
    # The inner team's work is streamed, but the agent's output is its answer alone.
    assert [(m.source, m.to_text()) for m in inner] == [
        ("user", "Write a poem."),
        ("writer", "draft"),
        ("editor", "edited"),
        ("society", "Final answer."),
    ]
    prompt = model.create_calls[0]["messages"]
    assert prompt[0] == UserMessage(
        content=(
            "Earlier you were asked to fulfill a request. You and your team worked diligently "
            "to address that request. Here is a transcript of that conversation:"
        ),
        source="user",
    )
    assert prompt[1:4] == [
        UserMessage(content="Write a poem.", source="user"),
        UserMessage(content="draft", source="writer"),
        UserMessage(content="edited", source="editor"),
    ]
    assert "standalone response" in str(prompt[4].content)
    # The inner team was reset after the turn.
    assert writer.calls == editor.calls == ["reset"]
    assert isinstance(streamed[-1], TaskResult)
    assert len(streamed[-1].messages) == 4
    state = await agent.save_state()
    assert state["type"] == "SocietyOfMindAgentState"
    assert state["inner_team_state"]["type"] == "TeamState"
    inner_manager = state["inner_team_state"]["agent_states"]["RoundRobinGroupChatManager"]
    assert inner_manager["message_thread"] == []


async def test_society_of_mind_run_returns_the_task_and_the_answer_only() -> None:
    # As in AutoGen: run() returns the response's inner messages, which the society leaves
    # empty; the inner team's work is only streamed.
    team, writer, _ = inner_team()
    model = ReplayChatCompletionClient(["First.", "Second."])
    agent = SocietyOfMindAgent("society", team, model)
    result = await agent.run(task="Write a poem.")
    assert [(m.source, m.to_text()) for m in result.messages] == [
        ("user", "Write a poem."),
        ("society", "First."),
    ]
    # A later turn gives the reset inner team the earlier messages as a handoff's context.
    result = await agent.run(task="Shorter.")
    assert [m.to_text() for m in result.messages] == ["Shorter.", "Second."]
    assert writer.seen[-1] == ["relevant previous messages", "Shorter."]
    second_prompt = model.create_calls[1]["messages"]
    assert UserMessage(content="Write a poem.", source="user") in second_prompt
    assert UserMessage(content="Shorter.", source="user") in second_prompt


async def test_society_of_mind_without_inner_messages_says_no_response() -> None:
    writer = Scripted("writer", ["never"])
    team = RoundRobinGroupChat([writer], termination_condition=TextMentionTermination("now"))
    agent = SocietyOfMindAgent("society", team, ReplayChatCompletionClient([]))
    response = await agent.on_messages(
        [TextMessage(content="stop now", source="user")], CancellationToken()
    )
    assert response.chat_message.to_text() == "No response."
    assert writer.seen == []


async def test_society_of_mind_as_a_team_participant_and_config() -> None:
    team = RoundRobinGroupChat(
        [
            AssistantAgent("writer", ReplayChatCompletionClient(["draft"])),
            AssistantAgent("editor", ReplayChatCompletionClient(["edited"])),
        ],
        max_turns=2,
    )
    society = SocietyOfMindAgent("society", team, ReplayChatCompletionClient(["Summary."]))
    reviewer = Scripted("reviewer", ["fine"])
    outer = RoundRobinGroupChat([society, reviewer], max_turns=2)
    result = await outer.run(task="go")
    assert [m.source for m in result.messages] == [
        "user",
        "writer",
        "editor",
        "society",
        "reviewer",
    ]
    assert reviewer.seen == [["go", "Summary."]]

    model = society.dump_component()
    assert model.provider == "parlay_agentchat.agents.SocietyOfMindAgent"
    assert model.config["team"]["provider"] == "parlay_agentchat.teams.RoundRobinGroupChat"
    loaded = load_component(json.loads(model.model_dump_json()), expected=SocietyOfMindAgent)
    assert loaded.dump_component() == model


async def test_message_filter_passes_only_the_selected_messages() -> None:
    inner = Scripted("inner", ["ok"])
    agent = MessageFilterAgent(
        "filtered",
        inner,
        MessageFilterConfig(
            per_source=[
                PerSourceFilter(source="user", position="first", count=1),
                PerSourceFilter(source="b", position="last", count=2),
            ]
        ),
    )
    messages = [
        TextMessage(content="u1", source="user"),
        TextMessage(content="a1", source="a"),
        TextMessage(content="b1", source="b"),
        TextMessage(content="u2", source="user"),
        TextMessage(content="b2", source="b"),
        TextMessage(content="b3", source="b"),
    ]
    response = await agent.on_messages(messages, CancellationToken())
    assert inner.seen == [["u1", "b2", "b3"]]
    assert response.chat_message.to_text() == "ok"
    assert agent.produced_message_types == inner.produced_message_types
    await agent.on_reset(CancellationToken())
    assert inner.calls == ["reset"]


async def test_message_filter_config_round_trip() -> None:
    agent = MessageFilterAgent(
        "filtered",
        AssistantAgent("inner", ReplayChatCompletionClient(["x"])),
        MessageFilterConfig(per_source=[PerSourceFilter(source="user")]),
    )
    model = agent.dump_component()
    assert model.provider == "parlay_agentchat.agents.MessageFilterAgent"
    assert model.config["filter"] == {
        "per_source": [{"source": "user", "position": None, "count": None}]
    }
    loaded = load_component(json.loads(model.model_dump_json()), expected=MessageFilterAgent)
    result = await loaded.run(task=[TextMessage(content="hi", source="user")])
    assert result.messages[-1].to_text() == "x"
