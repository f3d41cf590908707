"""The in-process runtime: the hosting core with the shortest possible transport.

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
import contextvars
import itertools
import logging
import os
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from parlay_core._agent import Agent
from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._cancellation_token import CancellationToken, CancelScope
from parlay_core._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
from parlay_core._delivery_batch import start_batch
from parlay_core._delivery_tracking import DeliveryTracking
from parlay_core._exceptions import (
    AgentClassMismatchError,
    AgentRegistrationError,
    MessageDroppedException,
    RuntimeStateError,
)
from parlay_core._hosting import AgentHost
from parlay_core._intervention import DropMessage, InterventionHandler
from parlay_core._message_context import MessageContext
from parlay_core._serialization import MessageSerializer
from parlay_core._subscription import Subscription
from parlay_core._telemetry import get_tracer, message_span

if TYPE_CHECKING:
    from parlay_core.state import CheckpointPolicy, StateStore

__all__ = ["SingleThreadedAgentRuntime"]

logger = logging.getLogger(ROOT_LOGGER_NAME)
event_logger = logging.getLogger(EVENT_LOGGER_NAME)

T = TypeVar("T", bound=Agent)

# Python 3.12 can start a task eagerly: a handler runs at once as a real task, and only handlers
# that actually wait cost a scheduled task. Earlier versions schedule every task.
_EAGER_TASKS = sys.version_info >= (3, 12)

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


class SingleThreadedAgentRuntime(DeliveryTracking, AgentRuntime):
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
        DeliveryTracking.__init__(self, ignore_unhandled=ignore_unhandled_exceptions)
        # None unless a tracer provider is configured: then every message takes the traced path.
        self._tracer = get_tracer(tracer_provider)
        self._host = AgentHost(
            self,
            tracer=self._tracer,
            state_store=state_store,
            checkpoint=checkpoint,
        )
        self._interventions = list(intervention_handlers or [])
        self._running = False
        self._closed = False
        # The timer behind the never-started warning: it exists only until the first start()
        # or process_next(), so a started runtime pays nothing for it.
        self._ever_driven = False
        self._never_started_timer: asyncio.TimerHandle | None = None
        self._pending: deque[_PendingSend | _PendingPublish] = deque()
        self._pending_waiter: asyncio.Future[None] | None = None
        self._deliveries: deque[Coroutine[Any, Any, None]] = deque()
        self._drain_scheduled = False
        self._epoch = 0
        self._id_prefix = os.urandom(6).hex()
        self._counter = itertools.count(1)

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
            RuntimeStateError: The runtime is closed.
            Exception: Whatever the handler raised, re-raised as is.
        """
        if self._closed:
            raise self._closed_error()
        self._host.check_recipient_type(recipient)
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        ctx = MessageContext(
            sender, None, True, token, message_id if message_id is not None else self._next_id()
        )
        if event_logger.isEnabledFor(logging.INFO):
            self._log_message(message, sender, recipient, "DIRECT")
        if self._tracer is not None:
            return await self._send_traced(message, recipient, ctx, cancellation_token is not None)
        if not self._running:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            token.link_future(future)
            self._enqueue(_PendingSend(message, recipient, ctx, future))
            self._watch_never_started()
            return await future
        return await self._rpc(message, recipient, ctx, cancellation_token is not None)

    async def _rpc(
        self, message: Any, recipient: AgentId, ctx: MessageContext, watch_token: bool
    ) -> Any:
        if self._interventions:
            message = await self._intervene_send(message, ctx, recipient)
        self._outstanding += 1
        try:
            if not watch_token:
                response = await self._host.deliver(recipient, message, ctx)
            else:
                with CancelScope(ctx.cancellation_token, f"The message to {recipient}"):
                    response = await self._host.deliver(recipient, message, ctx)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()
        if self._interventions:
            response = await self._intervene_response(response, recipient, ctx.sender)
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
            RuntimeStateError: The runtime is closed.
        """
        if self._closed:
            raise self._closed_error()
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        ctx = MessageContext(
            sender,
            topic_id,
            False,
            token,
            message_id if message_id is not None else self._next_id(),
        )
        if event_logger.isEnabledFor(logging.INFO):
            self._log_message(message, sender, topic_id, "PUBLISH")
        if self._tracer is not None:
            with message_span(self._tracer, "create", topic_id, message=message):
                if not self._running:
                    self._enqueue(_PendingPublish(message, ctx))
                else:
                    self._start_publish_traced(message, ctx)
            return
        if not self._running:
            self._enqueue(_PendingPublish(message, ctx))
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
            tracer = self._tracer
            for handler in self._interventions:
                if tracer is None:
                    message = await handler.on_publish(message, message_context=ctx)
                else:
                    with message_span(tracer, "intercept", type(handler).__name__):
                        message = await handler.on_publish(message, message_context=ctx)
                if message is DropMessage or isinstance(message, DropMessage):
                    self._log_dropped(message, ctx.sender, ctx.topic_id)
                    return
            self._fan_out(message, ctx)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()

    def _fan_out(self, message: Any, ctx: MessageContext) -> None:
        assert ctx.topic_id is not None
        sender = ctx.sender
        if not _EAGER_TASKS:
            # One task runs all recipients' handlers (see _delivery_batch); it starts on the
            # next loop iteration, after publish has returned.
            epoch = self._epoch
            recipients = [
                recipient
                for recipient in self._host.subscriptions.recipients(ctx.topic_id)
                if sender is None or recipient != sender
            ]
            if recipients:
                self._outstanding += len(recipients)
                start_batch(
                    recipients,
                    lambda recipient: self._deliver_event(recipient, message, ctx, epoch),
                    contextvars.copy_context(),
                    self._tasks,
                )
            return
        for recipient in self._host.subscriptions.recipients(ctx.topic_id):
            if recipient == sender:
                continue
            self._outstanding += 1
            self._deliveries.append(self._deliver_event(recipient, message, ctx, self._epoch))
        if self._deliveries and not self._drain_scheduled:
            # Handlers start on the next loop iteration, so publish returns before any runs.
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        # A task factory the application installed is honoured (its tasks start lazily).
        eager = loop.get_task_factory() is None
        queue = self._deliveries
        try:
            # A handler that publishes appends here; the loop picks that up too (no recursion).
            while queue:
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
            self._drain_scheduled = False

    def _drop_queued_deliveries(self) -> None:
        self._epoch += 1
        while self._deliveries:
            self._deliveries.popleft().close()
            self._outstanding -= 1

    async def _deliver_event(
        self, recipient: AgentId, message: Any, ctx: MessageContext, epoch: int
    ) -> None:
        try:
            if epoch != self._epoch:
                return  # stop() came between publish and this delivery's start
            await self._host.deliver(recipient, message, ctx)
        except Exception as e:
            self._on_event_exception(e, recipient, message)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()

    # --- traced paths (only with a tracer) ----------------------------------------------------

    async def _send_traced(
        self, message: Any, recipient: AgentId, ctx: MessageContext, watch_token: bool
    ) -> Any:
        tracer = self._tracer
        # AutoGen's span tree for a direct message: create ⊃ (intercept, send ⊃ process, ack).
        with message_span(tracer, "create", recipient, message=message):
            if not self._running:
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                ctx.cancellation_token.link_future(future)
                self._enqueue(_PendingSend(message, recipient, ctx, future))
                self._watch_never_started()
                return await future
            return await self._rpc_traced(message, recipient, ctx, watch_token)

    async def _rpc_traced(
        self, message: Any, recipient: AgentId, ctx: MessageContext, watch_token: bool
    ) -> Any:
        tracer = self._tracer
        if self._interventions:
            message = await self._intervene_send(message, ctx, recipient)
        self._outstanding += 1
        try:
            with message_span(tracer, "send", recipient, message=message):
                if not watch_token:
                    response = await self._host.deliver(recipient, message, ctx)
                else:
                    with CancelScope(ctx.cancellation_token, f"The message to {recipient}"):
                        response = await self._host.deliver(recipient, message, ctx)
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()
        with message_span(tracer, "ack", ctx.sender, message=response):
            if self._interventions:
                response = await self._intervene_response(response, recipient, ctx.sender)
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
                if self._interventions:
                    for handler in self._interventions:
                        with message_span(self._tracer, "intercept", type(handler).__name__):
                            message = await handler.on_publish(message, message_context=ctx)
                        if message is DropMessage or isinstance(message, DropMessage):
                            self._log_dropped(message, ctx.sender, ctx.topic_id)
                            return
                sender = ctx.sender
                recipients = [
                    recipient
                    for recipient in self._host.subscriptions.recipients(ctx.topic_id)
                    if sender is None or recipient != sender
                ]
                epoch = self._epoch
                self._outstanding += len(recipients)
                # Handlers still run concurrently; the publish span ends when all are done.
                await asyncio.gather(
                    *(self._deliver_event(r, message, ctx, epoch) for r in recipients)
                )
        finally:
            self._outstanding -= 1
            if self._outstanding == 0 or self._conditions:
                self._after_delivery()

    # --- interventions -----------------------------------------------------------------------

    async def _intervene_send(self, message: Any, ctx: MessageContext, recipient: AgentId) -> Any:
        tracer = self._tracer
        for handler in self._interventions:
            if tracer is None:
                message = await handler.on_send(message, message_context=ctx, recipient=recipient)
            else:
                with message_span(tracer, "intercept", type(handler).__name__):
                    message = await handler.on_send(
                        message, message_context=ctx, recipient=recipient
                    )
            if message is DropMessage or isinstance(message, DropMessage):
                self._log_dropped(message, ctx.sender, recipient)
                raise MessageDroppedException(
                    f"An intervention handler dropped the message to {recipient}."
                )
        return message

    async def _intervene_response(
        self, response: Any, sender: AgentId, recipient: AgentId | None
    ) -> Any:
        for handler in self._interventions:
            response = await handler.on_response(response, sender=sender, recipient=recipient)
            if response is DropMessage or isinstance(response, DropMessage):
                self._log_dropped(response, sender, recipient)
                raise MessageDroppedException(
                    f"An intervention handler dropped the response from {sender}."
                )
        return response

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
        self._running = True
        self._unhandled = None
        self._driven()
        while self._pending:
            self._dispatch_pending(self._pending.popleft())

    @property
    def is_running(self) -> bool:
        """Whether the runtime is started (delivering messages), i.e. between ``start()`` and a stop."""
        return self._running

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

    async def stop(self) -> None:
        """Stop delivering new messages now; deliveries already running go on.

        Raises:
            RuntimeStateError: The runtime is not started.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started.")
        self._running = False
        self._drop_queued_deliveries()
        self._raise_unhandled()

    async def stop_when_idle(self) -> None:
        """Wait until no message is being delivered (including those sent by handlers), then stop.

        Raises:
            RuntimeStateError: The runtime is not started.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started; call start() first.")
        await self._wait_idle()
        self._running = False
        self._raise_unhandled()

    async def stop_when(self, condition: Callable[[], bool]) -> None:
        """Stop once ``condition()`` holds; it is checked now and after every delivery."""
        if not self._running:
            raise RuntimeStateError("The runtime is not started; call start() first.")
        await self._wait_condition(condition)
        self._running = False
        self._raise_unhandled()

    async def close(self) -> None:
        """Stop if running, fail messages still waiting, and call ``close()`` on every agent."""
        if self._closed:
            return
        self._running = False
        self._closed = True
        self._driven()
        self._drop_queued_deliveries()
        while self._pending:
            item = self._pending.popleft()
            if isinstance(item, _PendingSend) and not item.future.done():
                item.future.set_exception(self._closed_error())
        await self._host.close_agents()

    # --- registration and state --------------------------------------------------------------

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register ``agent_factory`` for agents of ``type``; each key gets its own agent, lazily.

        Raises:
            AgentRegistrationError: ``type`` is already registered.
        """
        if self._closed:
            raise self._closed_error()
        return self._host.register_factory(type, agent_factory, expected_class)

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register a pre-built agent under ``agent_id``."""
        if self._closed:
            raise self._closed_error()
        return await self._host.register_instance(agent_instance, agent_id)

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = Agent) -> T:  # type: ignore[assignment]
        """Return the agent object for ``id`` (creating it), checked to be an instance of ``type``.

        Raises:
            AgentClassMismatchError: The agent is not an instance of ``type``.
        """
        agent = await self._host.get_agent(id)
        if not isinstance(agent, type):
            raise AgentClassMismatchError(
                f"Agent {id} is a {agent.__class__.__name__}, not a {type.__name__}."
            )
        return agent

    @overload
    async def get(self, id_or_type: AgentId, /, *, lazy: bool = ...) -> AgentId: ...

    @overload
    async def get(
        self, id_or_type: AgentType | str, /, key: str = ..., *, lazy: bool = ...
    ) -> AgentId: ...

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        """Return the id of an agent, creating it now unless ``lazy``."""
        agent_id = id_or_type if isinstance(id_or_type, AgentId) else AgentId(id_or_type, key)
        self._host.check_recipient_type(agent_id)
        if not lazy:
            await self._host.get_agent(agent_id)
        return agent_id

    async def save_state(self) -> Mapping[str, Any]:
        """The state of every instantiated agent, keyed ``"type/key"``."""
        return await self._host.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load a state from :meth:`save_state`; entries of unregistered types are skipped."""
        skipped = await self._host.load_state(state)
        if skipped:
            logger.warning("load_state skipped agents of unregistered types: %s", skipped)

    async def checkpoint(self, agent_ids: Sequence[AgentId] | None = None) -> list[AgentId]:
        """Write the state of the given (default: every instantiated) agent to the state store.

        Returns:
            The ids written; ids of agents not instantiated yet are skipped.

        Raises:
            RuntimeStateError: No state store is configured, or the policy is ``"never"``.
            StateConflictError: Another process wrote an agent's state since this one read it.
        """
        return await self._host.checkpoint(agent_ids)

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """One agent's metadata."""
        return (await self._host.get_agent(agent)).metadata

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """One agent's state."""
        return await (await self._host.get_agent(agent)).save_state()

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Restore one agent's state."""
        await (await self._host.get_agent(agent)).load_state(state)

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add a subscription.

        Raises:
            AgentRegistrationError: A subscription with the same id, or an equal one, was added
                already (a ``ValueError``, as in AutoGen).
        """
        if not self._host.subscriptions.add(subscription):
            raise AgentRegistrationError(
                f"Subscription already exists: {subscription!r} (or one with its id) was added "
                "before. Add each subscription once."
            )

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription.

        Raises:
            SubscriptionNotFoundError: No subscription has that id.
        """
        self._host.subscriptions.remove(id)

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers (used only where messages leave the process)."""
        self._host.serializers.add_serializer(serializer)

    # --- internals ---------------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._counter)}"

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

    def _closed_error(self) -> RuntimeStateError:
        return RuntimeStateError("The runtime is closed; create a new SingleThreadedAgentRuntime.")

    def _log_message(
        self, message: Any, sender: AgentId | None, receiver: AgentId | TopicId, kind: str
    ) -> None:
        from parlay_core.logging import DeliveryStage, MessageEvent, MessageKind

        event_logger.info(
            MessageEvent(
                payload=message,
                sender=sender,
                receiver=receiver,
                kind=MessageKind[kind],
                delivery_stage=DeliveryStage.SEND,
            )
        )

    def _log_dropped(
        self, message: Any, sender: AgentId | None, receiver: AgentId | TopicId | None
    ) -> None:
        if event_logger.isEnabledFor(logging.INFO):
            from parlay_core.logging import MessageDroppedEvent, MessageKind

            event_logger.info(
                MessageDroppedEvent(
                    payload=message, sender=sender, receiver=receiver, kind=MessageKind.DIRECT
                )
            )
