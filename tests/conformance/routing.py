"""Runtime conformance: routing. Shared by every runtime's suite (see tests/conformance)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from parlay_core import (
    AgentId,
    CantHandleException,
    MessageContext,
    RoutedAgent,
    TopicId,
    event,
    message_handler,
    rpc,
)
from tests.conformance import RuntimeUnderTest

__all__ = [
    "test_dispatch_is_on_the_exact_type",
    "test_match_predicate_and_alphabetical_order",
    "test_rpc_and_event_kinds",
    "test_union_handler_takes_each_member",
]


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


async def test_union_handler_takes_each_member(runtime: RuntimeUnderTest) -> None:
    await Router.register(runtime, "r", Router)
    assert await runtime.send_message(A("x"), AgentId("r", "k")) == "union"
    assert await runtime.send_message(B("y"), AgentId("r", "k")) == "union"


async def test_match_predicate_and_alphabetical_order(runtime: RuntimeUnderTest) -> None:
    await Router.register(runtime, "r", Router)
    assert await runtime.send_message(A("special"), AgentId("r", "k")) == "special"
    assert await runtime.send_message(A("plain"), AgentId("r", "k")) == "union"


async def test_dispatch_is_on_the_exact_type(runtime: RuntimeUnderTest) -> None:
    await Router.register(runtime, "r", Router)
    with pytest.raises(CantHandleException, match="SubA"):
        await runtime.send_message(SubA("x"), AgentId("r", "k"))


async def test_rpc_and_event_kinds(runtime: RuntimeUnderTest) -> None:
    await Router.register(runtime, "r", Router)
    assert await runtime.send_message(7, AgentId("r", "k")) == "rpc"
    await runtime.publish_message(7, TopicId("r:", "k"))
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("r", "k"), Router)
    assert agent.calls == ["rpc", "event"]
