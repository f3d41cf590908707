"""CancelScope: a token cancels the awaiting task itself, and leaves no trace after."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest

from parlay_core import CancellationToken
from parlay_core._cancellation_token import CancelScope


async def test_cancelling_the_token_interrupts_the_awaited_call() -> None:
    token = CancellationToken()
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.sleep(30)
        return "finished"

    async def call() -> str:
        with CancelScope(token, "The slow call"):
            return await slow()

    task = asyncio.ensure_future(call())
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.10 counts no cancel requests")
async def test_the_scope_withdraws_its_cancel_request() -> None:
    token = CancellationToken()
    current = asyncio.current_task()
    assert current is not None

    async def call() -> None:
        with CancelScope(token, "The call"):
            asyncio.get_running_loop().call_soon(token.cancel)
            await asyncio.sleep(30)

    with pytest.raises(asyncio.CancelledError):
        await call()  # in this very task
    # Nothing is left pending on this task: an enclosing timeout or task group is unaffected.
    assert current.cancelling() == 0
    async with asyncio.timeout(5):
        await asyncio.sleep(0)


def test_a_token_cancelled_before_entry_raises_at_once() -> None:
    token = CancellationToken()
    token.cancel()
    scope = CancelScope(token, "The call")
    with pytest.raises(asyncio.CancelledError, match="The call was cancelled before it started"):
        scope.__enter__()


async def test_cancel_from_another_thread() -> None:
    token = CancellationToken()

    async def call() -> None:
        with CancelScope(token, "The call"):
            threading.Timer(0.05, token.cancel).start()
            await asyncio.sleep(30)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call(), timeout=10)


async def test_after_the_scope_a_cancel_touches_nothing() -> None:
    token = CancellationToken()
    with CancelScope(token, "The call"):
        await asyncio.sleep(0)
    token.cancel()
    await asyncio.sleep(0)  # would raise CancelledError if the scope still cancelled this task
    assert asyncio.current_task() is not None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.10 counts no cancel requests")
async def test_a_request_swallowed_by_the_awaited_code_is_withdrawn_too() -> None:
    token = CancellationToken()
    current = asyncio.current_task()
    assert current is not None

    async def stubborn() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "ignored the cancellation"
        return "slept"

    with CancelScope(token, "The stubborn call"):
        asyncio.get_running_loop().call_soon(token.cancel)
        outcome = await stubborn()
    assert outcome == "ignored the cancellation"
    assert current.cancelling() == 0


async def test_cancelling_from_inside_the_scope_cancels_where_it_waits() -> None:
    token = CancellationToken()
    current = asyncio.current_task()
    assert current is not None

    with CancelScope(token, "The call"):
        token.cancel()  # the scope's own code cancels, then ends without waiting again
    await asyncio.sleep(0)  # no cancellation is left pending on this task
    assert current.cancelling() == 0

    other = CancellationToken()

    async def cancels_then_waits() -> None:
        with CancelScope(other, "The call"):
            other.cancel()
            await asyncio.sleep(10)  # interrupted here

    with pytest.raises(asyncio.CancelledError):
        await cancels_then_waits()
    assert current.cancelling() == 0
