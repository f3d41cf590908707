"""Before Python 3.12: the deliveries of every publish, in publish order, in as few tasks as can be.

A task there starts a loop iteration after it is created and costs several microseconds, and
most handlers of a published message finish without waiting (they update a buffer, publish
something, return). :func:`~parlay_core._delivery_batch.start_batch` already runs all the
recipients of one publish in one task; the pump goes further: while its task runs deliveries,
the publishes their handlers make join its queue instead of starting tasks of their own. A
conversation of agents that answer each other without waiting thus runs in one task, in the
order the messages were published, as it would in a task per publish.

Two things end a pump task's turn, and a new task takes up the queue: a delivery that has to
wait (the task stays with it and drives it, as in ``start_batch``), and a budget of deliveries
per turn, so that other tasks and I/O are not starved by handlers that keep publishing.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from contextvars import Context
from typing import Any, Generic, TypeVar

from parlay_core._delivery_batch import drive

__all__ = ["DELIVERIES_PER_TURN", "DeliveryPump"]

R = TypeVar("R")
M = TypeVar("M")

DELIVERIES_PER_TURN = 64
"""Deliveries a runtime starts in one step of the event loop before it lets other tasks run:
few enough for them to keep up, enough to amortise a task (or a loop step) over many."""


class DeliveryPump(Generic[R, M]):
    """Runs ``deliver(recipient, message)`` for each recipient of each submitted publish.

    Each delivery runs in its own copy of its publisher's context, after ``submit`` returned.

    Args:
        deliver: Makes the coroutine that delivers a message to one recipient; it catches and
            reports its own errors.
        tasks: Holds the pump's tasks until they end (the event loop keeps only weak references).
    """

    __slots__ = ("_deliver", "_queue", "_running", "_tasks")

    def __init__(
        self,
        deliver: Callable[[R, M], Coroutine[Any, Any, None]],
        tasks: set[asyncio.Task[Any]],
    ) -> None:
        self._deliver = deliver
        self._tasks = tasks
        self._queue: deque[tuple[Sequence[R], M, Context]] = deque()
        # The task taking deliveries from the queue, if any: a publish made while it runs
        # (from one of its handlers, typically) needs no task of its own.
        self._running: asyncio.Task[None] | None = None

    def submit(self, recipients: Sequence[R], message: M, context: Context) -> None:
        """Queue a publish's deliveries; they start on a later step of the event loop."""
        self._queue.append((recipients, message, context))
        if self._running is None:
            self._start()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        runner = self._pump()
        # Without a task factory, building the Task directly skips create_task's checks.
        task = (
            asyncio.Task(runner, loop=loop)
            if loop.get_task_factory() is None
            else loop.create_task(runner)
        )
        self._running = task
        self._tasks.add(task)

    def _hand_over(self, rest: Sequence[R], message: M, context: Context) -> None:
        # This task's turn ends: the deliveries not yet started go first to a new pump task.
        if rest:
            self._queue.appendleft((rest, message, context))
        self._running = None
        if self._queue:
            self._start()

    async def _pump(self) -> None:
        this = asyncio.current_task()
        assert this is not None
        queue = self._queue
        deliver = self._deliver
        budget = DELIVERIES_PER_TURN
        try:
            while queue:
                recipients, message, context = queue.popleft()
                for index, recipient in enumerate(recipients):
                    delivery = deliver(recipient, message)
                    own = context.copy()
                    budget -= 1
                    try:
                        signal = own.run(delivery.send, None)
                    except (StopIteration, asyncio.CancelledError):
                        # Finished without waiting (or was cancelled, which concerns it alone).
                        # A handler that cancelled this very task and returned leaves the
                        # request pending: the others must not receive it.
                        if budget > 0 and not (sys.version_info >= (3, 11) and this.cancelling()):
                            continue
                        self._hand_over(recipients[index + 1 :], message, context)
                        return
                    self._hand_over(recipients[index + 1 :], message, context)
                    await drive(delivery, signal, own)
                    return
        finally:
            if self._running is this:
                self._running = None
            self._tasks.discard(this)
