"""The NATS transport: where a worker's messages go, and the serving of the partitions it holds.

The runtime layer of parlay-core (:class:`~parlay_core.hosting.HostedRuntime`) does everything
else: contexts, interventions, event logging, idle tracking. It asks the transport whether an
agent is local (its partition is held here, and the worker is serving), hands it the messages
for agents elsewhere, and calls local agents through :meth:`Server.deliver_local`, which
counts deliveries per partition (for hand-overs) and fences a partition this worker lost.

:class:`Server` exists only once ``start()`` has connected: it is made with the connection, the
cluster view, the caller and the durable queue, and holds everything that serving needs.
:class:`NatsTransport` is what the runtime holds from its construction: before ``start()`` it
says "not started" (see :data:`NOT_STARTED`); afterwards it hands each question to the server.

A worker subscribes to the subjects of the partitions it holds. Requests are served
concurrently (NATS hands a subscription's messages over one at a time, and handlers of one agent
may run concurrently, as in process), each as if in a task of its own: on Python 3.12+ in an
eagerly started task; before, the requests that arrive together run in one task (see
:func:`~parlay_core.hosting.start_batch`), since most are answered without waiting and every
task would cost a loop iteration. A published message is acknowledged as soon as the worker has
it, then handled; a direct message is answered with the handler's response or its error.

Work that arrives over NATS is counted by the runtime's delivery bookkeeping
(:class:`~parlay_core.hosting.DeliveryTracking`), as what the worker itself sends is.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from parlay_core import (
    ROOT_LOGGER_NAME,
    AgentId,
    CancellationToken,
    MessageContext,
    TopicId,
)
from parlay_core.exceptions import (
    PayloadTooLargeError,
    RuntimeStateError,
    SerializationError,
    WorkerUnavailableError,
)
from parlay_core.hosting import AgentHost, HostedRuntime, LocalDelivery, start_batch
from parlay_ext.runtimes.nats import _wire
from parlay_ext.runtimes.nats._calls import (
    ACK_DELAY,
    CALL,
    Caller,
    acknowledge,
    decode_id,
    frame_size,
)
from parlay_ext.runtimes.nats._dataconn import DataConnection, DataSubscription
from parlay_ext.runtimes.nats._durable import REPLY, DurableQueue, keep_in_progress
from parlay_ext.runtimes.nats._fencing import Fence
from parlay_ext.runtimes.nats._sdk import Msg
from parlay_ext.runtimes.nats._subjects import Subjects

if TYPE_CHECKING:
    from parlay_ext.runtimes.nats._cluster import Cluster, Partition

__all__ = ["NOT_STARTED", "NatsTransport", "Server"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

_RECIPIENTS_KEPT = 8192
_EAGER_TASKS = sys.version_info >= (3, 12)

NOT_STARTED = (
    "The NATS runtime is not started; call start() first (`await runtime.start()`): it "
    "connects, joins the cluster and learns which worker hosts what."
)


class Server:
    """The serving and routing of one started worker (see the module docstring).

    Args:
        work: The runtime: its delivery bookkeeping counts what arrives over NATS.
        host: The runtime's host.
        nc: The data connection (requests, replies and cancellations; see ``_dataconn``).
        cluster: The cluster view (who holds which partition).
        caller: Sends this worker's calls and published messages.
        durable: The work-queue stream, in durable mode.
        subjects: The namespace's subject names.
        loopback: Send messages for local agents over NATS too (tests the wire end to end).
        request_timeout: The deadline of every call, in seconds.
        pinned: Pre-built agents registered here, which never move to another worker (the
            runtime's set: registrations after start() add to it).
    """

    def __init__(
        self,
        work: HostedRuntime,
        host: AgentHost,
        nc: DataConnection,
        cluster: Cluster,
        caller: Caller,
        durable: DurableQueue | None,
        *,
        subjects: Subjects,
        loopback: bool,
        request_timeout: float,
        pinned: set[AgentId],
    ) -> None:
        self._work = work
        self._host = host
        self._nats = nc
        self._cluster = cluster
        self.lease_valid = cluster.lease_valid
        """Whether this worker can still prove it holds a partition's lease (see _Delivery)."""
        self._caller = caller
        self._durable = durable
        self._subjects = subjects
        self._loopback = loopback
        self._request_timeout = request_timeout
        self._pinned = pinned
        # The deliveries to each partition's agents that wait (see _Delivery): a hand-over waits
        # for them, and a lost lease cancels them (see fence).
        self._running_in: dict[Partition, set[_Delivery]] = {}
        self._partition_subs: dict[Partition, DataSubscription] = {}
        # The tasks of the calls whose handlers wait, by call token (a cancellation names it).
        self._handlers: dict[str, asyncio.Task[Any]] = {}
        # Calls whose handlers wait and are not acknowledged yet: when each started and where
        # its caller waits, oldest first. One timer serves them all (see _acknowledge_late).
        self._unacknowledged: dict[str, tuple[float, str]] = {}
        self._ack_timer: asyncio.TimerHandle | None = None
        # Calls their callers cancelled, remembered for a while: a durable message that is
        # still queued when its call is cancelled is dropped instead of handled.
        self._cancelled: deque[str] = deque(maxlen=4096)
        # Recipient headers already read, with the recipient's partition: an agent gets many
        # messages, and parsing its id (an unquoting, a split, a validation, a hash) costs more
        # than the lookup. Emptied when full.
        self._recipients: dict[str, tuple[AgentId, Partition]] = {}
        # What goes before the payload of an ok reply, by response type (see _reply).
        self._ok_replies: dict[str, bytes] = {}
        # Requests that arrived since the last batch of them started (Python < 3.12).
        self._arriving: list[Msg] | None = None

    async def open(self) -> None:
        """Start taking in cancellations and replies (``start()`` calls it once)."""
        await self._nats.subscribe(self._subjects.cancel, cb=self._on_cancel)
        await self._caller.open(self._nats)  # the replies to this worker's calls

    # --- routing (what NatsTransport asks once started) ------------------------------------

    def is_local(self, agent_id: AgentId) -> bool:
        """Whether this worker serves ``agent_id`` now, so a message to it needs no NATS."""
        # Durable mode stores every message, even for a local agent, so that none is lost.
        if (
            self._loopback
            or self._durable is not None
            or not self._work.is_running
            or not self._host.is_known_type(agent_id.type)
        ):
            return False
        return self.holds(agent_id)

    def holds(self, agent_id: AgentId) -> bool:
        """Whether this worker holds ``agent_id``'s partition (its object lives here)."""
        return self._cluster.holds(self._caller.partition(agent_id))

    def check_recipient(self, agent_id: AgentId) -> None:
        """Raise :class:`AgentTypeNotFoundError` if no live worker hosts ``agent_id``'s type."""
        self._caller.check_hosted(agent_id)

    def send(self, message: Any, recipient: AgentId, ctx: MessageContext) -> Awaitable[Any]:
        """Call an agent on another worker over NATS: awaiting it returns the response."""
        # The caller's coroutine itself, not one more around it: every call passes here.
        return self._caller.call(message, recipient, ctx)

    def publish(self, message: Any, recipients: Sequence[AgentId], ctx: MessageContext) -> None:
        """Send a published message to agents on other workers, each counted until sent."""
        try:
            encoded = self._caller.encode(message)  # once per publish, however many recipients
        except SerializationError:
            logger.exception("Cannot publish %s to %s", type(message).__name__, ctx.topic_id)
            return
        for recipient in recipients:
            self._work.work_started()
            self._work.spawn(self._send_remote_event(recipient, encoded, ctx))

    async def pending(self) -> int:
        """Messages stored for this worker's partitions but not handled yet (durable mode)."""
        return 0 if self._durable is None else await self._durable.pending()

    async def stop(self) -> None:
        """Stop serving (the runtime stopped); the connection stays open."""
        await self.unsubscribe_all()

    async def deliver_local(self, recipient: AgentId, message: Any, ctx: MessageContext) -> Any:
        partition = self._caller.partition(recipient)
        delivery = _Delivery(self, partition, self._host.deliver(recipient, message, ctx))
        try:
            return await delivery
        except asyncio.CancelledError:
            if not self._was_fenced(delivery):
                raise
            if ctx.is_rpc:
                raise WorkerUnavailableError(
                    f"This worker lost the partition lease of {recipient} while its handler ran "
                    "(it stalled for longer than the lease) and abandoned the handler midway; "
                    "it may have run in part."
                ) from None
            return None
        finally:
            if delivery.waited:
                self._done_waiting(delivery)

    async def _send_remote_event(
        self, recipient: AgentId, encoded: tuple[str, bytes], ctx: MessageContext
    ) -> None:
        try:
            self._caller.check_hosted(recipient)
            await self._caller.send_event(recipient, encoded[0], encoded[1], ctx)
        except Exception as e:
            logger.error(
                "Published %s not delivered to %s: %s", encoded[0], recipient, e, exc_info=e
            )
        finally:
            self._work.work_done()

    # --- serving the partitions this worker holds ---------------------------------------------

    async def on_gain(self, agent_type: str, partition: int) -> None:
        """The cluster gave this worker a partition: serve it if the runtime runs."""
        if self._work.is_running:
            await self.subscribe_partition(agent_type, partition)

    async def subscribe_partition(self, agent_type: str, partition: int) -> None:
        """Serve a partition this worker holds."""
        if self._durable is not None:
            await self._durable.consume(agent_type, partition, self._on_durable_message)
            return
        key = (agent_type, partition)
        if key in self._partition_subs:
            return
        subject = self._subjects.partition(agent_type, partition)
        # A queue group: should two subscriptions ever overlap, a message still goes to one.
        self._partition_subs[key] = await self._nats.subscribe(
            f"{subject}.*", queue=subject, cb=self._on_agent_message
        )

    async def unsubscribe_all(self) -> None:
        """Stop serving every partition (``stop()`` and ``close()``)."""
        subs, self._partition_subs = self._partition_subs, {}
        await asyncio.gather(*(_drain(sub) for sub in subs.values()))
        if self._durable is not None:
            await self._durable.stop_all()

    async def on_lose(self, agent_type: str, partition: int, graceful: bool) -> None:
        """The worker no longer holds a partition: stop serving it and release its agents."""
        key = (agent_type, partition)
        sub = self._partition_subs.pop(key, None)
        if sub is not None:
            await _drain(sub)
        if self._durable is not None:
            await self._durable.stop_consuming(agent_type, partition)
        moving = [
            agent_id
            for agent_id in list(self._host.instances)
            if agent_id not in self._pinned and self._caller.partition(agent_id) == key
        ]
        if graceful:
            # Let running handlers finish before the next holder creates these agents again.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._request_timeout
            while self._running_in.get(key) and loop.time() < deadline:
                await asyncio.sleep(0.01)
            store = self._host.state_store
            if store is not None and moving:
                with contextlib.suppress(Exception):
                    await self._host.checkpoint(moving)
        for agent_id in moving:
            self._host.release(agent_id)

    def _on_agent_message(self, msg: Msg) -> None:
        # Counted before the task starts, so stop_when_idle() never sees a gap.
        self._work.work_started()
        if _EAGER_TASKS:
            # Its first step runs now: a handler that never waits costs no loop iteration.
            loop = asyncio.get_running_loop()
            serve = self._serve(msg)
            task: asyncio.Task[None] = asyncio.Task(serve, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
            if not task.done():
                self._work.tasks.add(task)
                task.add_done_callback(self._work.tasks.discard)
            return
        arriving: list[Msg] | None = self._arriving
        if arriving is None:
            # The batch starts on the next loop iteration, with every request that came in
            # meanwhile (NATS hands over a burst in one go).
            arriving = []
            self._arriving = arriving
            start_batch(arriving, self._serve_next, contextvars.copy_context(), self._work.tasks)
        arriving.append(msg)

    def _serve_next(self, msg: Msg) -> Coroutine[Any, Any, None]:
        # The batch has started: requests arriving from now on go to the next one.
        self._arriving = None
        return self._serve(msg)

    async def _serve(self, msg: Msg) -> None:
        try:
            await self._serve_one(msg)
        except Exception:
            # Never expected (errors are answered); a batch must go on with the next request.
            logger.exception("Serving a request on %s failed", msg.subject)
        finally:
            self._work.work_done()

    def _on_durable_message(self, msg: Msg) -> asyncio.Task[None]:
        self._work.work_started()
        task = asyncio.ensure_future(self._serve_durable(msg))
        self._work.tasks.add(task)
        task.add_done_callback(self._work.tasks.discard)
        return task

    async def _serve_durable(self, msg: Msg) -> None:
        durable = self._durable
        assert durable is not None
        call = (msg.headers or {}).get(CALL, "")
        heartbeat = asyncio.ensure_future(keep_in_progress(msg, durable.ack_wait / 3))
        try:
            if call and call in self._cancelled:
                outcome = "ack"  # its caller gave up before it was handled
            else:
                outcome = await self._serve_one(msg)
        except asyncio.CancelledError:
            if call and call in self._cancelled:
                with contextlib.suppress(Exception):
                    await msg.ack()
            raise  # otherwise this worker is going away: the stream hands the message on
        finally:
            heartbeat.cancel()
            self._work.work_done()
        with contextlib.suppress(Exception):
            if outcome == "ack":
                await msg.ack()
            elif outcome == "later":
                await msg.nak(delay=0.1)
            else:
                await msg.term()  # it can never be handled: do not hand it out again

    async def _serve_one(self, msg: Msg) -> str:
        """Handle one request; return what a durable message needs: ack, later or drop."""
        try:
            if msg.headers:
                headers, data = _wire.unpack(msg.headers), msg.data
            else:  # a Parlay caller's request: its fields go before the payload
                headers, data = _wire.unframe(msg.data)
            recipient, partition = self._recipient(headers[_wire.RECIPIENT])
            type_name = headers[_wire.TYPE]
            sender = headers.get(_wire.SENDER)
            topic = headers.get(_wire.TOPIC)
            ctx = MessageContext(
                AgentId.from_str(decode_id(sender)) if sender else None,
                TopicId.from_str(decode_id(topic)) if topic else None,
                headers.get(_wire.KIND) != "event",
                CancellationToken(),
                _message_id(headers.get(_wire.ID, "")),
            )
        except (KeyError, ValueError) as e:
            self._reply_error(msg, SerializationError(f"Malformed request: {e}"))
            return "drop"
        if not self._work.is_running or not self._cluster.holds(partition):
            if self._durable is None:
                self._reply(msg, b"", {_wire.STATUS: "moved"})
            return "later"
        try:
            self._host.check_recipient_type(recipient)
            message = self._caller.decode(data, type_name)
        except Exception as e:
            self._reply_error(msg, e)
            return "drop"
        work = self._host.deliver(recipient, message, ctx)
        if ctx.is_rpc:
            call = headers.get(CALL, "")
            # A handler still waiting after a moment tells the caller who handles its call: if
            # this worker dies, the caller learns it from the cluster view instead of waiting
            # for its deadline. A quicker handler's reply says it instead. (Durable mode needs
            # neither: a dead worker's messages are handed on; its reply subject belongs to the
            # stream.)
            late_ack = msg.reply if call and self._durable is None else ""
            delivery = _Delivery(self, partition, work, call, late_ack)
        else:
            delivery = _Delivery(self, partition, work)
        try:
            if not ctx.is_rpc:
                if self._durable is None:
                    self._reply(msg, b"", {_wire.STATUS: "ok"})
                try:
                    await delivery
                except Exception as e:
                    self._work.event_handler_failed(e, recipient, message)
                return "ack"
            try:
                response = await delivery
            except Exception as e:
                self._reply_error(msg, e)
                return "ack"
        except asyncio.CancelledError:
            if not self._was_fenced(delivery):
                raise
            if ctx.is_rpc and self._durable is None:
                # Durable mode stays silent: the stream hands the message to the next holder.
                self._reply_error(
                    msg,
                    WorkerUnavailableError(
                        f"The worker handling the call to {recipient} lost its partition lease "
                        "while the handler ran (it stalled for longer than the lease) and "
                        "abandoned the handler midway; it may have run in part."
                    ),
                )
            return "later"  # durable: handed to the partition's next holder
        finally:
            if delivery.waited:
                self._done_waiting(delivery)
        try:
            if response is None:
                type_name, data = _wire.NONE_TYPE, b""
            else:
                type_name, data = self._caller.encode(response)
        except Exception as e:
            # Answered at once with a typed error (and, in durable mode, acknowledged): the
            # handler ran, and running it again would produce the same unsendable value.
            error = e if isinstance(e, SerializationError) else SerializationError(str(e))
            with contextlib.suppress(TypeError):  # keeps the subclass when it takes a message
                error = type(error)(f"The response of {recipient} cannot be sent back: {e}")
            self._reply_error(msg, error)
            return "ack"
        if msg.headers or self._durable is not None or not self._reply_ok(msg, type_name, data):
            self._reply(msg, data, {_wire.STATUS: "ok", _wire.TYPE: type_name})
        return "ack"

    def _recipient(self, header: str) -> tuple[AgentId, Partition]:
        recipient = self._recipients.get(header)
        if recipient is None:
            agent_id = AgentId.from_str(decode_id(header))
            recipient = (agent_id, self._caller.partition(agent_id))
            if len(self._recipients) >= _RECIPIENTS_KEPT:
                self._recipients.clear()
            self._recipients[header] = recipient
        return recipient

    # --- fencing: a partition lost while its handlers ran -------------------------------------

    def delivery_waits(self, delivery: _Delivery) -> None:
        """Make a delivery that waits findable: by fence, a hand-over, a cancellation, a timer."""
        task = asyncio.current_task()  # the task that is about to suspend with it
        delivery.task = task
        running = self._running_in.get(delivery.partition)
        if running is None:
            running = self._running_in[delivery.partition] = set()
        running.add(delivery)
        call = delivery.call
        if call and task is not None:
            self._handlers[call] = task
        if delivery.late_ack:
            loop = asyncio.get_running_loop()
            self._unacknowledged[call] = (loop.time(), delivery.late_ack)
            if self._ack_timer is None:
                self._ack_timer = loop.call_later(ACK_DELAY, self._acknowledge_late)

    def _done_waiting(self, delivery: _Delivery) -> None:
        running = self._running_in.get(delivery.partition)
        if running is not None:
            running.discard(delivery)
            if not running:
                del self._running_in[delivery.partition]
        if delivery.call:
            self._handlers.pop(delivery.call, None)
            if delivery.late_ack:
                self._unacknowledged.pop(delivery.call, None)

    def fence(self, partition: Partition) -> None:
        """Abandon every delivery to ``partition`` now: this worker no longer holds its lease.

        Called synchronously by the cluster, before any of these tasks resumes (after a stall,
        for example): the next holder may already be delivering to the same agents. A delivery
        that never waited is not running (it ended within its first step).
        """
        for delivery in list(self._running_in.get(partition, ())):
            task = delivery.task
            if not delivery.fenced and task is not None and not task.done():
                delivery.fenced = delivery.cancelled = True
                task.cancel()

    def step_refused(self, delivery: _Delivery) -> bool:
        """Abandon a delivery whose partition lease is not proven (see _Delivery.may_step)."""
        # Abandoned by the caller (it throws CancelledError into the handler), not cancelled:
        # a cancellation requested now would land on the task's next wait, after the clean-up.
        delivery.fenced = True
        self._cluster.check_validity()  # the partition's other handlers are abandoned too
        return False

    def _was_fenced(self, delivery: _Delivery) -> bool:
        if not delivery.fenced:
            return False
        task = delivery.task
        if delivery.cancelled and task is not None:
            # Our own cancellation, handled here: the task ends normally (uncancel: 3.11+).
            delivery.cancelled = False
            uncancel: Callable[[], int] | None = getattr(task, "uncancel", None)
            if uncancel is not None:
                uncancel()
        return True

    def _acknowledge_late(self) -> None:
        # Acknowledge every call whose handler has run for ACK_DELAY, then wake again when the
        # oldest of the rest reaches it. (A timer per call would cost each call its scheduling
        # and cancelling, though most calls end long before.)
        self._ack_timer = None
        loop = asyncio.get_running_loop()
        due = loop.time() - ACK_DELAY
        waiting = self._unacknowledged
        while waiting:
            key, (started, reply) = next(iter(waiting.items()))
            if started > due:
                self._ack_timer = loop.call_later(started - due, self._acknowledge_late)
                return
            del waiting[key]
            acknowledge(self._nats, reply, key, self._caller.worker_id)

    def _on_cancel(self, msg: Msg) -> None:
        call = (msg.headers or {}).get(CALL, "")
        self._cancelled.append(call)
        task = self._handlers.get(call)
        if task is not None:
            task.cancel()

    def _reply_ok(self, msg: Msg, type_name: str, data: bytes) -> bool:
        """Answer a request that came without headers with its handler's response; False if
        the answer needs the general form (see _reply)."""
        # The common reply, to a request framed the same way: no headers (the client builds
        # and parses them in Python), the response type before the payload.
        target = msg.reply
        if not target:
            return True
        head = self._ok_replies.get(type_name)
        if head is None:
            if len(self._ok_replies) >= _RECIPIENTS_KEPT:
                self._ok_replies.clear()
            head = self._ok_replies[type_name] = f"{type_name}\n".encode()
        if len(target) + len(head) + len(data) + 512 > self._nats.max_payload:
            return False  # too large: _reply answers with an error instead
        try:
            self._nats.publish_nowait(target, head + data)
        except Exception as e:
            logger.warning("Could not answer %s: %s", msg.subject, e)
        return True

    def _reply(self, msg: Msg, data: bytes, headers: dict[str, str]) -> None:
        # A durable message's own reply subject acknowledges it to the stream: the caller's
        # reply subject travels in a header instead.
        target = msg.reply
        if self._durable is not None:
            request = msg.headers or {}
            target = request.get(REPLY, "")
            headers = {**headers, CALL: request.get(CALL, "")}  # which call this answers
        if not target:
            return
        if frame_size(target, data, headers) + 512 > self._nats.max_payload:
            # Sending it would make the server close this worker's connection.
            error = PayloadTooLargeError(
                f"The response to {msg.subject} is {len(data)} bytes, more than the NATS server "
                f"accepts per message ({self._nats.max_payload}, max_payload) with its headers."
            )
            data, headers = _wire.encode_error(error), {**headers, _wire.STATUS: "error"}
            headers.pop(_wire.TYPE, None)
        elif self._durable is None and headers.get(_wire.STATUS) == "ok":
            headers = {_wire.PACKED: _wire.pack(headers)}  # one header line instead of two
        try:
            self._nats.publish_nowait(target, data, headers=headers)
        except Exception as e:
            logger.warning("Could not answer %s: %s", msg.subject, e)

    def _reply_error(self, msg: Msg, error: BaseException) -> None:
        self._reply(msg, _wire.encode_error(error), {_wire.STATUS: "error"})


class _Delivery(Fence):
    """One delivery to an agent of a partition this worker holds, fenced (see ``_fencing``).

    Made for every request served and every local call, and registered where it can be found
    (fence, a hand-over, a cancellation, the late acknowledgement) only once it waits: a handler
    that answers within its first step, as most do, needs none of that bookkeeping.

    Args:
        server: The server that delivers it.
        partition: The recipient's partition.
        work: The delivery (the host's ``deliver`` coroutine).
        call: The call token of a served request (a cancellation names it), or empty.
        late_ack: The reply subject to acknowledge the call on if its handler still runs
            after ``ACK_DELAY``, or empty.
    """

    __slots__ = ("call", "cancelled", "fenced", "late_ack", "partition", "server", "task")

    def __init__(
        self,
        server: Server,
        partition: Partition,
        work: Coroutine[Any, Any, Any],
        call: str = "",
        late_ack: str = "",
    ) -> None:
        self._inner = work  # as Fence.__init__ does, without one more call per delivery
        self.waited = False
        self.server = server
        self.partition = partition
        self.call = call
        self.late_ack = late_ack
        self.task: asyncio.Task[Any] | None = None
        """The task running it, once it waits."""
        self.fenced = False
        """Abandoned: the lease of its partition was lost while it ran."""
        self.cancelled = False
        """Its task was cancelled by :meth:`Server.fence` (and not uncancelled yet)."""

    def may_step(self) -> bool:
        # Asked before every step of the handler: the fence timer cannot run before a step that
        # was already queued when the process stalled, so this catches it.
        server = self.server
        return server.lease_valid(self.partition) or server.step_refused(self)

    def on_wait(self) -> None:
        self.server.delivery_waits(self)


class NatsTransport:
    """The transport a NATS worker's runtime holds from construction (the ``Transport`` seam).

    Before ``start()`` there is no server: every question that needs the cluster raises
    :class:`RuntimeStateError` (``ready``) and nothing is local. ``start()`` sets :attr:`server`.
    """

    def __init__(self) -> None:
        self.server: Server | None = None
        """The started worker's server, set by ``start()``."""

    def _started(self) -> Server:
        server = self.server
        if server is None:
            raise RuntimeStateError(NOT_STARTED)
        return server

    @property
    def deliver_local(self) -> LocalDelivery:
        """Calls a local agent through the server (which counts it in its partition)."""
        return self._deliver_local

    def _deliver_local(
        self, recipient: AgentId, message: Any, ctx: MessageContext
    ) -> Awaitable[Any]:
        return self._started().deliver_local(recipient, message, ctx)

    # ready, check_recipient and send run on every call to another worker: each tests the
    # server itself rather than through _started(), one Python call less.

    def ready(self) -> None:
        """Raise :class:`RuntimeStateError` before the first ``start()``."""
        if self.server is None:
            raise RuntimeStateError(NOT_STARTED)

    def is_local(self, agent_id: AgentId) -> bool:
        """Whether this worker serves ``agent_id`` now (never before ``start()``)."""
        return self.server is not None and self.server.is_local(agent_id)

    def holds(self, agent_id: AgentId) -> bool:
        """Whether this worker holds ``agent_id``'s partition (never before ``start()``)."""
        return self.server is not None and self.server.holds(agent_id)

    def check_recipient(self, agent_id: AgentId) -> None:
        """Raise :class:`AgentTypeNotFoundError` if no live worker hosts the type."""
        server = self.server
        if server is None:
            raise RuntimeStateError(NOT_STARTED)
        server.check_recipient(agent_id)

    def send(self, message: Any, recipient: AgentId, ctx: MessageContext) -> Awaitable[Any]:
        """Call an agent on another worker over NATS: awaiting it returns the response.

        Raises:
            RuntimeStateError: Not started (raised here, before anything is awaited).
        """
        server = self.server
        if server is None:
            raise RuntimeStateError(NOT_STARTED)
        return server.send(message, recipient, ctx)

    def publish(self, message: Any, recipients: Sequence[AgentId], ctx: MessageContext) -> None:
        """Send a published message to agents on other workers."""
        self._started().publish(message, recipients, ctx)

    async def stop(self) -> None:
        """Stop serving; the connection stays open."""
        if self.server is not None:
            await self.server.stop()

    async def pending(self) -> int:
        """Durable messages stored for this worker but not handled yet."""
        return 0 if self.server is None else await self.server.pending()

    async def close(self) -> None:
        """Stop serving (the runtime closes the rest)."""
        await self.stop()


def _message_id(field: str) -> str:
    return unquote(field) if "%" in field else field  # most ids are plain (the caller's form)


async def _drain(sub: DataSubscription) -> None:
    # Draining, not unsubscribing: messages the server already routed here are still taken in
    # (and answered "moved", so their callers retry) instead of vanishing into a timeout.
    with contextlib.suppress(Exception):
        await sub.drain()
