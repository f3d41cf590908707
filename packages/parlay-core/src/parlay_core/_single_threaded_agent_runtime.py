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

from typing import TYPE_CHECKING, Any

from parlay_core._exceptions import RuntimeStateError
from parlay_core._hosted_runtime import HostedRuntime
from parlay_core._intervention import InterventionHandler
from parlay_core._telemetry import get_tracer
from parlay_core._transport import InProcessTransport
from parlay_core._waiting_room import WaitingRoom

if TYPE_CHECKING:
    from parlay_core._agent_id import AgentId
    from parlay_core.state import CheckpointPolicy, StateStore

__all__ = ["SingleThreadedAgentRuntime"]


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
        # Messages sent before start() wait here for it.
        self._room = WaitingRoom(self._rpc, self._publish_now, self._spawn)
        self._waiting_room = self._room

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
        self._room.release_all()

    @property
    def unprocessed_messages_count(self) -> int:
        """Messages waiting for the runtime to start."""
        return len(self._room)

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
        await self._room.release_next(self._raise_unhandled)

    async def close(self) -> None:
        """Stop if running, fail messages still waiting, and call ``close()`` on every agent."""
        if self._closed:
            return
        self._room.fail_all(self._closed_error())
        await super().close()

    # --- internals ---------------------------------------------------------------------------

    def _on_event_exception(self, error: Exception, recipient: AgentId, message: Any) -> None:
        super()._on_event_exception(error, recipient, message)
        # process_next() may be waiting for a message: let the kept error surface there too.
        if self._unhandled is not None:
            self._room.wake()

    def _raise_unhandled(self) -> None:
        if self._unhandled is not None:
            self._running = False
        super()._raise_unhandled()
