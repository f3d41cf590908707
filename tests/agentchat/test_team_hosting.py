"""A team split between several hosts of one runtime: ``team_id=`` and ``hosted=``."""

from __future__ import annotations

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import SingleThreadedAgentRuntime
from parlay_core.testing import ReplayChatCompletionClient

MANAGER = "RoundRobinGroupChatManager"


def _team(runtime: SingleThreadedAgentRuntime, hosted: list[str], tag: str) -> RoundRobinGroupChat:
    agents = [
        AssistantAgent(name, ReplayChatCompletionClient([f"{name} from {tag}"] * 2))
        for name in ("writer", "critic")
    ]
    return RoundRobinGroupChat(
        agents, max_turns=4, runtime=runtime, team_id="shared", hosted=hosted
    )


async def test_three_team_objects_with_one_id_form_one_team() -> None:
    runtime = SingleThreadedAgentRuntime()
    await _team(runtime, ["writer"], "host-w").host()
    await _team(runtime, ["critic"], "host-c").host()
    manager_side = _team(runtime, [MANAGER], "manager")
    runtime.start()
    result = await manager_side.run(task="go")
    await runtime.stop_when_idle()
    said = [(m.source, m.content) for m in result.messages if isinstance(m, TextMessage)]
    # Each participant answered from the team object that hosts it, in turn.
    assert said == [
        ("user", "go"),
        ("writer", "writer from host-w"),
        ("critic", "critic from host-c"),
        ("writer", "writer from host-w"),
        ("critic", "critic from host-c"),
    ]


async def test_run_needs_the_manager_here() -> None:
    runtime = SingleThreadedAgentRuntime()
    team = _team(runtime, ["writer"], "w")
    with pytest.raises(AgentConfigurationError, match="manager"):
        await team.run(task="go")


def test_hosted_names_and_team_id_are_checked() -> None:
    runtime = SingleThreadedAgentRuntime()
    with pytest.raises(AgentConfigurationError, match="neither participants"):
        _team(runtime, ["editor"], "x")
    agent = AssistantAgent("writer", ReplayChatCompletionClient(["x"]))
    with pytest.raises(AgentConfigurationError, match="team_id"):
        RoundRobinGroupChat([agent], team_id="")
