"""Delivery bookkeeping shared by every transport (in-process and distributed).

A count of outstanding work for ``stop_when_idle()``, conditions for ``stop_when()``, and the
first exception of a published message's handler when ``ignore_unhandled_exceptions=False``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from parlay_core._agent_id import AgentId
from parlay_core._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME

__all__ = ["DeliveryTracking"]

event_logger = logging.getLogger(EVENT_LOGGER_NAME)


class DeliveryTracking:
    """Counts outstanding work and wakes whoever waits for idleness or a condition.

    A transport counts the work it starts itself (serving a request from another process)
    with :meth:`work_started` and :meth:`work_done`, and reports a published message's handler
    error with :meth:`event_handler_failed`. The runtime layer's hot paths use the private
    counterparts inline.

    Args:
        ignore_unhandled: Log publish-handler exceptions instead of keeping the first one.
    """

    _logger: logging.Logger = logging.getLogger(ROOT_LOGGER_NAME)

    def __init__(self, *, ignore_unhandled: bool) -> None:
        self._ignore_unhandled = ignore_unhandled
        self._unhandled: BaseException | None = None
        self._outstanding = 0
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- the public face, for transports that count their own work -----------------------

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        """The tasks started with :meth:`spawn` that have not ended (a runtime's ``close()``
        may cancel them)."""
        return self._tasks

    def work_started(self) -> None:
        """Count one unit of work (a delivery, a request being served) as outstanding.

        Count it before its task starts, so that ``stop_when_idle()`` never sees a gap.
        """
        self._outstanding += 1

    def work_done(self) -> None:
        """End one unit of work counted with :meth:`work_started`."""
        self._finish()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in a task that is kept until it ends (the loop keeps weak references)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def event_handler_failed(self, error: Exception, recipient: AgentId, message: Any) -> None:
        """Report the exception of a published message's handler: logged, or kept for the next
        stop when ``ignore_unhandled_exceptions=False``."""
        self._on_event_exception(error, recipient, message)

    # --- internals -------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _finish(self) -> None:
        self._outstanding -= 1
        if self._outstanding == 0 or self._conditions:
            self._after_delivery()

    def _after_delivery(self) -> None:
        if self._outstanding == 0 and self._idle_waiters:
            waiters, self._idle_waiters = self._idle_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        if self._conditions:
            remaining: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
            for condition, waiter in self._conditions:
                if waiter.done():
                    continue
                if condition():
                    waiter.set_result(None)
                else:
                    remaining.append((condition, waiter))
            self._conditions = remaining

    async def _wait_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while self._outstanding > 0 and self._unhandled is None:
            waiter: asyncio.Future[None] = loop.create_future()
            self._idle_waiters.append(waiter)
            await waiter

    async def _wait_condition(self, condition: Callable[[], bool]) -> None:
        if not condition():
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._conditions.append((condition, waiter))
            await waiter

    def _on_event_exception(self, error: Exception, recipient: AgentId, message: Any) -> None:
        if event_logger.isEnabledFor(logging.INFO):
            from parlay_core.logging import MessageHandlerExceptionEvent

            event_logger.info(
                MessageHandlerExceptionEvent(
                    payload=message, handling_agent=recipient, exception=error
                )
            )
        if self._ignore_unhandled:
            self._logger.error(
                "Handler of %s raised on a published %s",
                recipient,
                type(message).__name__,
                exc_info=error,
            )
            return
        if self._unhandled is None:
            self._unhandled = error
        for waiter in [*self._idle_waiters, *(w for _, w in self._conditions)]:
            if not waiter.done():
                waiter.set_result(None)
        self._idle_waiters.clear()
        self._conditions.clear()

    def _raise_unhandled(self) -> None:
        error, self._unhandled = self._unhandled, None
        if error is not None:
            raise error
