"""What every recipient of one published message can rely on, however the runtime schedules them.

Each handler runs as if in a task of its own: it may wait without holding up the others, its
context variables are its own, and ``asyncio.current_task()`` is the task that runs it (so
``asyncio.timeout`` and cancellation through a token reach only that handler).
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from parlay_core import (
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
)
from parlay_core._cancellation_token import CancelScope

TOPIC = TopicId("news", "s")
marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")


@dataclass
class News:
    text: str


class Handler(RoutedAgent):
    """Runs the given behaviour for each News it receives."""

    def __init__(self, behaviour: Callable[[str], object]) -> None:
        super().__init__("handler")
        self.behaviour = behaviour

    @event
    async def on_news(self, message: News, ctx: MessageContext) -> None:
        outcome = self.behaviour(self.id.type)
        if asyncio.iscoroutine(outcome):
            await outcome


async def subscribe(
    runtime: SingleThreadedAgentRuntime, behaviours: dict[str, Callable[[str], object]]
) -> None:
    for name, behaviour in behaviours.items():
        await Handler.register(runtime, name, lambda b=behaviour: Handler(b))
        await runtime.add_subscription(TypeSubscription("news", name))


async def test_a_waiting_handler_does_not_hold_up_the_others(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    # The first recipient waits for something only the second recipient does.
    ready = asyncio.Event()
    done: list[str] = []

    async def waits(name: str) -> None:
        await asyncio.wait_for(ready.wait(), timeout=5)
        done.append(name)

    def signals(name: str) -> None:
        ready.set()
        done.append(name)

    await subscribe(runtime, {"a_waits": waits, "b_signals": signals})
    await runtime.publish_message(News("go"), TOPIC)
    await asyncio.wait_for(runtime.stop_when_idle(), timeout=10)
    assert done == ["b_signals", "a_waits"]


async def test_each_handler_has_its_own_context(runtime: SingleThreadedAgentRuntime) -> None:
    seen: dict[str, str] = {}

    def sets_and_reads(name: str) -> None:
        seen[name] = marker.get()
        marker.set(name)  # never reset: must not leak to the next recipient

    marker.set("publisher")
    await subscribe(runtime, {"first": sets_and_reads, "second": sets_and_reads})
    await runtime.publish_message(News("go"), TOPIC)
    await runtime.stop_when_idle()
    assert seen == {"first": "publisher", "second": "publisher"}
    assert marker.get() == "publisher"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in Python 3.11")
async def test_a_timeout_in_one_handler_reaches_only_that_handler(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    outcome: dict[str, str] = {}
    release = asyncio.Event()

    async def times_out(name: str) -> None:
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(10)
        except TimeoutError:
            outcome[name] = "timed out"
        release.set()

    async def waits_for_release(name: str) -> None:
        await asyncio.wait_for(release.wait(), timeout=5)
        await asyncio.sleep(0.01)  # still alive after the other's timeout fired
        outcome[name] = "finished"

    def quick(name: str) -> None:
        outcome[name] = "finished"

    await subscribe(runtime, {"a": times_out, "b": waits_for_release, "c": quick})
    await runtime.publish_message(News("go"), TOPIC)
    await asyncio.wait_for(runtime.stop_when_idle(), timeout=10)
    assert outcome == {"a": "timed out", "b": "finished", "c": "finished"}


async def test_cancelling_one_handlers_token_leaves_the_others_alone(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    token = CancellationToken()
    outcome: dict[str, str] = {}

    async def cancelled(name: str) -> None:
        try:
            with CancelScope(token, "The wait"):
                asyncio.get_running_loop().call_soon(token.cancel)
                await asyncio.sleep(10)
        except asyncio.CancelledError:
            outcome[name] = "cancelled"
            raise

    def cancels_itself_at_once(name: str) -> None:
        # Cancels the running task and returns without waiting: the request is still pending.
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        outcome[name] = "returned"

    async def waits_a_little(name: str) -> None:
        await asyncio.sleep(0.02)
        outcome[name] = "finished"

    await subscribe(runtime, {"a": cancelled, "b": cancels_itself_at_once, "c": waits_a_little})
    await runtime.publish_message(News("go"), TOPIC)
    await asyncio.wait_for(runtime.stop_when_idle(), timeout=10)
    assert outcome == {"a": "cancelled", "b": "returned", "c": "finished"}


async def test_current_task_is_the_same_across_a_handlers_waits(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    tasks: dict[str, list[asyncio.Task[object] | None]] = {}

    async def records(name: str) -> None:
        tasks[name] = [asyncio.current_task()]
        await asyncio.sleep(0)
        tasks[name].append(asyncio.current_task())
        await asyncio.sleep(0.01)
        tasks[name].append(asyncio.current_task())

    await subscribe(runtime, {"a": records, "b": records})
    await runtime.publish_message(News("go"), TOPIC)
    await runtime.stop_when_idle()
    for name in ("a", "b"):
        first, *later = tasks[name]
        assert first is not None and all(t is first for t in later)
    assert tasks["a"][0] is not tasks["b"][0]  # a waiting handler keeps its task to itself
