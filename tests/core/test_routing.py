"""RoutedAgent dispatch: types, unions, match= predicates, event/rpc kinds, order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from parlay_core import (
    AgentId,
    CantHandleException,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    event,
    message_handler,
    rpc,
)


@dataclass
class A:
    value: str


@dataclass
class B:
    value: str


@dataclass
class SubA(A):
    pass


class Router(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("router")
        self.calls: list[str] = []

    @message_handler
    async def on_union(self, message: A | B, ctx: MessageContext) -> str:
        self.calls.append(f"union:{message.value}")
        return "union"

    # Sorted before on_union: tried first; only takes A("special").
    @message_handler(match=lambda message, ctx: message.value == "special")
    async def a_special(self, message: A, ctx: MessageContext) -> str:
        self.calls.append("special")
        return "special"

    @rpc
    async def rpc_only(self, message: int, ctx: MessageContext) -> str:
        self.calls.append("rpc")
        return "rpc"

    @event
    async def event_only(self, message: int, ctx: MessageContext) -> None:
        self.calls.append("event")


async def test_union_handler_takes_each_member(runtime: SingleThreadedAgentRuntime) -> None:
    await Router.register(runtime, "r", Router)
    assert await runtime.send_message(A("x"), AgentId("r", "k")) == "union"
    assert await runtime.send_message(B("y"), AgentId("r", "k")) == "union"


async def test_match_predicate_and_alphabetical_order(runtime: SingleThreadedAgentRuntime) -> None:
    await Router.register(runtime, "r", Router)
    assert await runtime.send_message(A("special"), AgentId("r", "k")) == "special"
    assert await runtime.send_message(A("plain"), AgentId("r", "k")) == "union"


async def test_dispatch_is_on_the_exact_type(runtime: SingleThreadedAgentRuntime) -> None:
    await Router.register(runtime, "r", Router)
    with pytest.raises(CantHandleException, match="SubA"):
        await runtime.send_message(SubA("x"), AgentId("r", "k"))


async def test_rpc_and_event_kinds(runtime: SingleThreadedAgentRuntime) -> None:
    await Router.register(runtime, "r", Router)
    assert await runtime.send_message(7, AgentId("r", "k")) == "rpc"
    await runtime.publish_message(7, TopicId("r:", "k"))
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("r", "k"), Router)
    assert agent.calls == ["rpc", "event"]


async def test_handler_table_is_built_once_per_class() -> None:
    table = Router._parlay_handlers  # pyright: ignore[reportPrivateUsage]
    assert [h.__name__ for h in table[A]] == ["a_special", "on_union"]
    assert [h.__name__ for h in table[B]] == ["on_union"]

    class Child(Router):
        @message_handler
        async def on_union(self, message: A | B, ctx: MessageContext) -> str:
            return "child"

    assert Child._parlay_handlers[B][0] is Child.on_union  # pyright: ignore[reportPrivateUsage]
    assert Router._parlay_handlers[B][0] is Router.on_union  # pyright: ignore[reportPrivateUsage]


async def test_decorated_method_checks_types_when_called_directly(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await Router.register(runtime, "r", Router)
    agent = await runtime.try_get_underlying_agent_instance(AgentId("r", "k"), Router)
    ctx = MessageContext(None, None, True, __import__("parlay_core").CancellationToken(), "m1")
    with pytest.raises(CantHandleException, match="not int"):
        await agent.on_union(5, ctx)  # type: ignore[arg-type]


async def test_event_handler_must_return_none() -> None:
    with pytest.raises(TypeError, match="-> None"):

        class Bad(RoutedAgent):
            @event  # type: ignore[arg-type]
            async def on_a(self, message: A, ctx: MessageContext) -> str:
                return "x"
