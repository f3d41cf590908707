"""GenAI spans (create_agent, invoke_agent, execute_tool): recorded with a tracer, free without."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from parlay_core import (
    AgentId,
    AgentInstantiationContext,
    CancellationToken,
    trace_create_agent_span,
    trace_invoke_agent_span,
    trace_tool_span,
)
from parlay_core.tools import FunctionTool


def _tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_without_a_tracer_provider_nothing_is_recorded() -> None:
    # The default global provider is the API's proxy: the helpers hand out a span that records
    # nothing, and never ask it for a tracer.
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    with trace_tool_span("add") as span:
        assert not span.is_recording()
    with trace_invoke_agent_span("a"), trace_create_agent_span("a") as span:
        assert not span.is_recording()


def test_tool_span_follows_the_genai_conventions() -> None:
    provider, exporter = _tracing()
    tracer = provider.get_tracer("test")
    with trace_tool_span(
        "add", tracer=tracer, tool_description="Adds.", tool_call_id="call-1"
    ) as span:
        assert span.is_recording()
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "execute_tool add"
    assert finished.kind is SpanKind.INTERNAL
    assert dict(finished.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.system": "autogen",
        "gen_ai.tool.name": "add",
        "gen_ai.tool.description": "Adds.",
        "gen_ai.tool.call.id": "call-1",
    }


def test_an_error_is_recorded_and_reraised() -> None:
    provider, exporter = _tracing()
    with pytest.raises(KeyError), trace_invoke_agent_span("a", tracer=provider.get_tracer("t")):
        raise KeyError("x")
    (finished,) = exporter.get_finished_spans()
    assert not finished.status.is_ok
    assert dict(finished.attributes or {})["error.type"] == "KeyError"
    assert [e.name for e in finished.events] == ["exception"]


def test_agent_spans_carry_the_agent_and_an_explicit_parent() -> None:
    provider, exporter = _tracing()
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("outer") as outer:
        pass
    with (
        AgentInstantiationContext.populate_context((object(), AgentId("writer", "k"))),  # type: ignore[arg-type]
        trace_create_agent_span("writer", tracer=tracer, agent_description="Writes."),
    ):
        pass
    with trace_invoke_agent_span("writer", tracer=tracer, parent=outer, agent_id="writer/k"):
        pass
    _, create, invoke = exporter.get_finished_spans()
    assert create.name == "create_agent writer"
    assert create.kind is SpanKind.CLIENT
    create_attributes = dict(create.attributes or {})
    # Inside a runtime's factory, the agent id comes from the instantiation context.
    assert create_attributes["gen_ai.agent.id"] == "writer/k"
    assert create_attributes["gen_ai.agent.description"] == "Writes."
    assert create_attributes["gen_ai.operation.name"] == "create_agent"
    assert invoke.name == "invoke_agent writer"
    assert invoke.parent is not None and invoke.parent.span_id == outer.get_span_context().span_id
    assert dict(invoke.attributes or {})["gen_ai.agent.id"] == "writer/k"


async def test_a_tool_call_records_an_execute_tool_span(monkeypatch: pytest.MonkeyPatch) -> None:
    provider, exporter = _tracing()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)

    def add(a: int, b: int) -> int:
        return a + b

    tool = FunctionTool(add, description="Adds two numbers.")
    assert await tool.run_json({"a": 1, "b": 2}, CancellationToken(), call_id="c1") == 3
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "execute_tool add"
    assert dict(finished.attributes or {})["gen_ai.tool.call.id"] == "c1"
