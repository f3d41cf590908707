"""Publish/subscribe: recipients, lazy instances, the direct-topic convention, idle semantics."""

from __future__ import annotations

import asyncio

import pytest

from parlay_core import (
    AgentId,
    DefaultSubscription,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypePrefixSubscription,
    TypeSubscription,
    event,
    type_subscription,
)
from parlay_core.exceptions import SubscriptionNotFoundError

from ._agents import Echo, Note, Recorder, Republisher


async def test_type_subscription_creates_one_instance_per_topic_source(
    runtime: SingleThreadedAgentRuntime,
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
    runtime: SingleThreadedAgentRuntime,
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


async def test_published_message_context(runtime: SingleThreadedAgentRuntime) -> None:
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
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    await runtime.publish_message(Note("direct"), TopicId("echo:", "k9"))
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k9"), Echo)
    assert [text for text, _ in agent.notes] == ["direct"]


async def test_skip_direct_message_subscription(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo, skip_direct_message_subscription=True)
    await runtime.publish_message(Note("direct"), TopicId("echo:", "k9"))
    await runtime.stop_when_idle()
    assert await runtime.save_state() == {}


async def test_default_topic_id_inside_a_handler_uses_the_agent_key(
    runtime: SingleThreadedAgentRuntime,
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


async def test_type_subscription_decorator(runtime: SingleThreadedAgentRuntime) -> None:
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


async def test_prefix_subscription_and_removal(runtime: SingleThreadedAgentRuntime) -> None:
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log), skip_class_subscriptions=True)
    subscription = TypePrefixSubscription("orders.", "rec")
    await runtime.add_subscription(subscription)
    await runtime.add_subscription(subscription)  # adding the same subscription again is a no-op
    await runtime.publish_message(Note("1"), TopicId("orders.new", "s"))
    await runtime.stop_when_idle()
    runtime.start()
    await runtime.remove_subscription(subscription.id)
    await runtime.publish_message(Note("2"), TopicId("orders.new", "s"))
    await runtime.stop_when_idle()
    assert log == [("rec", "s", "1")]
    with pytest.raises(SubscriptionNotFoundError, match=subscription.id) as info:
        await runtime.remove_subscription(subscription.id)
    assert isinstance(info.value, LookupError)


async def test_default_subscription_needs_an_agent_type_outside_register() -> None:
    with pytest.raises(RuntimeError, match="agent_type"):
        DefaultSubscription()
    assert DefaultSubscription(agent_type="x").agent_type == "x"


async def test_stop_when_idle_drains_messages_published_by_handlers(
    runtime: SingleThreadedAgentRuntime,
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
    runtime: SingleThreadedAgentRuntime, caplog: pytest.LogCaptureFixture
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


async def test_publish_handler_exception_is_raised_when_not_ignored() -> None:
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=False)

    class Broken(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("broken")

        @event
        async def on_note(self, message: Note, ctx: MessageContext) -> None:
            raise KeyError("bad note")

    await Broken.register(runtime, "broken", Broken)
    runtime.start()
    await runtime.publish_message(Note("x"), TopicId("broken:", "a"))
    with pytest.raises(KeyError, match="bad note"):
        await runtime.stop_when_idle()
    runtime.start()  # usable again after the error
    await runtime.close()


async def test_publish_to_unregistered_recipient_type_is_logged(
    runtime: SingleThreadedAgentRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    await runtime.add_subscription(TypeSubscription("t", "ghost"))
    await runtime.publish_message(Note("x"), TopicId("t", "s"))
    await runtime.stop_when_idle()
    assert "ghost" in caplog.text


async def test_publish_before_start_and_stop_when(runtime: SingleThreadedAgentRuntime) -> None:
    await runtime.stop()
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log))
    for i in range(3):
        await runtime.publish_message(Note(str(i)), DefaultTopicId())
    assert log == []
    runtime.start()
    await asyncio.wait_for(runtime.stop_when(lambda: len(log) == 3), 5)
    assert sorted(text for _, _, text in log) == ["0", "1", "2"]
