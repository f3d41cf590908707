"""Publish/subscribe: recipients, lazy instances, the direct-topic convention, idle semantics."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from parlay_core import (
    DefaultSubscription,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypePrefixSubscription,
    event,
)
from parlay_core.exceptions import AgentRegistrationError, SubscriptionNotFoundError

from ._agents import Note, Recorder


async def test_prefix_subscription_and_removal(runtime: SingleThreadedAgentRuntime) -> None:
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log), skip_class_subscriptions=True)
    subscription = TypePrefixSubscription("orders.", "rec")
    await runtime.add_subscription(subscription)
    # Adding it again (or an equal one with another id) is a ValueError, as in AutoGen.
    with pytest.raises(AgentRegistrationError, match="Subscription already exists") as dup:
        await runtime.add_subscription(subscription)
    assert isinstance(dup.value, ValueError)
    with pytest.raises(ValueError, match="Subscription already exists"):
        await runtime.add_subscription(TypePrefixSubscription("orders.", "rec"))
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


async def test_stop_drops_published_messages_not_yet_started(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log), skip_class_subscriptions=True)
    await runtime.add_subscription(TypePrefixSubscription("orders.", "rec"))
    await runtime.publish_message(Note("before stop"), TopicId("orders.new", "s"))
    await runtime.stop()  # in the same loop step: the delivery has not started
    runtime.start()  # a restart does not revive it
    await runtime.publish_message(Note("after restart"), TopicId("orders.new", "s"))
    await runtime.stop_when_idle()
    assert log == [("rec", "s", "after restart")]


async def test_deliveries_go_through_the_loops_task_factory(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    log: list[tuple[str, str, str]] = []
    await Recorder.register(runtime, "rec", lambda: Recorder(log), skip_class_subscriptions=True)
    await runtime.add_subscription(TypePrefixSubscription("orders.", "rec"))
    loop = asyncio.get_running_loop()
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro.__qualname__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    try:
        await runtime.publish_message(Note("1"), TopicId("orders.new", "s"))
        await runtime.stop_when_idle()
    finally:
        loop.set_task_factory(None)
    assert log == [("rec", "s", "1")]
    assert made  # the delivery ran in a task the factory made
