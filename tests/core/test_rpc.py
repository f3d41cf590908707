"""Direct messages (send_message): delivery, responses, errors."""

from __future__ import annotations

import asyncio

import pytest

from parlay_core import (
    AgentId,
    CancellationToken,
    CantHandleException,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from parlay_core.exceptions import (
    AgentTypeNotFoundError,
    HandlerReturnTypeError,
    RuntimeStateError,
    UndeliverableException,
)

from ._agents import Echo, Fail, Gate, Note, Ping, Pong, Relay, Relayer, Unknown


async def test_rpc_returns_the_handler_response(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    assert await runtime.send_message(Ping("hi"), AgentId("echo", "k1")) == Pong("hi->k1")


async def test_rpc_from_agent_to_agent_carries_sender(runtime: SingleThreadedAgentRuntime) -> None:
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
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(ValueError, match="neg"):
        await runtime.send_message(Fail("neg"), AgentId("echo", "a"))
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")


async def test_unknown_recipient_type_names_the_type(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(AgentTypeNotFoundError, match="'nobody'") as info:
        await runtime.send_message(Ping(), AgentId("nobody", "x"))
    assert isinstance(info.value, UndeliverableException)
    assert isinstance(info.value, LookupError)
    assert "echo" in str(info.value)  # lists what is registered


async def test_rpc_no_handler_raises_cant_handle(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(CantHandleException, match="Unknown"):
        await runtime.send_message(Unknown(), AgentId("echo", "a"))


async def test_rpc_to_event_only_handler_raises_cant_handle(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(CantHandleException, match="direct message"):
        await runtime.send_message(Note("x"), AgentId("echo", "a"))


async def test_undeclared_return_type_is_an_error(runtime: SingleThreadedAgentRuntime) -> None:
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


async def test_non_strict_handler_may_return_anything(runtime: SingleThreadedAgentRuntime) -> None:
    class Loose(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("loose")

        @message_handler(strict=False)
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            return "text"  # type: ignore[return-value]

    await Loose.register(runtime, "loose", Loose)
    assert await runtime.send_message(Ping(), AgentId("loose", "a")) == "text"


async def test_handlers_of_one_agent_run_concurrently(runtime: SingleThreadedAgentRuntime) -> None:
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


async def test_cancelling_the_token_cancels_caller_and_handler(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    started = asyncio.Event()
    handler_cancelled = asyncio.Event()

    class Slow(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("slow")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                handler_cancelled.set()
                raise
            return Pong()

    await Slow.register(runtime, "slow", Slow)
    token = CancellationToken()
    call = asyncio.create_task(
        runtime.send_message(Ping(), AgentId("slow", "a"), cancellation_token=token)
    )
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert handler_cancelled.is_set()
    # the runtime is still usable, and a later cancel of that token touches nothing
    await Echo.register(runtime, "echo", Echo)
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")


async def test_token_cancelled_after_the_call_does_not_cancel_the_caller(
    runtime: SingleThreadedAgentRuntime,
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
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await Echo.register(runtime, "echo", Echo)
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runtime.send_message(Ping(), AgentId("echo", "a"), cancellation_token=token)
    assert AgentId("echo", "a") not in (await runtime.save_state())


async def test_send_before_start_is_delivered_on_start() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    call = asyncio.create_task(runtime.send_message(Ping(), AgentId("echo", "a")))
    await asyncio.sleep(0)
    assert runtime.unprocessed_messages_count == 1
    assert not call.done()
    runtime.start()
    assert await asyncio.wait_for(call, 5) == Pong("ping->a")
    await runtime.close()


async def test_process_next_steps_a_runtime_that_is_not_started() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    call = asyncio.create_task(runtime.send_message(Ping(), AgentId("echo", "a")))
    await runtime.process_next()
    assert await asyncio.wait_for(call, 5) == Pong("ping->a")
    await runtime.close()


async def test_runtime_lifecycle_errors() -> None:
    runtime = SingleThreadedAgentRuntime()
    with pytest.raises(RuntimeStateError, match="not started"):
        await runtime.stop()
    runtime.start()
    with pytest.raises(RuntimeStateError, match="already started"):
        runtime.start()
    with pytest.raises(RuntimeStateError, match="running"):
        await runtime.process_next()
    await runtime.stop()
    runtime.start()  # a stopped runtime starts again
    await runtime.close()
    with pytest.raises(RuntimeStateError, match="closed"):
        await runtime.send_message(Ping(), AgentId("echo", "a"))
    with pytest.raises(RuntimeStateError, match="closed"):
        await runtime.publish_message(Note("x"), __import__("parlay_core").TopicId("t", "s"))
    with pytest.raises(RuntimeStateError, match="closed"):
        runtime.start()


async def test_close_fails_messages_still_waiting() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    call = asyncio.create_task(runtime.send_message(Ping(), AgentId("echo", "a")))
    await asyncio.sleep(0)
    await runtime.close()
    with pytest.raises(RuntimeStateError, match="closed"):
        await asyncio.wait_for(call, 5)


async def test_agent_proxy_goes_through_the_runtime(runtime: SingleThreadedAgentRuntime) -> None:
    from parlay_core import AgentProxy

    await Echo.register(runtime, "echo", Echo)
    proxy = AgentProxy(AgentId("echo", "p"), runtime)
    assert proxy.id == AgentId("echo", "p")
    assert await proxy.send_message(Ping("x"), sender=AgentId("someone", "s")) == Pong("x->p")
    assert (await proxy.metadata)["key"] == "p"
    assert await proxy.save_state() == {}
    await proxy.load_state({})
