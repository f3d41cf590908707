"""Registration, lazy instantiation and the bad-input cases around them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from parlay_core import (
    Agent,
    AgentId,
    AgentInstantiationContext,
    AgentType,
    BaseAgent,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from parlay_core.exceptions import (
    AgentClassMismatchError,
    AgentInstantiationError,
    AgentRegistrationError,
    RuntimeStateError,
    UndeliverableException,
)

from ._agents import Echo, Ping, Pong


async def test_registering_a_type_twice_is_refused(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(AgentRegistrationError, match="'echo' is already registered") as info:
        await Echo.register(runtime, "echo", Echo)
    assert isinstance(info.value, ValueError)


async def test_invalid_agent_type_name(runtime: SingleThreadedAgentRuntime) -> None:
    with pytest.raises(ValueError, match="Invalid agent type"):
        await Echo.register(runtime, "no spaces", Echo)


async def test_factory_returning_the_wrong_class(runtime: SingleThreadedAgentRuntime) -> None:
    class Other(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("other")

    await Echo.register(runtime, "echo", Other)  # type: ignore[arg-type]
    with pytest.raises(AgentInstantiationError, match="returned Other, not Echo"):
        await runtime.send_message(Ping(), AgentId("echo", "a"))


async def test_factory_that_raises_then_other_agents_still_work(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    def broken() -> Echo:
        raise OSError("disk gone")

    await Echo.register(runtime, "broken", broken)
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(AgentInstantiationError, match="OSError: disk gone") as info:
        await runtime.send_message(Ping(), AgentId("broken", "a"))
    assert isinstance(info.value.__cause__, OSError)
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")


async def test_factory_returning_a_shared_instance_is_refused(
    runtime: SingleThreadedAgentRuntime,
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
    runtime: SingleThreadedAgentRuntime,
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


async def test_legacy_two_argument_factory(runtime: SingleThreadedAgentRuntime) -> None:
    seen: list[tuple[Any, AgentId]] = []

    def factory(rt: Any, agent_id: AgentId) -> Echo:
        seen.append((rt, agent_id))
        return Echo()

    await Echo.register(runtime, "echo", factory)  # type: ignore[arg-type]
    await runtime.send_message(Ping(), AgentId("echo", "a"))
    assert seen == [(runtime, AgentId("echo", "a"))]


async def test_instantiation_context_is_set_inside_factories(
    runtime: SingleThreadedAgentRuntime,
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


async def test_get_is_lazy_unless_asked(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    assert await runtime.get("echo", "a") == AgentId("echo", "a")
    assert await runtime.get(AgentType("echo")) == AgentId("echo", "default")
    assert await runtime.save_state() == {}
    await runtime.get(AgentId("echo", "b"), lazy=False)
    assert list(await runtime.save_state()) == ["echo/b"]
    metadata = await runtime.agent_metadata(AgentId("echo", "b"))
    assert metadata == {"type": "echo", "key": "b", "description": "echo"}


async def test_register_instance(runtime: SingleThreadedAgentRuntime) -> None:
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
    runtime: SingleThreadedAgentRuntime,
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


async def test_close_closes_every_agent() -> None:
    runtime = SingleThreadedAgentRuntime()
    closed: list[AgentId] = []

    class Closing(Echo):
        async def close(self) -> None:
            closed.append(self.id)

    await Closing.register(runtime, "c", Closing)
    runtime.start()
    await runtime.send_message(Ping(), AgentId("c", "1"))
    await runtime.send_message(Ping(), AgentId("c", "2"))
    await runtime.close()
    assert sorted(map(str, closed)) == ["c/1", "c/2"]


async def test_a_plain_agent_protocol_implementation_can_be_hosted(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    class Minimal(BaseAgent):
        def __init__(self) -> None:
            super().__init__("minimal")

        async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
            return ("got", message)

    await Minimal.register(runtime, "min", Minimal)
    assert await runtime.send_message(Ping(), AgentId("min", "a")) == ("got", Ping())
    assert isinstance(await runtime.try_get_underlying_agent_instance(AgentId("min", "a")), Agent)


async def test_handler_decorator_errors_are_clear() -> None:
    with pytest.raises(TypeError, match="parameter named 'message'"):

        class NoMessage(RoutedAgent):
            @message_handler
            async def handle(self, msg: Ping, ctx: MessageContext) -> None:  # type: ignore[misc]
                pass

    with pytest.raises(TypeError, match="return annotation"):

        class NoReturn(RoutedAgent):
            @message_handler  # type: ignore[arg-type]
            async def handle(self, message: Ping, ctx: MessageContext):  # type: ignore[no-untyped-def]
                pass
