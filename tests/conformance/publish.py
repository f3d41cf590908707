"""Runtime conformance: publish. Shared by every runtime's suite (see tests/conformance)."""

from __future__ import annotations

import pytest

from parlay_core import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    TopicId,
    TypeSubscription,
    event,
    type_subscription,
)
from tests.conformance import RuntimeUnderTest
from tests.core._agents import Echo, Note, Recorder, Republisher

__all__ = [
    "test_default_topic_id_inside_a_handler_uses_the_agent_key",
    "test_every_registered_type_gets_a_direct_topic",
    "test_publish_handler_exception_is_logged_and_swallowed_by_default",
    "test_publish_reaches_every_subscribed_type_but_not_the_sender",
    "test_publish_to_unregistered_recipient_type_is_logged",
    "test_published_message_context",
    "test_skip_direct_message_subscription",
    "test_stop_when_idle_drains_messages_published_by_handlers",
    "test_type_subscription_creates_one_instance_per_topic_source",
    "test_type_subscription_decorator",
]


async def test_type_subscription_creates_one_instance_per_topic_source(
    runtime: RuntimeUnderTest,
) -> None:
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "boom", lambda: Recorder(log), skip_class_subscriptions=True)
    await runtime.add_subscription(TypeSubscription("t", "boom"))
    await runtime.publish_message(Note("one"), TopicId("t", "src1"))
    await runtime.publish_message(Note("two"), TopicId("t", "src2"))
    await runtime.publish_message(Note("three"), TopicId("t", "src1"))
    await runtime.stop_when_idle()
    assert sorted(log) == [
        ("boom", "src1", "one"),
        ("boom", "src1", "three"),
        ("boom", "src2", "two"),
    ]
    assert set(await runtime.save_state()) == {"boom/src1", "boom/src2"}


async def test_publish_reaches_every_subscribed_type_but_not_the_sender(
    runtime: RuntimeUnderTest,
) -> None:
    log: list[tuple[str, str, str]] = []

    class Announcer(Recorder):
        @event
        async def on_note(self, message: Note, ctx: MessageContext) -> None:
            self._log.append((self.id.type, self.id.key, message.text))
            if message.text == "start":
                await self.publish_message(Note("from-announcer"), DefaultTopicId())

    await Recorder.register(runtime, "r1", lambda: Recorder(log))
    await Recorder.register(runtime, "r2", lambda: Recorder(log))
    await Announcer.register(runtime, "ann", lambda: Announcer(log))
    await runtime.publish_message(Note("start"), DefaultTopicId())
    await runtime.stop_when_idle()
    assert sorted(log) == [
        ("ann", "default", "start"),
        ("r1", "default", "from-announcer"),
        ("r1", "default", "start"),
        ("r2", "default", "from-announcer"),
        ("r2", "default", "start"),
    ]


async def test_published_message_context(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)
    await runtime.add_subscription(TypeSubscription("news", "echo"))
    await runtime.publish_message(Note("n"), TopicId("news", "k"), sender=AgentId("someone", "x"))
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k"), Echo)
    [(text, ctx)] = agent.notes
    assert text == "n"
    assert ctx.is_rpc is False
    assert ctx.topic_id == TopicId("news", "k")
    assert ctx.sender == AgentId("someone", "x")


async def test_every_registered_type_gets_a_direct_topic(
    runtime: RuntimeUnderTest,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    await runtime.publish_message(Note("direct"), TopicId("echo:", "k9"))
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k9"), Echo)
    assert [text for text, _ in agent.notes] == ["direct"]


async def test_skip_direct_message_subscription(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo, skip_direct_message_subscription=True)
    await runtime.publish_message(Note("direct"), TopicId("echo:", "k9"))
    await runtime.stop_when_idle()
    assert await runtime.save_state() == {}


async def test_default_topic_id_inside_a_handler_uses_the_agent_key(
    runtime: RuntimeUnderTest,
) -> None:
    log: list[tuple[str, str, str]] = []

    class Forwarder(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("forwarder")

        @event
        async def on_note(self, message: Note, ctx: MessageContext) -> None:
            await self.publish_message(Note("fwd"), DefaultTopicId())

    await Forwarder.register(runtime, "fwd", Forwarder)
    await Recorder.register(runtime, "rec", lambda: Recorder(log))
    await runtime.publish_message(Note("go"), TopicId("fwd:", "conv42"))
    await runtime.stop_when_idle()
    assert ("rec", "conv42", "fwd") in log
    assert DefaultTopicId() == TopicId("default", "default")  # outside a handler


async def test_type_subscription_decorator(runtime: RuntimeUnderTest) -> None:
    log: list[tuple[str, str, str]] = []

    @type_subscription("alerts")
    class Alerted(Recorder):
        pass

    await Alerted.register(runtime, "alerted", lambda: Alerted(log))
    await runtime.publish_message(Note("a"), TopicId("alerts", "s"))
    await runtime.publish_message(Note("d"), TopicId("default", "s"))
    await runtime.stop_when_idle()
    # the subclass keeps the parent's @default_subscription and adds its own
    assert sorted(log) == [("alerted", "s", "a"), ("alerted", "s", "d")]


async def test_stop_when_idle_drains_messages_published_by_handlers(
    runtime: RuntimeUnderTest,
) -> None:
    log: list[str] = []
    await Republisher.register(
        runtime, "rep", lambda: Republisher(log), skip_class_subscriptions=True
    )
    await runtime.add_subscription(TypeSubscription("chain", "rep"))
    # the republisher is the sender of each follow-up, so each hop goes to a second instance type
    await Republisher.register(
        runtime, "rep2", lambda: Republisher(log), skip_class_subscriptions=True
    )
    await runtime.add_subscription(TypeSubscription("chain", "rep2"))
    await runtime.publish_message(Note("3"), TopicId("chain", "x"))
    await runtime.stop_when_idle()
    # 3 reaches rep and rep2; each republishes 2 to the other, and so on down to 0
    assert sorted(log) == sorted(["3", "3", "2", "2", "1", "1", "0", "0"])


async def test_publish_handler_exception_is_logged_and_swallowed_by_default(
    runtime: RuntimeUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("broken")

        @event
        async def on_note(self, message: Note, ctx: MessageContext) -> None:
            raise KeyError("bad note")

    await Broken.register(runtime, "broken", Broken)
    await runtime.publish_message(Note("x"), TopicId("broken:", "a"))
    await runtime.stop_when_idle()
    assert "broken/a" in caplog.text and "KeyError" in caplog.text


async def test_publish_to_unregistered_recipient_type_is_logged(
    runtime: RuntimeUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    await runtime.add_subscription(TypeSubscription("t", "ghost"))
    await runtime.publish_message(Note("x"), TopicId("t", "s"))
    await runtime.stop_when_idle()
    assert "ghost" in caplog.text
