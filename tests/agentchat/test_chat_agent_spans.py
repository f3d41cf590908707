"""A chat agent records GenAI create_agent and invoke_agent spans when tracing is on."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parlay_agentchat.conditions import MaxMessageTermination
from parlay_agentchat.teams import RoundRobinGroupChat

from ._support import Scripted


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # As if the application had installed this provider globally.
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    return exporter


async def test_creating_and_running_an_agent_is_traced(exporter: InMemorySpanExporter) -> None:
    agent = Scripted("writer", ["one", "two"])
    await agent.run(task="go")
    async for _ in agent.run_stream(task="again"):
        pass
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == [
        "create_agent writer",
        "invoke_agent writer",
        "invoke_agent writer",
    ]
    attributes = dict(spans[1].attributes or {})
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.agent.name"] == "writer"
    assert attributes["gen_ai.agent.description"] == "Scripted agent writer."


async def test_a_failing_run_marks_its_span(exporter: InMemorySpanExporter) -> None:
    agent = Scripted("writer", [])
    with pytest.raises(RuntimeError, match="no reply left"):
        await agent.run(task="go")
    invoke = exporter.get_finished_spans()[-1]
    assert invoke.name == "invoke_agent writer"
    assert not invoke.status.is_ok
    assert dict(invoke.attributes or {})["error.type"] == "RuntimeError"


def test_an_invalid_name_is_recorded_on_the_create_span(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError, match="identifier"):
        Scripted("not valid")
    (create,) = exporter.get_finished_spans()
    assert create.name == "create_agent not valid"
    assert not create.status.is_ok


async def test_each_turn_in_a_team_is_an_invoke_agent_span(
    exporter: InMemorySpanExporter,
) -> None:
    writer, critic = Scripted("writer", ["draft", "final"]), Scripted("critic", ["fix it"])
    team = RoundRobinGroupChat([writer, critic], termination_condition=MaxMessageTermination(4))
    await team.run(task="write")
    turns = [s for s in exporter.get_finished_spans() if s.name.startswith("invoke_agent")]
    assert [s.name for s in turns] == [
        "invoke_agent writer",
        "invoke_agent critic",
        "invoke_agent writer",
    ]
    attributes = dict(turns[1].attributes or {})
    assert attributes["gen_ai.agent.name"] == "critic"
    assert attributes["gen_ai.agent.description"] == "Scripted agent critic."
    # The span names the participant's agent in the team's runtime.
    assert str(attributes["gen_ai.agent.id"]).startswith("critic_")


async def test_a_failing_turn_in_a_team_marks_its_span(exporter: InMemorySpanExporter) -> None:
    team = RoundRobinGroupChat([Scripted("mute", [])], max_turns=1)
    with pytest.raises(RuntimeError, match="no reply left"):
        await team.run(task="speak")
    (turn,) = [s for s in exporter.get_finished_spans() if s.name == "invoke_agent mute"]
    assert not turn.status.is_ok
    assert dict(turn.attributes or {})["error.type"] == "RuntimeError"
