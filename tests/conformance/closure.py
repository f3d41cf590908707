"""Runtime conformance: closure. Shared by every runtime's suite (see tests/conformance)."""

from __future__ import annotations

import asyncio

import pytest

from parlay_core import (
    AgentId,
    CancellationToken,
    CantHandleException,
    ClosureAgent,
    ClosureContext,
    DefaultTopicId,
    MessageContext,
    TopicId,
    TypeSubscription,
)
from tests.conformance import RuntimeUnderTest
from tests.core._agents import Echo, Note, Ping, Pong

__all__ = [
    "test_closure_can_send_and_answer_rpcs",
    "test_closure_collects_published_messages",
    "test_closure_unknown_type_policies",
]


async def test_closure_collects_published_messages(runtime: RuntimeUnderTest) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def collect(ctx: ClosureContext, message: Note, msg_ctx: MessageContext) -> None:
        await queue.put(f"{ctx.id.key}:{message.text}")

    await ClosureAgent.register_closure(
        runtime,
        "collector",
        collect,
        subscriptions=lambda: [TypeSubscription("results", "collector")],
    )
    await runtime.publish_message(Note("done"), TopicId("results", "job1"))
    await runtime.stop_when_idle()
    assert queue.get_nowait() == "job1:done"


async def test_closure_can_send_and_answer_rpcs(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)

    async def ask(ctx: ClosureContext, message: Ping, msg_ctx: MessageContext) -> Pong:
        reply = await ctx.send_message(message, AgentId("echo", "e"))
        assert isinstance(reply, Pong)
        return Pong(f"closure saw {reply.text}")

    await ClosureAgent.register_closure(runtime, "asker", ask)
    assert await runtime.send_message(Ping("q"), AgentId("asker", "a")) == Pong("closure saw q->e")


async def test_closure_unknown_type_policies(runtime: RuntimeUnderTest) -> None:
    async def notes_only(ctx: ClosureContext, message: Note, msg_ctx: MessageContext) -> None:
        pass

    await ClosureAgent.register_closure(runtime, "strict", notes_only, unknown_type_policy="error")
    await ClosureAgent.register_closure(runtime, "lenient", notes_only, unknown_type_policy="warn")
    with pytest.raises(CantHandleException, match="expects"):
        await runtime.send_message(Ping(), AgentId("strict", "a"))
    # an RPC never silently returns None, whatever the policy
    with pytest.raises(CantHandleException):
        await runtime.send_message(Ping(), AgentId("lenient", "a"))
    closure_agent = await runtime.try_get_underlying_agent_instance(
        AgentId("lenient", "a"), ClosureAgent
    )
    ctx = MessageContext(None, DefaultTopicId(), False, CancellationToken(), "m")
    with pytest.warns(UserWarning, match="expects"):
        assert await closure_agent.on_message(Ping(), ctx) is None
