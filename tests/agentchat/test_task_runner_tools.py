"""AgentTool and TeamTool: agents and teams called as tools, and their component configs."""

from __future__ import annotations

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import TextMessage, ToolCallSummaryMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.tools import AgentTool, TeamTool
from parlay_core import CancellationToken
from parlay_core.exceptions import ToolArgumentsError

from ._support import call, replay, tool_calls


def _writer() -> AssistantAgent:
    return AssistantAgent("writer", replay("A poem about tea."), description="Writes poems.")


async def test_an_agent_tool_runs_the_agent_and_returns_its_words() -> None:
    tool = AgentTool(_writer())
    assert tool.name == "writer"
    assert tool.description == "Writes poems."
    parameters = tool.schema.get("parameters")
    assert parameters is not None
    assert parameters.get("required") == ["task"]

    boss = AssistantAgent(
        "boss", replay(tool_calls(call("writer", task="Write about tea."))), tools=[tool]
    )
    result = await boss.run(task="I need a poem.")

    summary = result.messages[-1]
    assert isinstance(summary, ToolCallSummaryMessage)
    assert summary.content == "writer: A poem about tea."
    # The inner agent's message is streamed through the outer run.
    inner = [m for m in result.messages if isinstance(m, TextMessage) and m.source == "writer"]
    assert [m.content for m in inner] == ["A poem about tea."]


async def test_last_message_only() -> None:
    tool = AgentTool(_writer(), return_value_as_last_message=True)
    value = await tool.run_json({"task": "Tea?"}, CancellationToken())
    assert tool.return_value_as_string(value) == "A poem about tea."
    # The run starts with the task, as the agent's own run does.
    assert [(m.source, m.to_text()) for m in value.messages] == [
        ("user", "Tea?"),
        ("writer", "A poem about tea."),
    ]


async def test_the_model_reads_the_run_without_its_own_task() -> None:
    tool = AgentTool(_writer())
    value = await tool.run_json({"task": "Tea?"}, CancellationToken())
    assert value.messages[0].source == "user"
    assert tool.return_value_as_string(value) == "writer: A poem about tea."


async def test_unexpected_arguments_are_refused() -> None:
    tool = AgentTool(_writer())
    assert tool.schema.get("strict") is True
    with pytest.raises(ToolArgumentsError, match="unexpected"):
        await tool.run_json({"task": "Tea?", "style": "haiku"}, CancellationToken())


async def test_the_tool_state_is_the_runner_state() -> None:
    team = RoundRobinGroupChat([AssistantAgent("drafter", replay("Draft."))], max_turns=1)
    tool = TeamTool(team, "poems", "Writes poems.")
    await tool.run_json({"task": "A poem."}, CancellationToken())
    state = await tool.save_state_json()
    assert state == await team.save_state()

    other_team = RoundRobinGroupChat([AssistantAgent("drafter", replay())], max_turns=1)
    other = TeamTool(other_team, "poems", "Writes poems.")
    await other.load_state_json(state)
    assert await other.save_state_json() == state


async def test_a_team_tool_runs_the_team() -> None:
    team = RoundRobinGroupChat(
        [
            AssistantAgent("drafter", replay("Draft one.")),
            AssistantAgent("editor", replay("Edited draft.")),
        ],
        max_turns=2,
    )
    tool = TeamTool(team, "poem_team", "Drafts and edits poems.")
    value = await tool.run_json({"task": "A poem."}, CancellationToken())
    assert value.stop_reason == "Maximum number of turns 2 reached."
    assert tool.return_value_as_string(value) == "drafter: Draft one.\n\neditor: Edited draft."


async def test_bad_arguments_become_an_error_the_model_reads() -> None:
    boss = AssistantAgent(
        "boss", replay(tool_calls(call("writer", topic="tea"))), tools=[AgentTool(_writer())]
    )
    result = await boss.run(task="Go.")
    summary = result.messages[-1]
    assert isinstance(summary, ToolCallSummaryMessage)
    assert "task" in summary.content


async def test_agent_tool_config_round_trip() -> None:
    config = AgentTool(_writer(), return_value_as_last_message=True).dump_component()
    assert config.provider == "parlay_agentchat.tools.AgentTool"
    assert config.component_type == "tool"
    loaded = AgentTool.load_component(config)
    assert loaded.name == "writer"
    value = await loaded.run_json({"task": "Tea?"}, CancellationToken())
    assert loaded.return_value_as_string(value) == "A poem about tea."


async def test_team_tool_config_round_trip_inside_an_agent() -> None:
    team = RoundRobinGroupChat([AssistantAgent("drafter", replay("Draft."))], max_turns=1)
    boss = AssistantAgent(
        "boss",
        replay(tool_calls(call("poems", task="A poem."))),
        tools=[TeamTool(team, "poems", "Writes poems.")],
    )
    loaded = AssistantAgent.load_component(boss.dump_component())
    result = await loaded.run(task="Go.")
    summary = result.messages[-1]
    assert isinstance(summary, ToolCallSummaryMessage)
    assert summary.content == "drafter: Draft."


async def test_a_config_with_autogen_paths_loads() -> None:
    config = AgentTool(_writer()).dump_component().model_dump()
    config["provider"] = "autogen_agentchat.tools.AgentTool"
    config["config"]["agent"]["provider"] = "autogen_agentchat.agents.AssistantAgent"
    loaded = AgentTool.load_component(config)
    assert loaded.name == "writer"
    assert loaded.dump_component().provider == "parlay_agentchat.tools.AgentTool"
