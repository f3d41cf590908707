"""The serving side of a worker, and the routing of what it sends.

A worker subscribes to the subjects of the partitions it holds. Each request runs in a task of
its own (NATS hands a subscription's messages over one at a time, and handlers of one agent may
run concurrently, as in process). A published message is acknowledged as soon as the worker has
it, then handled; a direct message is answered with the handler's response or its error.

Outstanding work is counted by the core's delivery bookkeeping, as in the in-process runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from parlay_core import (
    EVENT_LOGGER_NAME,
    ROOT_LOGGER_NAME,
    AgentId,
    CancellationToken,
    DropMessage,
    MessageContext,
    TopicId,
)
from parlay_core.exceptions import (
    MessageDroppedException,
    PayloadTooLargeError,
    SerializationError,
)
from parlay_core.hosting import AgentHost, CancelScope, DeliveryTracking
from parlay_ext.runtimes.nats import _wire
from parlay_ext.runtimes.nats._calls import (
    ACK,
    CALL,
    Caller,
    decode_id,
    frame_size,
    schedule_ack,
)
from parlay_ext.runtimes.nats._durable import REPLY, DurableQueue, keep_in_progress
from parlay_ext.runtimes.nats._sdk import Client, Msg, NatsSubscription, subscribe

if TYPE_CHECKING:
    from parlay_core import InterventionHandler
    from parlay_ext.runtimes.nats._cluster import Cluster, Partition

__all__ = ["Server"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")
event_logger = logging.getLogger(EVENT_LOGGER_NAME)


class Server(DeliveryTracking):
    """Routing, serving and idle bookkeeping; the runtime class builds on it."""

    _logger = logger

    _cluster: Cluster | None
    _caller: Caller
    _request_timeout: float
    _durable: DurableQueue | None

    def __init__(
        self,
        host: AgentHost,
        *,
        interventions: list[InterventionHandler],
        ignore_unhandled: bool,
        namespace: str,
        loopback: bool,
    ) -> None:
        self._host = host
        self._interventions = interventions
        self._subject_prefix = f"{namespace}.agent"
        self._cancel_subject = f"{namespace}.cancel"
        self._loopback = loopback
        self._running = False
        DeliveryTracking.__init__(self, ignore_unhandled=ignore_unhandled)
        self._busy: dict[Partition, int] = {}
        self._partition_subs: dict[Partition, NatsSubscription] = {}
        self._handlers: dict[str, asyncio.Task[Any]] = {}
        self._pinned: set[AgentId] = set()
        # Calls their callers cancelled, remembered for a while: a durable message that is
        # still queued when its call is cancelled is dropped instead of handled.
        self._cancelled: deque[str] = deque(maxlen=4096)
        self._durable = None
        self._nats: Client | None = None

    async def _open_serving(self, nc: Client) -> None:
        self._nats = nc
        await subscribe(nc, self._cancel_subject, cb=self._on_cancel)
        await self._caller.open(nc)  # replies and acknowledgements to this worker's calls

    # --- routing what this worker sends -------------------------------------------------------

    def _local_partition(self, agent_id: AgentId) -> Partition | None:
        # Durable mode stores every message, even for a local agent, so that none is lost.
        if (
            self._loopback
            or self._durable is not None
            or not self._running
            or not self._host.is_known_type(agent_id.type)
        ):
            return None
        partition = self._caller.partition(agent_id)
        cluster = self._cluster
        return partition if cluster is not None and cluster.holds(partition) else None

    async def _send(
        self, message: Any, recipient: AgentId, ctx: MessageContext, watch_token: bool
    ) -> Any:
        if not self._host.is_known_type(recipient.type):
            self._caller.check_hosted(recipient)
        if self._interventions:
            message = await self._intervene_send(message, ctx, recipient)
        self._outstanding += 1
        try:
            partition = self._local_partition(recipient)
            if partition is None:
                response = await self._caller.call(message, recipient, ctx)
            else:
                response = await self._deliver_local_rpc(
                    recipient, partition, message, ctx, watch_token
                )
        finally:
            self._finish()
        if self._interventions:
            response = await self._intervene_response(response, recipient, ctx.sender)
        return response

    async def _deliver_local_rpc(
        self,
        recipient: AgentId,
        partition: Partition,
        message: Any,
        ctx: MessageContext,
        watch_token: bool,
    ) -> Any:
        self._busy[partition] = self._busy.get(partition, 0) + 1
        try:
            if not watch_token:
                return await self._host.deliver(recipient, message, ctx)
            with CancelScope(ctx.cancellation_token, f"The message to {recipient}"):
                return await self._host.deliver(recipient, message, ctx)
        finally:
            self._busy[partition] -= 1

    def _publish(self, message: Any, ctx: MessageContext) -> None:
        if self._interventions:
            self._outstanding += 1
            self._spawn(self._publish_after_interventions(message, ctx))
        else:
            self._fan_out(message, ctx)

    async def _publish_after_interventions(self, message: Any, ctx: MessageContext) -> None:
        try:
            for handler in self._interventions:
                message = await handler.on_publish(message, message_context=ctx)
                if message is DropMessage or isinstance(message, DropMessage):
                    return
            self._fan_out(message, ctx)
        finally:
            self._finish()

    def _fan_out(self, message: Any, ctx: MessageContext) -> None:
        assert ctx.topic_id is not None
        encoded: tuple[str, bytes] | None = None
        for recipient in self._host.subscriptions.recipients(ctx.topic_id):
            if recipient == ctx.sender:
                continue
            partition = self._local_partition(recipient)
            if partition is not None:
                self._outstanding += 1
                self._busy[partition] = self._busy.get(partition, 0) + 1
                self._spawn(self._deliver_local_event(recipient, partition, message, ctx))
                continue
            if encoded is None:  # serialized once per publish, however many recipients
                try:
                    encoded = self._caller.encode(message)
                except SerializationError:
                    logger.exception(
                        "Cannot publish %s to %s", type(message).__name__, ctx.topic_id
                    )
                    return
            self._outstanding += 1
            self._spawn(self._send_remote_event(recipient, encoded, ctx))

    async def _deliver_local_event(
        self, recipient: AgentId, partition: Partition, message: Any, ctx: MessageContext
    ) -> None:
        try:
            await self._host.deliver(recipient, message, ctx)
        except Exception as e:
            self._on_event_exception(e, recipient, message)
        finally:
            self._busy[partition] -= 1
            self._finish()

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
            self._finish()

    # --- serving the partitions this worker holds ---------------------------------------------

    async def _on_gain(self, agent_type: str, partition: int) -> None:
        if self._running:
            await self._subscribe_partition(agent_type, partition)

    async def _subscribe_partition(self, agent_type: str, partition: int) -> None:
        if self._durable is not None:
            await self._durable.consume(agent_type, partition, self._on_durable_message)
            return
        key = (agent_type, partition)
        if key in self._partition_subs or self._nats is None:
            return
        subject = f"{self._subject_prefix}.{_wire.token(agent_type)}.{partition}"
        # A queue group: should two subscriptions ever overlap, a message still goes to one.
        self._partition_subs[key] = await subscribe(
            self._nats, f"{subject}.*", queue=subject, cb=self._on_agent_message
        )

    async def _unsubscribe_all(self) -> None:
        subs, self._partition_subs = self._partition_subs, {}
        await asyncio.gather(*(_drain(sub) for sub in subs.values()))
        if self._durable is not None:
            await self._durable.stop_all()

    async def _on_lose(self, agent_type: str, partition: int, graceful: bool) -> None:
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
            while self._busy.get(key, 0) > 0 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            store = self._host.state_store
            if store is not None and moving:
                with contextlib.suppress(Exception):
                    await self._host.checkpoint(moving)
        for agent_id in moving:
            self._host.release(agent_id)

    async def _on_agent_message(self, msg: Msg) -> None:
        # Counted before the task starts, so stop_when_idle() never sees a gap.
        self._outstanding += 1
        self._spawn(self._serve(msg))

    async def _serve(self, msg: Msg) -> None:
        try:
            await self._serve_one(msg)
        finally:
            self._finish()

    def _on_durable_message(self, msg: Msg) -> asyncio.Task[None]:
        self._outstanding += 1
        task = asyncio.ensure_future(self._serve_durable(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
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
            self._finish()
        with contextlib.suppress(Exception):
            if outcome == "ack":
                await msg.ack()
            elif outcome == "later":
                await msg.nak(delay=0.1)
            else:
                await msg.term()  # it can never be handled: do not hand it out again

    async def _serve_one(self, msg: Msg) -> str:
        """Handle one request; return what a durable message needs: ack, later or drop."""
        headers = msg.headers or {}
        try:
            recipient = AgentId.from_str(decode_id(headers[_wire.RECIPIENT]))
            type_name = headers[_wire.TYPE]
            sender = headers.get(_wire.SENDER)
            topic = headers.get(_wire.TOPIC)
            ctx = MessageContext(
                AgentId.from_str(decode_id(sender)) if sender else None,
                TopicId.from_str(decode_id(topic)) if topic else None,
                headers.get(_wire.KIND) != "event",
                CancellationToken(),
                unquote(headers.get(_wire.ID, "")),
            )
        except (KeyError, ValueError) as e:
            await self._reply_error(msg, SerializationError(f"Malformed request: {e}"))
            return "drop"
        partition = self._caller.partition(recipient)
        cluster = self._cluster
        if not self._running or cluster is None or not cluster.holds(partition):
            if self._durable is None:
                await self._reply(msg, b"", {_wire.STATUS: "moved"})
            return "later"
        try:
            self._host.check_recipient_type(recipient)
            message = self._caller.decode(msg.data, type_name)
        except Exception as e:
            await self._reply_error(msg, e)
            return "drop"
        self._busy[partition] = self._busy.get(partition, 0) + 1
        try:
            if ctx.is_rpc:
                await self._serve_rpc(msg, recipient, message, ctx, headers)
            else:
                if self._durable is None:
                    await self._reply(msg, b"", {_wire.STATUS: "ok"})
                try:
                    await self._host.deliver(recipient, message, ctx)
                except Exception as e:
                    self._on_event_exception(e, recipient, message)
        finally:
            self._busy[partition] -= 1
        return "ack"

    async def _serve_rpc(
        self,
        msg: Msg,
        recipient: AgentId,
        message: Any,
        ctx: MessageContext,
        headers: dict[str, str],
    ) -> None:
        key = headers.get(CALL, "")
        ack = headers.get(ACK)
        # A handler still running after a moment tells the caller who handles its call: if this
        # worker dies, the caller learns it from the cluster view instead of waiting for its
        # deadline. A quicker handler's reply says it instead.
        late_ack = (
            schedule_ack(self._nats, ack, key, self._caller.worker_id)
            if ack and self._nats is not None
            else None
        )
        task = asyncio.current_task()
        if task is not None:
            self._handlers[key] = task
        try:
            response = await self._host.deliver(recipient, message, ctx)
        except Exception as e:
            await self._reply_error(msg, e)
            return
        finally:
            self._handlers.pop(key, None)
            if late_ack is not None:
                late_ack.cancel()
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
            await self._reply_error(msg, error)
            return
        await self._reply(msg, data, {_wire.STATUS: "ok", _wire.TYPE: type_name})

    async def _on_cancel(self, msg: Msg) -> None:
        call = (msg.headers or {}).get(CALL, "")
        self._cancelled.append(call)
        task = self._handlers.get(call)
        if task is not None:
            task.cancel()

    async def _reply(self, msg: Msg, data: bytes, headers: dict[str, str]) -> None:
        # A durable message's own reply subject acknowledges it to the stream: the caller's
        # reply subject travels in a header instead.
        target = msg.reply
        if self._durable is not None:
            request = msg.headers or {}
            target = request.get(REPLY, "")
            headers = {**headers, CALL: request.get(CALL, "")}  # which call this answers
        if not target or self._nats is None:
            return
        if frame_size(target, data, headers) + 512 > self._nats.max_payload:
            # Sending it would make the server close this worker's connection.
            error = PayloadTooLargeError(
                f"The response to {msg.subject} is {len(data)} bytes, more than the NATS server "
                f"accepts per message ({self._nats.max_payload}, max_payload) with its headers."
            )
            data, headers = _wire.encode_error(error), {**headers, _wire.STATUS: "error"}
            headers.pop(_wire.TYPE, None)
        try:
            await self._nats.publish(target, data, headers=headers)
        except Exception as e:
            logger.warning("Could not answer %s: %s", msg.subject, e)

    async def _reply_error(self, msg: Msg, error: BaseException) -> None:
        await self._reply(msg, _wire.encode_error(error), {_wire.STATUS: "error"})

    # --- interventions ------------------------------------------------------------------------

    async def _wait_idle(self) -> None:
        # In durable mode, messages stored for this worker's partitions but not handled yet are
        # work too: idle means none are left.
        while True:
            await DeliveryTracking._wait_idle(self)
            if self._durable is None or self._unhandled is not None:
                return
            if await self._durable.pending() == 0 and self._outstanding == 0:
                return
            await asyncio.sleep(0.02)

    async def _intervene_send(self, message: Any, ctx: MessageContext, recipient: AgentId) -> Any:
        for handler in self._interventions:
            message = await handler.on_send(message, message_context=ctx, recipient=recipient)
            if message is DropMessage or isinstance(message, DropMessage):
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
                raise MessageDroppedException(
                    f"An intervention handler dropped the response from {sender}."
                )
        return response


async def _drain(sub: NatsSubscription) -> None:
    # Draining, not unsubscribing: messages the server already routed here are still taken in
    # (and answered "moved", so their callers retry) instead of vanishing into a timeout.
    with contextlib.suppress(Exception):
        await sub.drain()  # type: ignore[no-untyped-call,unused-ignore]
