"""A team given a runtime nobody started refuses to run at once instead of hanging."""

from __future__ import annotations

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import SingleThreadedAgentRuntime
from parlay_core.exceptions import RuntimeStateError
from tests.agentchat._support import replay


async def test_a_team_on_an_unstarted_runtime_raises_at_once() -> None:
    runtime = SingleThreadedAgentRuntime()
    team = RoundRobinGroupChat(
        [AssistantAgent("writer", replay("Done."))], max_turns=1, runtime=runtime
    )
    with pytest.raises(RuntimeStateError, match=r"runtime\.start\(\)"):
        await team.run(task="Write.")
    with pytest.raises(RuntimeError, match="not started"):
        async for _ in team.run_stream(task="Write."):
            pass
    # Once started, the same team runs: the refusal left nothing behind.
    runtime.start()
    result = await team.run(task="Write.")
    assert [m.to_text() for m in result.messages] == ["Write.", "Done."]
    await runtime.stop()


async def test_the_embedded_runtime_needs_no_start() -> None:
    team = RoundRobinGroupChat([AssistantAgent("writer", replay("Done."))], max_turns=1)
    result = await team.run(task="Write.")
    assert result.stop_reason is not None
