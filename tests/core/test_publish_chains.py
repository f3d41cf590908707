"""Handlers that publish as they handle: the runtime keeps publish order, never starves the loop.

Before Python 3.12 the in-process runtime runs such chains of publishes in as few tasks as it
can (its delivery pump); these tests hold for every scheduling, on every Python version.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from parlay_core import (
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
)

# Longer than any number of deliveries a runtime runs in one step of the event loop.
CHAIN = 300


@dataclass
class Hop:
    n: int


class Relay(RoutedAgent):
    """Records each Hop; "a" answers even hops and "b" odd ones with the next hop, to both.

    A relay does not receive its own publish, so the hops alternate between them.
    """

    def __init__(self, log: list[tuple[str, int]], gate: asyncio.Event | None = None) -> None:
        super().__init__("relay")
        self.log = log
        self.gate = gate

    @event
    async def on_hop(self, message: Hop, ctx: MessageContext) -> None:
        self.log.append((self.id.type, message.n))
        if self.gate is not None and message.n == 0:
            await self.gate.wait()  # this delivery waits; the chain must go on without it
        if message.n < CHAIN and message.n % 2 == (0 if self.id.type == "a" else 1):
            await self.publish_message(Hop(message.n + 1), TopicId("hops", "s"))


async def _runtime(
    log: list[tuple[str, int]], gate: asyncio.Event | None = None
) -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime()
    await Relay.register(runtime, "a", lambda: Relay(log))
    await Relay.register(runtime, "b", lambda: Relay(log, gate))
    await runtime.add_subscription(TypeSubscription("hops", "a"))
    await runtime.add_subscription(TypeSubscription("hops", "b"))
    return runtime


async def test_a_long_chain_of_publishes_is_delivered_whole_and_in_order() -> None:
    log: list[tuple[str, int]] = []
    runtime = await _runtime(log)
    runtime.start()
    await runtime.publish_message(Hop(0), TopicId("hops", "s"))
    await runtime.stop_when_idle()
    # Hop 0 reaches both relays, every later hop the one that did not publish it.
    assert [n for _, n in log] == [0, *range(CHAIN + 1)]
    assert [who for who, n in log if n > 0] == ["b", "a"] * (CHAIN // 2)
    await runtime.close()


async def test_other_tasks_run_while_a_long_chain_of_publishes_runs() -> None:
    log: list[tuple[str, int]] = []
    runtime = await _runtime(log)
    seen_during_chain: list[int] = []

    async def bystander() -> None:
        while len(log) < CHAIN + 2:
            seen_during_chain.append(len(log))
            await asyncio.sleep(0)

    runtime.start()
    watcher = asyncio.create_task(bystander())
    await runtime.publish_message(Hop(0), TopicId("hops", "s"))
    await runtime.stop_when_idle()
    await watcher
    # The bystander ran at several points of the chain, not only before or after it.
    assert len([n for n in seen_during_chain if 0 < n < CHAIN + 2]) >= 2
    await runtime.close()


async def test_a_waiting_delivery_does_not_hold_up_the_chain_behind_it() -> None:
    log: list[tuple[str, int]] = []
    gate = asyncio.Event()
    runtime = await _runtime(log, gate)
    runtime.start()
    await runtime.publish_message(Hop(0), TopicId("hops", "s"))
    # "b" waits at hop 0 while the chain goes on through every other hop.
    await runtime.stop_when(lambda: len(log) == CHAIN + 2)
    assert [n for _, n in log] == [0, *range(CHAIN + 1)]
    gate.set()
    await runtime.close()


async def test_a_decorator_around_a_handler_still_runs() -> None:
    import functools
    from collections.abc import Callable, Coroutine
    from typing import Any

    from parlay_core import AgentId, message_handler

    calls: list[str] = []

    def noted(
        func: Callable[..., Coroutine[Any, Any, Any]],
    ) -> Callable[..., Coroutine[Any, Any, Any]]:
        @functools.wraps(func)
        async def outer(*args: Any) -> Any:
            calls.append("outer")
            return await func(*args)

        return outer

    class Noted(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("noted")

        @noted
        @message_handler
        async def on_hop(self, message: Hop, ctx: MessageContext) -> int:
            return message.n + 1

    runtime = SingleThreadedAgentRuntime()
    await Noted.register(runtime, "noted", Noted)
    runtime.start()
    assert await runtime.send_message(Hop(1), AgentId("noted", "k")) == 2
    assert calls == ["outer"]
    await runtime.close()
