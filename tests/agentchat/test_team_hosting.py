"""A team split between several hosts of one runtime: ``team_id=`` and ``hosted=``."""

from __future__ import annotations

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.conditions import SourceMatchTermination
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat, SelectorGroupChat, Swarm
from parlay_core import SingleThreadedAgentRuntime
from parlay_core.testing import ReplayChatCompletionClient
from tests.agentchat._support import call, replay, tool_calls

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


async def test_a_swarm_splits_like_a_round_robin() -> None:
    runtime = SingleThreadedAgentRuntime()

    def swarm(hosted: list[str], tag: str) -> Swarm:
        # Alice hands off to Bob (a scripted tool call), Bob answers and the run stops on him.
        alice = AssistantAgent(
            "alice", replay(tool_calls(call("transfer_to_bob"))), handoffs=["bob"]
        )
        bob = AssistantAgent("bob", ReplayChatCompletionClient([f"bob from {tag}"]))
        return Swarm(
            [alice, bob],
            termination_condition=SourceMatchTermination(["bob"]),
            runtime=runtime,
            team_id="swarm",
            hosted=hosted,
        )

    await swarm(["bob"], "host-b").host()
    manager_side = swarm(["SwarmGroupChatManager", "alice"], "manager")
    runtime.start()
    result = await manager_side.run(task="go")
    await runtime.stop_when_idle()
    assert [type(m).__name__ for m in result.messages if m.source != "user"][-2:] == [
        "HandoffMessage",
        "TextMessage",
    ]
    last = result.messages[-1]
    assert isinstance(last, TextMessage) and last.content == "bob from host-b"


async def test_a_selector_team_splits_like_a_round_robin() -> None:
    runtime = SingleThreadedAgentRuntime()

    def selector(hosted: list[str], tag: str) -> SelectorGroupChat:
        agents = [
            AssistantAgent(name, ReplayChatCompletionClient([f"{name} from {tag}"]))
            for name in ("writer", "critic")
        ]
        return SelectorGroupChat(
            agents,
            ReplayChatCompletionClient(["writer", "critic"]),
            max_turns=2,
            runtime=runtime,
            team_id="selected",
            hosted=hosted,
        )

    await selector(["writer"], "host-w").host()
    await selector(["critic"], "host-c").host()
    manager_side = selector(["SelectorGroupChatManager"], "manager")
    runtime.start()
    result = await manager_side.run(task="go")
    await runtime.stop_when_idle()
    said = [(m.source, m.content) for m in result.messages if isinstance(m, TextMessage)]
    assert said == [
        ("user", "go"),
        ("writer", "writer from host-w"),
        ("critic", "critic from host-c"),
    ]
