"""Runtime conformance: registration. Shared by every runtime's suite (see tests/conformance)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from parlay_core import (
    AgentId,
    AgentInstantiationContext,
    AgentType,
    RoutedAgent,
)
from parlay_core.exceptions import (
    AgentClassMismatchError,
    AgentInstantiationError,
    AgentRegistrationError,
    RuntimeStateError,
    UndeliverableException,
)
from tests.conformance import RuntimeUnderTest
from tests.core._agents import Echo, Ping, Pong

__all__ = [
    "test_async_factory_creates_one_instance_under_concurrent_first_messages",
    "test_factory_returning_a_shared_instance_is_refused",
    "test_factory_returning_the_wrong_class",
    "test_get_is_lazy_unless_asked",
    "test_instantiation_context_is_set_inside_factories",
    "test_invalid_agent_type_name",
    "test_legacy_two_argument_factory",
    "test_register_instance",
    "test_registering_a_type_twice_is_refused",
    "test_try_get_underlying_agent_instance_checks_the_class",
]


async def test_registering_a_type_twice_is_refused(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(AgentRegistrationError, match="'echo' is already registered") as info:
        await Echo.register(runtime, "echo", Echo)
    assert isinstance(info.value, ValueError)


async def test_invalid_agent_type_name(runtime: RuntimeUnderTest) -> None:
    with pytest.raises(ValueError, match="Invalid agent type"):
        await Echo.register(runtime, "no spaces", Echo)


async def test_factory_returning_the_wrong_class(runtime: RuntimeUnderTest) -> None:
    class Other(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("other")

    await Echo.register(runtime, "echo", Other)  # type: ignore[arg-type]
    with pytest.raises(AgentInstantiationError, match="returned Other, not Echo"):
        await runtime.send_message(Ping(), AgentId("echo", "a"))


async def test_factory_returning_a_shared_instance_is_refused(
    runtime: RuntimeUnderTest,
) -> None:
    made: list[Echo] = []

    def factory() -> Echo:
        if not made:
            made.append(Echo())
        return made[0]

    await Echo.register(runtime, "echo", factory)
    await runtime.send_message(Ping(), AgentId("echo", "a"))
    with pytest.raises(AgentInstantiationError, match="Create a new agent inside the factory"):
        await runtime.send_message(Ping(), AgentId("echo", "b"))


async def test_async_factory_creates_one_instance_under_concurrent_first_messages(
    runtime: RuntimeUnderTest,
) -> None:
    created: list[AgentId] = []

    async def factory() -> Echo:
        await asyncio.sleep(0.01)
        agent = Echo()
        created.append(agent.id)
        return agent

    await Echo.register(runtime, "echo", factory)
    results = await asyncio.gather(
        *(runtime.send_message(Ping(), AgentId("echo", "k")) for _ in range(5))
    )
    assert results == [Pong("ping->k")] * 5
    assert created == [AgentId("echo", "k")]


async def test_legacy_two_argument_factory(runtime: RuntimeUnderTest) -> None:
    seen: list[tuple[Any, AgentId]] = []

    def factory(rt: Any, agent_id: AgentId) -> Echo:
        seen.append((rt, agent_id))
        return Echo()

    await Echo.register(runtime, "echo", factory)  # type: ignore[arg-type]
    await runtime.send_message(Ping(), AgentId("echo", "a"))
    assert seen == [(runtime, AgentId("echo", "a"))]


async def test_instantiation_context_is_set_inside_factories(
    runtime: RuntimeUnderTest,
) -> None:
    seen: list[tuple[Any, AgentId]] = []

    def factory() -> Echo:
        seen.append(
            (
                AgentInstantiationContext.current_runtime(),
                AgentInstantiationContext.current_agent_id(),
            )
        )
        return Echo()

    await Echo.register(runtime, "echo", factory)
    assert not AgentInstantiationContext.is_in_factory_call()
    await runtime.get("echo", "k", lazy=False)
    assert seen == [(runtime, AgentId("echo", "k"))]
    with pytest.raises(RuntimeError, match="No agent is being instantiated"):
        AgentInstantiationContext.current_agent_id()


async def test_get_is_lazy_unless_asked(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)
    assert await runtime.get("echo", "a") == AgentId("echo", "a")
    assert await runtime.get(AgentType("echo")) == AgentId("echo", "default")
    assert await runtime.save_state() == {}
    await runtime.get(AgentId("echo", "b"), lazy=False)
    assert list(await runtime.save_state()) == ["echo/b"]
    metadata = await runtime.agent_metadata(AgentId("echo", "b"))
    assert metadata == {"type": "echo", "key": "b", "description": "echo"}


async def test_register_instance(runtime: RuntimeUnderTest) -> None:
    agent = Echo()
    with pytest.raises(RuntimeStateError, match="register_instance"):
        _ = agent.id
    await agent.register_instance(runtime, AgentId("solo", "one"))
    assert agent.id == AgentId("solo", "one")
    assert await runtime.send_message(Ping(), AgentId("solo", "one")) == Pong("ping->one")
    with pytest.raises(UndeliverableException, match="registered instances only"):
        await runtime.send_message(Ping(), AgentId("solo", "two"))
    with pytest.raises(AgentRegistrationError, match="already registered"):
        await Echo().register_instance(runtime, AgentId("solo", "one"))
    with pytest.raises(AgentRegistrationError, match="already bound"):
        await agent.register_instance(runtime, AgentId("solo", "three"))
    await Echo.register(runtime, "byfactory", Echo)
    with pytest.raises(AgentRegistrationError, match="either a factory or instances"):
        await Echo().register_instance(runtime, AgentId("byfactory", "x"))


async def test_try_get_underlying_agent_instance_checks_the_class(
    runtime: RuntimeUnderTest,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    agent = await runtime.try_get_underlying_agent_instance(AgentId("echo", "a"), Echo)
    assert isinstance(agent, Echo)
    assert await runtime.try_get_underlying_agent_instance(AgentId("echo", "a")) is agent

    class NotEcho(RoutedAgent):
        pass

    with pytest.raises(AgentClassMismatchError, match="not a NotEcho") as info:
        await runtime.try_get_underlying_agent_instance(AgentId("echo", "a"), NotEcho)
    assert isinstance(info.value, TypeError)
