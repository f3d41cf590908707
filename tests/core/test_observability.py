"""Structured event logs and OpenTelemetry spans: present when asked for, absent otherwise."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parlay_core import EVENT_LOGGER_NAME, AgentId, SingleThreadedAgentRuntime, TopicId

from ._agents import Echo, Fail, Note, Ping


async def test_message_events_are_logged_as_json_when_enabled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await runtime.send_message(Ping("x"), AgentId("echo", "a"))
        await runtime.publish_message(Note("n"), TopicId("echo:", "a"))
        await runtime.stop_when_idle()
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == EVENT_LOGGER_NAME]
    assert [(e["type"], e["kind"]) for e in events] == [
        ("MessageEvent", "DIRECT"),
        ("MessageEvent", "PUBLISH"),
    ]
    assert events[0]["receiver"] == "echo/a"
    await runtime.close()


async def test_no_event_records_when_the_logger_is_off(caplog: pytest.LogCaptureFixture) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    with caplog.at_level(logging.WARNING, logger=EVENT_LOGGER_NAME):
        await runtime.send_message(Ping("x"), AgentId("echo", "a"))
    assert [r for r in caplog.records if r.name == EVENT_LOGGER_NAME] == []
    await runtime.close()


async def test_spans_follow_genai_conventions_with_a_tracer_provider() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    await runtime.send_message(Ping("x"), AgentId("echo", "a"))
    with pytest.raises(ValueError, match="boom"):
        await runtime.send_message(Fail(), AgentId("echo", "a"))
    await runtime.close()
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["invoke_agent echo", "invoke_agent echo"]
    attributes = dict(spans[0].attributes or {})
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.agent.id"] == "echo/a"
    assert attributes["parlay.message.type"] == "Ping"
    assert not spans[1].status.is_ok  # the failing handler's span records the error


async def test_no_spans_without_a_tracer_provider() -> None:
    runtime = SingleThreadedAgentRuntime()
    assert runtime._host.tracer is None  # pyright: ignore[reportPrivateUsage]
    await runtime.close()
