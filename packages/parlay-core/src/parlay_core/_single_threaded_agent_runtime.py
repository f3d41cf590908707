"""The in-process runtime: the shared runtime layer with the shortest possible transport.

Design (each point documented in docs/runtime.md):

* A direct message (``send_message``) runs its handler in the caller's task: no queue hop, no
  extra task, no serialization. Cancelling the caller's ``CancellationToken`` cancels the handler.
* A publish returns at once; each recipient's handler runs in a task of its own, concurrently.
* Messages sent before ``start()`` wait in a queue and are delivered when the runtime starts (or
  one at a time with ``process_next()``).
* ``stop_when_idle()`` waits until every delivery, including those started by handlers, is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parlay_core._agent_id import AgentId
from parlay_core._constants import ROOT_LOGGER_NAME
from parlay_core._exceptions import RuntimeStateError
from parlay_core._hosted_runtime import HostedRuntime
from parlay_core._intervention import InterventionHandler
from parlay_core._message_context import MessageContext
from parlay_core._telemetry import get_tracer
from parlay_core._transport import InProcessTransport

if TYPE_CHECKING:
    from parlay_core.state import CheckpointPolicy, StateStore

__all__ = ["SingleThreadedAgentRuntime"]

logger = logging.getLogger(ROOT_LOGGER_NAME)

# How long a send may wait on a runtime that was never started before the runtime says so once:
# forgetting start() otherwise makes the send wait forever without a word.
_NEVER_STARTED_WARNING_DELAY = 5.0


@dataclass(slots=True)
class _PendingSend:
    message: Any
    recipient: AgentId
    ctx: MessageContext
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _PendingPublish:
    message: Any
    ctx: MessageContext


class SingleThreadedAgentRuntime(HostedRuntime):
    """Hosts agents in this process, on the running asyncio event loop.

    Args:
        intervention_handlers: Hooks that see every message and may change or drop it.
        tracer_provider: An OpenTelemetry tracer provider; without one (and without a configured
            global provider) no spans are created and tracing costs nothing.
        ignore_unhandled_exceptions: If False, the first exception raised by a publish handler is
            re-raised from ``stop()``, ``stop_when_idle()``, ``stop_when()`` or ``process_next()``
            and the runtime stops. RPC handler exceptions always go to the caller.
        state_store: A :class:`~parlay_core.state.StateStore` that keeps agent state across
            restarts: each agent loads its stored state when it is first addressed, and its state
            is written according to ``checkpoint``. The caller owns the store (and closes it).
        checkpoint: ``"every_message"`` (write after each handled message, before an RPC's
            response is returned), ``"explicit"`` (only in :meth:`checkpoint`) or ``"never"``
            (read the store, never write it).
    """

    _queue_until_started = True

    def __init__(
        self,
        *,
        intervention_handlers: list[InterventionHandler] | None = None,
        tracer_provider: Any | None = None,
        ignore_unhandled_exceptions: bool = True,
        state_store: StateStore | None = None,
        checkpoint: CheckpointPolicy = "every_message",
    ) -> None:
        super().__init__(
            InProcessTransport,
            intervention_handlers=intervention_handlers,
            tracer=get_tracer(tracer_provider),
            ignore_unhandled_exceptions=ignore_unhandled_exceptions,
            state_store=state_store,
            checkpoint=checkpoint,
        )
        # The timer behind the never-started warning: it exists only until the first start()
        # or process_next(), so a started runtime pays nothing for it.
        self._ever_driven = False
        self._never_started_timer: asyncio.TimerHandle | None = None
        self._pending: deque[_PendingSend | _PendingPublish] = deque()
        self._pending_waiter: asyncio.Future[None] | None = None

    # --- before start ------------------------------------------------------------------------

    async def _send_when_started(
        self, message: Any, recipient: AgentId, ctx: MessageContext
    ) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        ctx.cancellation_token.link_future(future)
        self._enqueue(_PendingSend(message, recipient, ctx, future))
        self._watch_never_started()
        return await future

    def _publish_when_started(self, message: Any, ctx: MessageContext) -> None:
        self._enqueue(_PendingPublish(message, ctx))

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start delivering messages, beginning with any sent before the start.

        Raises:
            RuntimeStateError: Already started, or closed.
        """
        if self._closed:
            raise self._closed_error()
        if self._running:
            raise RuntimeStateError(
                "The runtime is already started; call stop() before starting it again."
            )
        self._begin()
        self._driven()
        while self._pending:
            self._dispatch_pending(self._pending.popleft())

    @property
    def unprocessed_messages_count(self) -> int:
        """Messages waiting for the runtime to start."""
        return len(self._pending)

    async def process_next(self) -> None:
        """Deliver the next message sent while the runtime is not started (waiting for one).

        Raises:
            RuntimeStateError: The runtime is started (it delivers messages by itself then).
            Exception: A publish handler's exception kept under ``ignore_unhandled_exceptions=False``.
        """
        self._raise_unhandled()
        if self._running:
            raise RuntimeStateError(
                "process_next() steps a runtime that is not started; this one is running."
            )
        self._driven()
        while not self._pending:
            self._pending_waiter = asyncio.get_running_loop().create_future()
            await self._pending_waiter
            self._raise_unhandled()
        self._dispatch_pending(self._pending.popleft())

    async def close(self) -> None:
        """Stop if running, fail messages still waiting, and call ``close()`` on every agent."""
        if self._closed:
            return
        self._driven()
        while self._pending:
            item = self._pending.popleft()
            if isinstance(item, _PendingSend) and not item.future.done():
                item.future.set_exception(self._closed_error())
        await super().close()

    # --- internals ---------------------------------------------------------------------------

    def _watch_never_started(self) -> None:
        if self._ever_driven or self._never_started_timer is not None:
            return
        self._never_started_timer = asyncio.get_running_loop().call_later(
            _NEVER_STARTED_WARNING_DELAY, self._warn_never_started
        )

    def _driven(self) -> None:
        # Someone starts or steps the runtime: waiting sends are not forgotten ones.
        self._ever_driven = True
        timer, self._never_started_timer = self._never_started_timer, None
        if timer is not None:
            timer.cancel()

    def _warn_never_started(self) -> None:
        self._ever_driven = True  # once per runtime
        self._never_started_timer = None
        waiting = [item for item in self._pending if isinstance(item, _PendingSend)]
        if not waiting:
            return
        logger.warning(
            "%d message(s) sent to %s have waited %.0f s for a runtime that was never started, "
            "and will wait until it is: call runtime.start() before sending (or "
            "process_next() to deliver queued messages one at a time).",
            len(waiting),
            ", ".join(sorted({str(item.recipient) for item in waiting})),
            _NEVER_STARTED_WARNING_DELAY,
        )

    def _enqueue(self, item: _PendingSend | _PendingPublish) -> None:
        self._pending.append(item)
        waiter, self._pending_waiter = self._pending_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _dispatch_pending(self, item: _PendingSend | _PendingPublish) -> None:
        if isinstance(item, _PendingPublish):
            if self._tracer is not None:
                self._start_publish_traced(item.message, item.ctx)
            else:
                self._publish(item.message, item.ctx)
        elif not item.future.done():
            self._spawn(self._complete_pending_send(item))

    async def _complete_pending_send(self, item: _PendingSend) -> None:
        try:
            if self._tracer is not None:
                result = await self._rpc_traced(item.message, item.recipient, item.ctx, True)
            else:
                result = await self._rpc(item.message, item.recipient, item.ctx, True)
        except BaseException as e:
            if not item.future.done():
                item.future.set_exception(e)
            if not isinstance(e, Exception):
                raise
        else:
            if not item.future.done():
                item.future.set_result(result)

    def _on_event_exception(self, error: Exception, recipient: AgentId, message: Any) -> None:
        super()._on_event_exception(error, recipient, message)
        # process_next() may be waiting for a message: let the kept error surface there too.
        waiter = self._pending_waiter
        if self._unhandled is not None and waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _raise_unhandled(self) -> None:
        if self._unhandled is not None:
            self._running = False
        super()._raise_unhandled()
