"""Cancellation-safe waiting for the runtime's background tasks.

The NATS client can turn the cancellation of a task waiting on a request into its own
``TimeoutError``, and ``asyncio.wait_for`` can lose a cancellation that races its timeout (before
Python 3.12). A background loop that catches errors to keep going would then outlive its
cancellation, and the event loop's shutdown (which cancels every task and waits for them) would
never finish. Work run through :func:`cancellable` cannot hide a cancellation from its caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["cancel_and_wait", "cancellable", "sleep_or_wake"]

T = TypeVar("T")


async def cancellable(work: Awaitable[T]) -> T:
    """Await ``work`` in a task of its own; a cancellation of the caller always raises here.

    ``asyncio.wait`` waits on a future of its own, so cancelling the caller raises
    ``CancelledError`` at once whatever ``work`` turns its own cancellation into.
    """
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait({task})
    except asyncio.CancelledError:
        task.cancel()
        raise
    return task.result()


async def sleep_or_wake(event: asyncio.Event, timeout: float) -> None:
    """Wait until ``event`` is set or ``timeout`` seconds pass; cancellation is never lost."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()


async def cancel_and_wait(task: asyncio.Future[Any] | None, timeout: float | None = None) -> None:
    """Cancel ``task`` and wait until it has ended (at most ``timeout`` seconds).

    The caller's own cancellation is not swallowed; the task's outcome is.
    """
    if task is None:
        return
    if not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=timeout)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
