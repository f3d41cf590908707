"""The runtime layer every runtime shares: ``AgentRuntime`` over an ``AgentHost`` and a transport.

Written once, for the in-process and the distributed runtime alike: message contexts, the
closed and not-started checks, interventions on send, publish and response, event logging,
outstanding-work tracking for ``stop_when_idle()``/``stop_when()``, the stops, and access to
agents (``get``, ``try_get_underlying_agent_instance``, ``agent_*``, state). Where a message
goes is the :class:`~parlay_core.hosting.Transport`'s answer; a local recipient is called in
this process without serialization.

Hot paths (documented in docs/runtime.md): a direct message to a local agent runs its handler
in the caller's task; a publish returns at once and its local recipients' handlers run in tasks
of their own, started eagerly on Python 3.12+; before, a delivery pump runs them, with the
publishes their handlers make, in as few tasks as can be (``_delivery_pump``). Either way at most
``DELIVERIES_PER_TURN`` start in one step of the event loop. Registration and agent access are
in ``_agent_directory``; interventions and event logging in ``_message_hooks``; messages sent
before ``start()`` wait in the in-process runtime's ``_waiting_room``.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from parlay_core._agent import Agent
from parlay_core._agent_directory import AgentDirectory
from parlay_core._agent_id import AgentId, TopicId
from parlay_core._cancellation_token import CancellationToken, CancelScope
from parlay_core._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
from parlay_core._delivery_pump import DELIVERIES_PER_TURN, DeliveryPump
from parlay_core._delivery_tracking import DeliveryTracking
from parlay_core._exceptions import (
    RuntimeStateError,
)
from parlay_core._hosting import AgentHost
from parlay_core._intervention import InterventionHandler
from parlay_core._message_context import MessageContext
from parlay_core._message_hooks import (
    DROPPED,
    intervene_publish,
    intervene_response,
    intervene_send,
    log_message,
)
from parlay_core._telemetry import message_span
from parlay_core._transport import Transport
from parlay_core._waiting_room import WaitingRoom

if TYPE_CHECKING:
    from parlay_core.state import CheckpointPolicy, StateStore

__all__ = ["HostedRuntime"]

logger = logging.getLogger(ROOT_LOGGER_NAME)
event_logger = logging.getLogger(EVENT_LOGGER_NAME)

T = TypeVar("T", bound=Agent)

# Python 3.12 can start a task eagerly: a handler runs at once as a real task, and only handlers
# that actually wait cost a scheduled task. Earlier versions schedule every task.
_EAGER_TASKS = sys.version_info >= (3, 12)


class HostedRuntime(DeliveryTracking, AgentDirectory):
    """``AgentRuntime`` over an :class:`~parlay_core.hosting.AgentHost` and a transport.

    A runtime class builds on it by giving it a transport and a ``start()`` (the in-process
    runtime's is synchronous, as AutoGen's; a distributed one connects first). Everything else
    of the ``AgentRuntime`` API is here.

    Args:
        transport: Makes the transport for the host (``lambda host: InProcessTransport(host)``
            for an in-process runtime).
        intervention_handlers: Hooks that see every message sent, published or answered here.
        tracer: An OpenTelemetry tracer (see :func:`~parlay_core.hosting.get_tracer`), or None.
        ignore_unhandled_exceptions: If False, the first exception of a published message's
            handler is re-raised from ``stop()``, ``stop_when_idle()`` or ``stop_when()``.
        state_store: Durable agent state, or None.
        checkpoint: When agent state is written to ``state_store``.
        id_prefix: The prefix of generated message ids (unique per runtime).
    """

    def __init__(
        self,
        transport: Callable[[AgentHost], Transport],
        *,
        intervention_handlers: list[InterventionHandler] | None = None,
        tracer: Any | None = None,
        ignore_unhandled_exceptions: bool = True,
        state_store: StateStore | None = None,
        checkpoint: CheckpointPolicy = "every_message",
        id_prefix: str | None = None,
    ) -> None:
        DeliveryTracking.__init__(self, ignore_unhandled=ignore_unhandled_exceptions)
        # None unless a tracer provider is configured: then every message takes the traced path.
        self._tracer = tracer
        host = AgentHost(self, tracer=tracer, state_store=state_store, checkpoint=checkpoint)
        AgentDirectory.__init__(self, host, transport(host))
        self._deliver = self._transport.deliver_local
        # A direct message's delivery, local or remote: with a tracer, inside a "send" span.
        self._deliver_direct = self._deliver if tracer is None else self._deliver_in_span
        self._send_remote = self._transport.send if tracer is None else self._send_remote_in_span
        self._interventions = list(intervention_handlers or [])
        # Whether a response goes through _after_response (interventions, or the "ack" span).
        self._observes_responses = bool(self._interventions) or tracer is not None
        self._running = False
        # Where messages sent before start() wait for it, for a runtime that has one (the
        # in-process runtime); without one they go to the transport, which may refuse them
        # (Transport.ready).
        self._waiting_room: WaitingRoom | None = None
        self._deliveries: deque[Coroutine[Any, Any, None]] = deque()
        # Before Python 3.12, published messages' handlers run in as few tasks as can be.
        self._pump: DeliveryPump[AgentId, tuple[Any, MessageContext, int]] | None = (
            None if _EAGER_TASKS else DeliveryPump(self._deliver_event, self._tasks)
        )
        self._drain_scheduled = False
        self._epoch = 0
        self._id_prefix = id_prefix if id_prefix is not None else os.urandom(6).hex()
        self._counter = itertools.count(1)

    @property
    def is_running(self) -> bool:
        """Whether the runtime is started (delivering messages), i.e. between ``start()`` and a stop."""
        return self._running

    # --- messaging ---------------------------------------------------------------------------

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send ``message`` to ``recipient`` and return its handler's response.

        Raises:
            AgentTypeNotFoundError: No agent type ``recipient.type`` is registered.
            CantHandleException: The recipient has no handler that accepts the message.
            MessageDroppedException: An intervention handler dropped the message or response.
            RuntimeStateError: The runtime is closed (or cannot route messages yet).
            Exception: Whatever the handler raised, re-raised as is.
        """
        if self._closed:
            raise self._closed_error()
        if not self._all_local:
            self._transport.ready()
        if not self._host.is_known_type(recipient.type):
            self._transport.check_recipient(recipient)
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        ctx = MessageContext(
            sender, None, True, token, message_id if message_id is not None else self._next_id()
        )
        if event_logger.isEnabledFor(logging.INFO):
            log_message(message, sender, recipient, "DIRECT")
        if self._tracer is not None:
            return await self._send_traced(message, recipient, ctx, cancellation_token is not None)
        if not self._running and self._waiting_room is not None:
            return await self._waiting_room.send(message, recipient, ctx)
        return await self._rpc(message, recipient, ctx, cancellation_token is not None)

    async def _send_traced(
        self, message: Any, recipient: AgentId, ctx: MessageContext, watch_token: bool
    ) -> Any:
        # AutoGen's span tree for a direct message: create ⊃ (intercept, send ⊃ process, ack);
        # _rpc opens the inner spans (see _send_in_span and _after_response).
        with message_span(self._tracer, "create", recipient, message=message):
            if not self._running and self._waiting_room is not None:
                return await self._waiting_room.send(message, recipient, ctx)
            return await self._rpc(message, recipient, ctx, watch_token)

    async def _rpc(
        self, message: Any, recipient: AgentId, ctx: MessageContext, watch_token: bool
    ) -> Any:
        # The one send path, traced or not: with a tracer, the calls below that deliver or
        # answer open its spans, so the untraced path pays nothing for them.
        if self._interventions:
            message = await intervene_send(
                self._interventions, self._tracer, message, ctx, recipient
            )
        self._outstanding += 1
        try:
            if not (self._all_local or self._transport.is_local(recipient)):
                response = await self._send_remote(message, recipient, ctx)
            elif not watch_token:
                response = await self._deliver_direct(recipient, message, ctx)
            else:
                with CancelScope(ctx.cancellation_token, f"The message to {recipient}"):
                    response = await self._deliver_direct(recipient, message, ctx)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()
        if self._observes_responses:
            response = await self._after_response(response, recipient, ctx.sender)
        return response

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish ``message`` to every subscriber of ``topic_id`` except the sender; returns at once.

        Handlers run concurrently, each in its own task. Their exceptions are logged (or kept for
        ``stop_when_idle()`` when ``ignore_unhandled_exceptions=False``).

        Raises:
            RuntimeStateError: The runtime is closed (or cannot route messages yet).
        """
        if self._closed:
            raise self._closed_error()
        if not self._all_local:
            self._transport.ready()
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        ctx = MessageContext(
            sender,
            topic_id,
            False,
            token,
            message_id if message_id is not None else self._next_id(),
        )
        if event_logger.isEnabledFor(logging.INFO):
            log_message(message, sender, topic_id, "PUBLISH")
        waiting_room = None if self._running else self._waiting_room
        if self._tracer is not None:
            with message_span(self._tracer, "create", topic_id, message=message):
                if waiting_room is not None:
                    waiting_room.publish(message, ctx)
                else:
                    self._start_publish_traced(message, ctx)
            return
        if waiting_room is not None:
            waiting_room.publish(message, ctx)
        else:
            self._publish(message, ctx)

    def _publish_now(self, message: Any, ctx: MessageContext) -> None:
        # A publish that waited for start() (its "create" span, if traced, has ended).
        if self._tracer is not None:
            self._start_publish_traced(message, ctx)
        else:
            self._publish(message, ctx)

    def _publish(self, message: Any, ctx: MessageContext) -> None:
        if self._interventions:
            self._outstanding += 1
            self._spawn(self._publish_after_interventions(message, ctx))
        else:
            self._fan_out(message, ctx)

    async def _publish_after_interventions(self, message: Any, ctx: MessageContext) -> None:
        try:
            message = await intervene_publish(self._interventions, self._tracer, message, ctx)
            if message is not DROPPED:
                self._fan_out(message, ctx)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()

    def _local_recipients(self, message: Any, ctx: MessageContext) -> Sequence[AgentId]:
        # The recipients handled here, in subscription order; the others go to the transport.
        assert ctx.topic_id is not None
        sender = ctx.sender
        recipients = self._host.subscriptions.recipients(ctx.topic_id)
        if self._all_local:
            if sender is None:
                return recipients
            # Compare the cached hashes first: only an id with the sender's hash needs ``!=``
            # (a Python call), and a publish compares every recipient with its sender.
            sender_hash = sender._hash  # pyright: ignore[reportPrivateUsage]
            return [
                recipient
                for recipient in recipients
                if recipient._hash != sender_hash  # pyright: ignore[reportPrivateUsage]
                or recipient != sender
            ]
        is_local = self._transport.is_local
        local: list[AgentId] = []
        remote: list[AgentId] = []
        for recipient in recipients:
            if recipient != sender:
                (local if is_local(recipient) else remote).append(recipient)
        if remote:
            self._transport.publish(message, remote, ctx)
        return local

    def _fan_out(self, message: Any, ctx: MessageContext) -> None:
        if self._pump is not None:
            # The pump runs the handlers (see _delivery_pump), after publish has returned.
            recipients = self._local_recipients(message, ctx)
            if recipients:
                self._outstanding += len(recipients)
                self._pump.submit(
                    recipients, (message, ctx, self._epoch), contextvars.copy_context()
                )
            return
        published = (message, ctx, self._epoch)
        for recipient in self._local_recipients(message, ctx):
            self._outstanding += 1
            self._deliveries.append(self._deliver_event(recipient, published))
        if self._deliveries and not self._drain_scheduled:
            # Handlers start on the next loop iteration, so publish returns before any runs.
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        # A task factory the application installed is honoured (its tasks start lazily).
        eager = loop.get_task_factory() is None
        queue = self._deliveries
        budget = DELIVERIES_PER_TURN
        again = False
        try:
            # A handler that publishes appends here; the loop picks that up too (no recursion),
            # up to a budget, so that handlers that keep publishing do not starve other tasks.
            while queue:
                if budget == 0:
                    loop.call_soon(self._drain)
                    again = True
                    return
                budget -= 1
                coro = queue.popleft()
                task: asyncio.Task[None]
                if eager:
                    task = asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
                    if task.done():
                        continue
                else:
                    task = loop.create_task(coro)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            self._drain_scheduled = again

    def _drop_queued_deliveries(self) -> None:
        self._epoch += 1
        while self._deliveries:
            self._deliveries.popleft().close()
            self._outstanding -= 1

    async def _deliver_event(
        self, recipient: AgentId, published: tuple[Any, MessageContext, int]
    ) -> None:
        message, ctx, epoch = published
        try:
            if epoch != self._epoch:
                return  # stop() came between publish and this delivery's start
            await self._deliver(recipient, message, ctx)
        except Exception as e:
            self._on_event_exception(e, recipient, message)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()

    # --- traced paths (only with a tracer) ----------------------------------------------------

    async def _deliver_in_span(self, recipient: AgentId, message: Any, ctx: MessageContext) -> Any:
        # A direct message's "send" span, around its delivery here ...
        with message_span(self._tracer, "send", recipient, message=message):
            return await self._deliver(recipient, message, ctx)

    async def _send_remote_in_span(
        self, message: Any, recipient: AgentId, ctx: MessageContext
    ) -> Any:
        # ... or around the transport's send to another process.
        with message_span(self._tracer, "send", recipient, message=message):
            return await self._transport.send(message, recipient, ctx)

    async def _after_response(
        self, response: Any, sender: AgentId, recipient: AgentId | None
    ) -> Any:
        # The response's interventions, in an "ack" span when traced.
        if self._tracer is None:
            return await intervene_response(self._interventions, response, sender, recipient)
        with message_span(self._tracer, "ack", recipient, message=response):
            if self._interventions:
                response = await intervene_response(
                    self._interventions, response, sender, recipient
                )
        return response

    def _start_publish_traced(self, message: Any, ctx: MessageContext) -> None:
        # Started here, the task's context holds the current span: the publish span (and the
        # handlers' spans under it) join the trace of the code that published.
        self._outstanding += 1
        self._spawn(self._publish_traced(message, ctx))

    async def _publish_traced(self, message: Any, ctx: MessageContext) -> None:
        assert ctx.topic_id is not None
        try:
            with message_span(self._tracer, "publish", ctx.topic_id, message=message):
                message = await intervene_publish(self._interventions, self._tracer, message, ctx)
                if message is DROPPED:
                    return
                recipients = self._local_recipients(message, ctx)
                published = (message, ctx, self._epoch)
                self._outstanding += len(recipients)
                # Handlers still run concurrently; the publish span ends when all are done.
                await asyncio.gather(*(self._deliver_event(r, published) for r in recipients))
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()

    # --- lifecycle ---------------------------------------------------------------------------

    def _begin(self) -> None:
        """Mark the runtime started (a subclass's ``start()`` calls it once it can deliver)."""
        self._running = True
        self._unhandled = None

    async def _halt(self) -> None:
        self._running = False
        if not self._all_local:
            await self._transport.stop()

    async def stop(self) -> None:
        """Stop delivering new messages now; deliveries already running go on.

        Raises:
            RuntimeStateError: The runtime is not started.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started.")
        self._drop_queued_deliveries()
        await self._halt()
        self._raise_unhandled()

    async def stop_when_idle(self) -> None:
        """Wait until no message is being delivered (including those sent by handlers), then stop.

        Raises:
            RuntimeStateError: The runtime is not started.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started; call start() first.")
        await self._wait_idle()
        await self._halt()
        self._raise_unhandled()

    async def stop_when(self, condition: Callable[[], bool]) -> None:
        """Stop once ``condition()`` holds; it is checked now and after every delivery.

        Raises:
            RuntimeStateError: The runtime is not started.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started; call start() first.")
        await self._wait_condition(condition)
        await self._halt()
        self._raise_unhandled()

    async def _wait_idle(self) -> None:
        # Messages the transport holds for this process but has not handed over yet (a durable
        # queue's backlog) are work too: idle means none are left.
        while True:
            await DeliveryTracking._wait_idle(self)
            if self._all_local or self._unhandled is not None:
                return
            if await self._transport.pending() == 0 and self._outstanding == 0:
                return
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        """Stop if running, release the transport and call ``close()`` on every agent."""
        if self._closed:
            return
        self._running = False
        self._closed = True
        self._drop_queued_deliveries()
        await self._transport.close()
        await self._host.close_agents()

    # --- internals ---------------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._counter)}"
