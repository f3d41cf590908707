"""Run the deliveries of one publish in one task, until one of them has to wait.

Before Python 3.12 every task starts a loop iteration after it is created and costs several
microseconds, while most handlers of a published message finish without ever waiting (they
update a buffer, publish something, return). So a publish starts one task for all its
recipients. The task runs each delivery's coroutine by hand, each in its own copy of the
publisher's context, as a task of its own would: a delivery that finishes costs no task. The
first delivery that has to wait keeps this task, which then drives it exactly as the event loop
drives a task (every future it waits on is passed up unchanged, every wake-up, cancellation or
error is passed back down), and the deliveries after it go on in a new task of the same kind.

Inside a handler, ``asyncio.current_task()`` is the task that runs it, as always: a handler
can cancel it (``CancelScope``, ``asyncio.timeout``) without touching any other delivery.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Generator
from contextvars import Context
from typing import Any

__all__ = ["start_batch"]

Delivery = Coroutine[Any, Any, None]


class _PassUp:
    """Hands what a delivery yielded (a future it waits on, or None) to the running task."""

    __slots__ = ("signal",)

    def __init__(self, signal: Any) -> None:
        self.signal = signal

    def __await__(self) -> Generator[Any, None, None]:
        yield self.signal


def start_batch(
    deliveries: list[Delivery], context: Context, tasks: set[asyncio.Task[Any]]
) -> None:
    """Start a task that runs ``deliveries`` in order (each in a copy of ``context``).

    Args:
        deliveries: Coroutines that catch their own errors (a delivery reports them).
        context: The publisher's context; each delivery runs in a copy of it.
        tasks: Holds the batch's task until it ends (the event loop keeps only weak references).
    """
    loop = asyncio.get_running_loop()
    runner = _run(deliveries, context, tasks)
    # Without a task factory, building the Task directly skips create_task's checks.
    task = (
        asyncio.Task(runner, loop=loop)
        if loop.get_task_factory() is None
        else loop.create_task(runner)
    )
    tasks.add(task)


async def _run(deliveries: list[Delivery], context: Context, tasks: set[asyncio.Task[Any]]) -> None:
    this = asyncio.current_task()
    assert this is not None
    try:
        for index, delivery in enumerate(deliveries):
            own = context.copy()
            try:
                signal = own.run(delivery.send, None)
            except (StopIteration, asyncio.CancelledError):
                # Finished without waiting (or was cancelled, which concerns it alone). A handler
                # that cancelled this very task and returned leaves the request pending: the
                # rest must not receive it.
                if sys.version_info >= (3, 11) and this.cancelling():
                    _continue(deliveries[index + 1 :], context, tasks)
                    return
                continue
            _continue(deliveries[index + 1 :], context, tasks)
            await _drive(delivery, signal, own)
            return
    finally:
        tasks.discard(this)


def _continue(rest: list[Delivery], context: Context, tasks: set[asyncio.Task[Any]]) -> None:
    if rest:
        start_batch(rest, context, tasks)


async def _drive(delivery: Delivery, signal: Any, own: Context) -> None:
    """Drive a delivery that waits, as a task would, until it ends."""
    while True:
        try:
            await _PassUp(signal)
        except BaseException as exc:
            # Its future failed or was cancelled, or this task was cancelled: as a task would,
            # throw it into the delivery where it waits.
            try:
                signal = own.run(delivery.throw, exc)
            except (StopIteration, asyncio.CancelledError):
                return
            continue
        try:
            signal = own.run(delivery.send, None)
        except (StopIteration, asyncio.CancelledError):
            return
