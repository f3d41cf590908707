"""Runtime behaviours AutoGen code relies on: registration, subscriptions and their errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from parlay_core import (
    AgentId,
    CantHandleException,
    ClosureAgent,
    ClosureContext,
    DefaultSubscription,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
)
from parlay_core.exceptions import AgentInstanceNotFoundError, UndeliverableException

from ._agents import Echo, Note, Ping, Pong


@dataclass
class Other:
    pass


class Quiet(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("quiet")

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        pass


async def test_closure_subscriptions_factory_may_use_default_subscription() -> None:
    runtime = SingleThreadedAgentRuntime()
    seen: list[str] = []

    async def collect(_agent: ClosureContext, message: Note, ctx: MessageContext) -> None:
        seen.append(message.text)

    # AutoGen's own docstring pattern: the factory runs inside the registration, so
    # DefaultSubscription() takes the agent type being registered.
    await ClosureAgent.register_closure(
        runtime, "collector", collect, subscriptions=lambda: [DefaultSubscription()]
    )
    runtime.start()
    await runtime.publish_message(Note("hi"), TopicId("default", "default"))
    await runtime.stop_when_idle()
    assert seen == ["hi"]
    await runtime.close()


def test_mapping_a_topic_a_subscription_does_not_match_is_cant_handle() -> None:
    subscription = TypeSubscription("t1", "a1")
    assert subscription.map_to_agent(TopicId("t1", "s1")) == AgentId("a1", "s1")
    with pytest.raises(CantHandleException) as info:
        subscription.map_to_agent(TopicId("t0", "s1"))
    assert isinstance(info.value, ValueError)  # what earlier Parlay versions raised


async def test_equal_subscriptions_are_refused_with_a_value_error() -> None:
    runtime = SingleThreadedAgentRuntime()
    await runtime.add_subscription(TypeSubscription("default", "a"))
    with pytest.raises(ValueError, match="Subscription already exists"):
        await runtime.add_subscription(TypeSubscription("default", "a"))
    with pytest.raises(ValueError, match="Subscription already exists"):
        await runtime.add_subscription(DefaultSubscription(agent_type="a"))
    await runtime.close()


async def test_instances_of_one_type_must_share_a_class() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo().register_instance(runtime, AgentId("name", "one"))
    # A second instance of the same class joins the type (its direct-topic subscription exists).
    await Echo().register_instance(runtime, AgentId("name", "two"))
    with pytest.raises(ValueError, match="Echo"):
        await Quiet().register_instance(runtime, AgentId("name", "three"))
    runtime.start()
    assert await runtime.send_message(Ping("x"), AgentId("name", "two")) == Pong("x->two")
    await runtime.close()


async def test_a_publish_to_a_missing_instance_key_is_a_runtime_error() -> None:
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=False)
    await Echo().register_instance(runtime, AgentId("name", "default"))
    await runtime.add_subscription(TypeSubscription("news", "name"))
    runtime.start()
    await runtime.publish_message(Note("n"), TopicId("news", "elsewhere"))
    with pytest.raises(AgentInstanceNotFoundError, match="registered instances only") as info:
        await runtime.stop_when_idle()
    # AutoGen raises RuntimeError here; Parlay's error is also an UndeliverableException.
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value, UndeliverableException)
    await runtime.close()


async def test_a_failing_factory_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    runtime = SingleThreadedAgentRuntime()

    def broken() -> Echo:
        raise OSError("disk gone")

    await Echo.register(runtime, "echo", broken)
    await runtime.add_subscription(TypeSubscription("news", "echo"))
    with caplog.at_level(logging.ERROR):
        runtime.start()
        await runtime.publish_message(Note("n"), TopicId("news", "k"))
        await runtime.stop_when_idle()
    assert any("Error constructing agent echo/k" in r.getMessage() for r in caplog.records)
    await runtime.close()


async def test_an_unhandled_published_message_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Quiet.register(runtime, "quiet", Quiet)
    await runtime.add_subscription(TypeSubscription("news", "quiet"))
    with caplog.at_level(logging.INFO):
        runtime.start()
        await runtime.publish_message(Other(), TopicId("news", "k"))
        await runtime.stop_when_idle()
    assert any(r.getMessage().startswith("Unhandled message: Other()") for r in caplog.records)
    await runtime.close()
