"""Runtime conformance: rpc. Shared by every runtime's suite (see tests/conformance)."""

from __future__ import annotations

import asyncio

import pytest

from parlay_core import (
    AgentId,
    CancellationToken,
    CantHandleException,
    MessageContext,
    RoutedAgent,
    message_handler,
)
from parlay_core.exceptions import (
    AgentTypeNotFoundError,
    HandlerReturnTypeError,
    UndeliverableException,
)
from tests.conformance import RuntimeUnderTest
from tests.core._agents import Echo, Fail, Gate, Note, Ping, Pong, Relay, Relayer, Unknown

__all__ = [
    "test_already_cancelled_token_is_not_delivered",
    "test_handler_exception_reaches_caller_and_runtime_keeps_serving",
    "test_handlers_of_one_agent_run_concurrently",
    "test_non_strict_handler_may_return_anything",
    "test_rpc_from_agent_to_agent_carries_sender",
    "test_rpc_no_handler_raises_cant_handle",
    "test_rpc_returns_the_handler_response",
    "test_rpc_to_event_only_handler_raises_cant_handle",
    "test_token_cancelled_after_the_call_does_not_cancel_the_caller",
    "test_undeclared_return_type_is_an_error",
    "test_unknown_recipient_type_names_the_type",
]


async def test_rpc_returns_the_handler_response(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)
    assert await runtime.send_message(Ping("hi"), AgentId("echo", "k1")) == Pong("hi->k1")


async def test_rpc_from_agent_to_agent_carries_sender(runtime: RuntimeUnderTest) -> None:
    seen: list[AgentId | None] = []

    class Spy(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("spy")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            seen.append(ctx.sender)
            assert ctx.is_rpc and ctx.topic_id is None
            return Pong()

    await Spy.register(runtime, "spy", Spy)
    await Relayer.register(runtime, "relayer", Relayer)
    assert await runtime.send_message(Relay("spy", "s"), AgentId("relayer", "r")) == Pong()
    assert seen == [AgentId("relayer", "r")]


async def test_handler_exception_reaches_caller_and_runtime_keeps_serving(
    runtime: RuntimeUnderTest,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(ValueError, match="neg"):
        await runtime.send_message(Fail("neg"), AgentId("echo", "a"))
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")


async def test_unknown_recipient_type_names_the_type(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(AgentTypeNotFoundError, match="'nobody'") as info:
        await runtime.send_message(Ping(), AgentId("nobody", "x"))
    assert isinstance(info.value, UndeliverableException)
    assert isinstance(info.value, LookupError)
    assert "echo" in str(info.value)  # lists what is registered


async def test_rpc_no_handler_raises_cant_handle(runtime: RuntimeUnderTest) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(CantHandleException, match="Unknown"):
        await runtime.send_message(Unknown(), AgentId("echo", "a"))


async def test_rpc_to_event_only_handler_raises_cant_handle(
    runtime: RuntimeUnderTest,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(CantHandleException, match="direct message"):
        await runtime.send_message(Note("x"), AgentId("echo", "a"))


async def test_undeclared_return_type_is_an_error(runtime: RuntimeUnderTest) -> None:
    class Liar(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("liar")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            return "not a pong"  # type: ignore[return-value]

    await Liar.register(runtime, "liar", Liar)
    with pytest.raises(HandlerReturnTypeError, match="returned str") as info:
        await runtime.send_message(Ping(), AgentId("liar", "a"))
    assert isinstance(info.value, ValueError)


async def test_non_strict_handler_may_return_anything(runtime: RuntimeUnderTest) -> None:
    class Loose(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("loose")

        @message_handler(strict=False)
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            return "text"  # type: ignore[return-value]

    await Loose.register(runtime, "loose", Loose)
    assert await runtime.send_message(Ping(), AgentId("loose", "a")) == "text"


async def test_handlers_of_one_agent_run_concurrently(runtime: RuntimeUnderTest) -> None:
    gate = asyncio.Event()
    entered: list[str] = []
    await Gate.register(runtime, "gate", lambda: Gate(gate, entered))
    first = asyncio.create_task(runtime.send_message(Ping("a"), AgentId("gate", "k")))
    second = asyncio.create_task(runtime.send_message(Ping("b"), AgentId("gate", "k")))
    while len(entered) < 2:
        await asyncio.sleep(0)
    assert sorted(entered) == ["a", "b"]  # both entered before either finished
    gate.set()
    assert {(await first).text, (await second).text} == {"a", "b"}


async def test_token_cancelled_after_the_call_does_not_cancel_the_caller(
    runtime: RuntimeUnderTest,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    token = CancellationToken()
    assert await runtime.send_message(
        Ping(), AgentId("echo", "a"), cancellation_token=token
    ) == Pong("ping->a")
    token.cancel()
    await asyncio.sleep(0)  # would raise CancelledError here if the task had been cancelled
    assert await runtime.send_message(Ping(), AgentId("echo", "b")) == Pong("ping->b")


async def test_already_cancelled_token_is_not_delivered(
    runtime: RuntimeUnderTest,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runtime.send_message(Ping(), AgentId("echo", "a"), cancellation_token=token)
    assert AgentId("echo", "a") not in (await runtime.save_state())
