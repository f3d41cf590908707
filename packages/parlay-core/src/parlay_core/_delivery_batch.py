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
from collections.abc import Callable, Coroutine, Generator, Sequence
from contextvars import Context
from typing import Any, TypeVar

__all__ = ["drive", "start_batch"]

T = TypeVar("T")
Delivery = Coroutine[Any, Any, None]


class _PassUp:
    """Hands what a delivery yielded (a future it waits on, or None) to the running task."""

    __slots__ = ("signal",)

    def __init__(self, signal: Any) -> None:
        self.signal = signal

    def __await__(self) -> Generator[Any, None, None]:
        yield self.signal


def start_batch(
    recipients: Sequence[T],
    deliver: Callable[[T], Delivery],
    context: Context,
    tasks: set[asyncio.Task[Any]],
) -> None:
    """Start a task that runs ``deliver(r)`` for each recipient in order, each in a copy of
    ``context``.

    The coroutines are made only when their turn comes: a publish that waits to start holds a
    list of recipients, not one coroutine each (fewer live objects for the garbage collector).

    Args:
        recipients: Who receives the message, in delivery order.
        deliver: Makes the coroutine that delivers to one recipient; it catches and reports
            its own errors.
        context: The publisher's context; each delivery runs in a copy of it.
        tasks: Holds the batch's task until it ends (the event loop keeps only weak references).
    """
    loop = asyncio.get_running_loop()
    runner = _run(recipients, deliver, context, tasks)
    # Without a task factory, building the Task directly skips create_task's checks.
    task = (
        asyncio.Task(runner, loop=loop)
        if loop.get_task_factory() is None
        else loop.create_task(runner)
    )
    tasks.add(task)


async def _run(
    recipients: Sequence[T],
    deliver: Callable[[T], Delivery],
    context: Context,
    tasks: set[asyncio.Task[Any]],
) -> None:
    this = asyncio.current_task()
    assert this is not None
    try:
        for index, recipient in enumerate(recipients):
            delivery = deliver(recipient)
            own = context.copy()
            try:
                signal = own.run(delivery.send, None)
            except (StopIteration, asyncio.CancelledError):
                # Finished without waiting (or was cancelled, which concerns it alone). A handler
                # that cancelled this very task and returned leaves the request pending: the
                # rest must not receive it.
                if sys.version_info >= (3, 11) and this.cancelling():
                    _continue(recipients[index + 1 :], deliver, context, tasks)
                    return
                continue
            _continue(recipients[index + 1 :], deliver, context, tasks)
            await drive(delivery, signal, own)
            return
    finally:
        tasks.discard(this)


def _continue(
    rest: Sequence[T],
    deliver: Callable[[T], Delivery],
    context: Context,
    tasks: set[asyncio.Task[Any]],
) -> None:
    if rest:
        start_batch(rest, deliver, context, tasks)


async def drive(delivery: Delivery, signal: Any, own: Context) -> None:
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
