"""Messages sent to an in-process runtime before ``start()``: they wait here, in order.

The runtime hands a message to its waiting room while it is not started; ``start()`` releases
every waiting message, ``process_next()`` one at a time. A send waits for its response, and if
nobody starts or steps the runtime for a while, the runtime says so once instead of letting the
sender wait without a word.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from parlay_core._agent_id import AgentId
from parlay_core._constants import ROOT_LOGGER_NAME
from parlay_core._message_context import MessageContext

__all__ = ["WaitingRoom"]

logger = logging.getLogger(ROOT_LOGGER_NAME)

# How long a send may wait on a runtime that was never started before the runtime says so once:
# forgetting start() otherwise makes the send wait forever without a word.
NEVER_STARTED_WARNING_DELAY = 5.0


# Plain classes, not dataclasses: generating a dataclass's methods at import costs more than
# everything else in this module, and these records need only their fields.
class _PendingSend:
    __slots__ = ("ctx", "future", "message", "recipient")

    def __init__(
        self, message: Any, recipient: AgentId, ctx: MessageContext, future: asyncio.Future[Any]
    ) -> None:
        self.message = message
        self.recipient = recipient
        self.ctx = ctx
        self.future = future


class _PendingPublish:
    __slots__ = ("ctx", "message")

    def __init__(self, message: Any, ctx: MessageContext) -> None:
        self.message = message
        self.ctx = ctx


class WaitingRoom:
    """Holds the messages of a runtime that is not started, and delivers them when told.

    Args:
        rpc: Delivers a direct message now and returns the response (the runtime's send path,
            interventions included).
        publish: Delivers a published message now (the runtime's publish path).
        spawn: Runs a coroutine in a task the runtime keeps.
    """

    __slots__ = ("_ever_driven", "_pending", "_publish", "_rpc", "_spawn", "_timer", "_waiter")

    def __init__(
        self,
        rpc: Callable[[Any, AgentId, MessageContext, bool], Awaitable[Any]],
        publish: Callable[[Any, MessageContext], None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._rpc = rpc
        self._publish = publish
        self._spawn = spawn
        self._pending: deque[_PendingSend | _PendingPublish] = deque()
        # The timer behind the never-started warning: it exists only until the runtime is first
        # started or stepped, so a started runtime pays nothing for it.
        self._ever_driven = False
        self._timer: asyncio.TimerHandle | None = None
        # process_next() waiting for a message to arrive.
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._pending)

    async def send(self, message: Any, recipient: AgentId, ctx: MessageContext) -> Any:
        """Wait until the message is released, then return its response."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        ctx.cancellation_token.link_future(future)
        self._enqueue(_PendingSend(message, recipient, ctx, future))
        self._watch_never_started()
        return await future

    def publish(self, message: Any, ctx: MessageContext) -> None:
        """Keep a published message until it is released."""
        self._enqueue(_PendingPublish(message, ctx))

    def release_all(self) -> None:
        """Deliver every waiting message, in the order they arrived (the runtime started)."""
        self.driven()
        while self._pending:
            self._release(self._pending.popleft())

    async def release_next(self, check: Callable[[], None]) -> None:
        """Deliver the next message, waiting for one to arrive; ``check()`` runs after each
        wake-up and may raise to end the wait (a handler's error kept for the caller)."""
        self.driven()
        while not self._pending:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            check()
        self._release(self._pending.popleft())

    def wake(self) -> None:
        """Wake a :meth:`release_next` that waits, so that it runs its check."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def fail_all(self, error: Exception) -> None:
        """Fail every waiting send with ``error`` and forget every waiting publish."""
        self.driven()
        while self._pending:
            item = self._pending.popleft()
            if isinstance(item, _PendingSend) and not item.future.done():
                item.future.set_exception(error)

    def driven(self) -> None:
        """Someone starts or steps the runtime: waiting sends are not forgotten ones."""
        self._ever_driven = True
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    # --- internals ---------------------------------------------------------------------------

    def _enqueue(self, item: _PendingSend | _PendingPublish) -> None:
        self._pending.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _release(self, item: _PendingSend | _PendingPublish) -> None:
        if isinstance(item, _PendingPublish):
            self._publish(item.message, item.ctx)
        elif not item.future.done():
            self._spawn(self._complete(item))

    async def _complete(self, item: _PendingSend) -> None:
        try:
            result = await self._rpc(item.message, item.recipient, item.ctx, True)
        except BaseException as e:
            if not item.future.done():
                item.future.set_exception(e)
            if not isinstance(e, Exception):
                raise
        else:
            if not item.future.done():
                item.future.set_result(result)

    def _watch_never_started(self) -> None:
        if self._ever_driven or self._timer is not None:
            return
        self._timer = asyncio.get_running_loop().call_later(
            NEVER_STARTED_WARNING_DELAY, self._warn_never_started
        )

    def _warn_never_started(self) -> None:
        self._ever_driven = True  # once per runtime
        self._timer = None
        waiting = [item for item in self._pending if isinstance(item, _PendingSend)]
        if not waiting:
            return
        logger.warning(
            "%d message(s) sent to %s have waited %.0f s for a runtime that was never started, "
            "and will wait until it is: call runtime.start() before sending (or "
            "process_next() to deliver queued messages one at a time).",
            len(waiting),
            ", ".join(sorted({str(item.recipient) for item in waiting})),
            NEVER_STARTED_WARNING_DELAY,
        )
