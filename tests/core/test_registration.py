"""Registration, lazy instantiation and the bad-input cases around them."""

from __future__ import annotations

from typing import Any

import pytest

from parlay_core import (
    Agent,
    AgentId,
    BaseAgent,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from parlay_core.exceptions import (
    AgentInstantiationError,
)

from ._agents import Echo, Ping, Pong


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
