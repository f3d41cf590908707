"""Direct messages (send_message): delivery, responses, errors."""

from __future__ import annotations

import asyncio

import pytest

from parlay_core import (
    AgentId,
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from parlay_core.exceptions import (
    RuntimeStateError,
)

from ._agents import Echo, Note, Ping, Pong


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
