"""Structured event logs and OpenTelemetry spans: present when asked for, absent otherwise."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from parlay_core import (
    EVENT_LOGGER_NAME,
    AgentId,
    DefaultInterventionHandler,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
)

from ._agents import Echo, Fail, Note, Ping, Pong


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


def _tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


async def test_a_direct_message_gives_autogens_span_tree() -> None:
    provider, exporter = _tracing()
    runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    await runtime.send_message(Ping("x"), AgentId("echo", "a"))
    with pytest.raises(ValueError, match="boom"):
        await runtime.send_message(Fail(), AgentId("echo", "a"))
    await runtime.close()
    spans = exporter.get_finished_spans()
    # Spans are exported as they end: the innermost first.
    assert [s.name for s in spans] == [
        "autogen process echo.(a)-A",
        "autogen send echo.(a)-A",
        "autogen ack",
        "autogen create echo.(a)-A",
        "autogen process echo.(a)-A",
        "autogen send echo.(a)-A",
        "autogen create echo.(a)-A",
    ]
    process, send, ack, create = spans[:4]
    assert send.context is not None and create.context is not None
    # One trace per message: process inside send inside create; ack inside create.
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert send.parent is not None and send.parent.span_id == create.context.span_id
    assert ack.parent is not None and ack.parent.span_id == create.context.span_id
    attributes = dict(process.attributes or {})
    assert attributes["messaging.operation"] == "process"
    assert attributes["messaging.destination"] == "echo.(a)-A"
    assert attributes["recipient_agent_type"] == "echo"
    assert attributes["recipient_agent_class"] == "Echo"
    assert json.loads(str(attributes["message"])) == {"text": "x"}
    assert json.loads(str(attributes["message_context"]))["is_rpc"] is True
    assert dict(create.attributes or {})["messaging.message.type"] == "Ping"
    assert process.kind is SpanKind.CONSUMER and create.kind is SpanKind.PRODUCER
    failed_process = spans[4]
    assert not failed_process.status.is_ok  # the failing handler's span records the error


async def test_a_publish_gives_create_then_publish_around_each_process() -> None:
    provider, exporter = _tracing()
    runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
    await Echo.register(runtime, "echo", Echo)
    await runtime.add_subscription(TypeSubscription("news", "echo"))
    runtime.start()
    await runtime.publish_message(Note("n"), TopicId("news", "s1"), sender=AgentId("echo", "s1"))
    await runtime.publish_message(Note("n"), TopicId("news", "s2"))
    await runtime.stop_when_idle()
    await runtime.close()
    names = [s.name for s in exporter.get_finished_spans()]
    # The sender is not a recipient: the first publish has no process span.
    assert names == [
        "autogen create news.(s1)-T",
        "autogen create news.(s2)-T",
        "autogen publish news.(s1)-T",
        "autogen process echo.(s2)-A",
        "autogen publish news.(s2)-T",
    ]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    publish, process = spans["autogen publish news.(s2)-T"], spans["autogen process echo.(s2)-A"]
    assert publish.context is not None
    assert process.parent is not None and process.parent.span_id == publish.context.span_id


async def test_interventions_get_an_intercept_span_each() -> None:
    provider, exporter = _tracing()

    class Count(DefaultInterventionHandler):
        pass

    runtime = SingleThreadedAgentRuntime(tracer_provider=provider, intervention_handlers=[Count()])
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    await runtime.send_message(Ping("x"), AgentId("echo", "a"))
    await runtime.publish_message(Note("n"), TopicId("echo:", "a"))
    await runtime.stop_when_idle()
    await runtime.close()
    names = [s.name for s in exporter.get_finished_spans()]
    assert names.count("autogen intercept Count") == 2
    assert "autogen process echo.(a)-A" in names


async def test_messages_sent_before_start_are_traced_when_delivered() -> None:
    provider, exporter = _tracing()
    runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
    await Echo.register(runtime, "echo", Echo)
    pending = asyncio.ensure_future(runtime.send_message(Ping("x"), AgentId("echo", "a")))
    await runtime.publish_message(Note("n"), TopicId("echo:", "b"))
    await asyncio.sleep(0)
    runtime.start()
    assert await pending == Pong("x->a")
    await runtime.stop_when_idle()
    await runtime.close()
    names = [s.name for s in exporter.get_finished_spans()]
    assert "autogen create echo.(a)-A" in names
    assert "autogen process echo.(a)-A" in names
    assert names.index("autogen process echo.(b)-A") < names.index("autogen publish echo:.(b)-T")


async def test_the_global_tracer_provider_is_used_when_none_is_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider, exporter = _tracing()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    await runtime.send_message(Ping("x"), AgentId("echo", "a"))
    await runtime.close()
    assert "autogen process echo.(a)-A" in [s.name for s in exporter.get_finished_spans()]


async def test_no_spans_without_a_tracer_provider() -> None:
    runtime = SingleThreadedAgentRuntime()
    # No tracer at all (not a no-op one): the runtime's hot path skips every span.
    assert runtime._tracer is None  # pyright: ignore[reportPrivateUsage]
    assert runtime._host.tracer is None  # pyright: ignore[reportPrivateUsage]
    await runtime.close()


@pytest.mark.parametrize(
    "variable", ["PARLAY_DISABLE_RUNTIME_TRACING", "AUTOGEN_DISABLE_RUNTIME_TRACING"]
)
async def test_runtime_tracing_can_be_switched_off_by_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # Deployments migrated from AutoGen keep their setting: its variable is honoured too.
    monkeypatch.setenv(variable, "true")
    provider, exporter = _tracing()
    runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    await runtime.send_message(Ping("x"), AgentId("echo", "a"))
    await runtime.close()
    assert exporter.get_finished_spans() == ()
