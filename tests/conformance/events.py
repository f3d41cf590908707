"""Runtime conformance: event logging. Shared by every runtime's suite (see tests/conformance).

Both runtimes are one runtime layer over different transports, so the same program logs the
same ``MessageEvent`` and ``MessageDroppedEvent`` records, whatever carries the messages.
These tests use ``make_runtime``: a started runtime built with the given intervention handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from parlay_core import (
    EVENT_LOGGER_NAME,
    AgentId,
    DefaultInterventionHandler,
    DropMessage,
    MessageContext,
    TopicId,
    TypeSubscription,
)
from parlay_core.exceptions import MessageDroppedException
from parlay_core.logging import MessageDroppedEvent, MessageEvent
from tests.conformance import RuntimeFactory
from tests.core._agents import Echo, Note, Ping, Pong, Recorder

__all__ = [
    "event_log",
    "test_dropped_messages_are_logged_with_their_kind_and_the_message_as_it_was",
    "test_sends_and_publishes_are_logged_as_message_events",
]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.events: list[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(record.msg)


@pytest.fixture
def event_log() -> Iterator[list[Any]]:
    """The event objects logged to ``parlay_core.events`` during the test."""
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    handler = _Collect()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _fields(events: list[Any], kind: type[Any]) -> list[dict[str, Any]]:
    return [dict(event.kwargs) for event in events if isinstance(event, kind)]


async def test_sends_and_publishes_are_logged_as_message_events(
    make_runtime: RuntimeFactory, event_log: list[Any]
) -> None:
    runtime = await make_runtime([])
    await Echo.register(runtime, "echo", Echo)
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log), skip_class_subscriptions=True)
    await runtime.add_subscription(TypeSubscription("t", "rec"))
    assert await runtime.send_message(Ping("hi"), AgentId("echo", "k")) == Pong("hi->k")
    await runtime.publish_message(Note("n"), TopicId("t", "s"), sender=AgentId("echo", "k"))
    await runtime.stop_when_idle()
    assert log == [("rec", "s", "n")]
    assert _fields(event_log, MessageEvent) == [
        {
            "type": "MessageEvent",
            "payload": Ping("hi"),
            "sender": None,
            "receiver": AgentId("echo", "k"),
            "kind": "DIRECT",
            "delivery_stage": "SEND",
        },
        {
            "type": "MessageEvent",
            "payload": Note("n"),
            "sender": AgentId("echo", "k"),
            "receiver": TopicId("t", "s"),
            "kind": "PUBLISH",
            "delivery_stage": "SEND",
        },
    ]
    assert _fields(event_log, MessageDroppedEvent) == []


class _Dropper(DefaultInterventionHandler):
    """Drops a Ping("drop") on send, a Pong("keep->k") on response and every published Note."""

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        return DropMessage if message == Ping("drop") else message

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        return DropMessage if isinstance(message, Note) else message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return DropMessage if message == Pong("keep->k") else message


async def test_dropped_messages_are_logged_with_their_kind_and_the_message_as_it_was(
    make_runtime: RuntimeFactory, event_log: list[Any]
) -> None:
    runtime = await make_runtime([_Dropper()])
    await Echo.register(runtime, "echo", Echo)
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log), skip_class_subscriptions=True)
    await runtime.add_subscription(TypeSubscription("t", "rec"))
    with pytest.raises(MessageDroppedException):
        await runtime.send_message(Ping("drop"), AgentId("echo", "k"))
    with pytest.raises(MessageDroppedException):
        await runtime.send_message(Ping("keep"), AgentId("echo", "k"))
    await runtime.publish_message(Note("n"), TopicId("t", "k"))
    await runtime.stop_when_idle()
    assert _fields(event_log, MessageDroppedEvent) == [
        {
            "type": "MessageDroppedEvent",
            "payload": Ping("drop"),
            "sender": None,
            "receiver": AgentId("echo", "k"),
            "kind": "DIRECT",
        },
        {
            "type": "MessageDroppedEvent",
            "payload": Pong("keep->k"),
            "sender": AgentId("echo", "k"),
            "receiver": None,
            "kind": "RESPOND",
        },
        {
            "type": "MessageDroppedEvent",
            "payload": Note("n"),
            "sender": None,
            "receiver": TopicId("t", "k"),
            "kind": "PUBLISH",
        },
    ]
    assert log == []  # dropped before delivery
