"""Durable mode: messages travel on a JetStream work-queue stream and are acknowledged.

Every message to an agent is stored in the stream ``<ns>_work`` under the agent's subject
``<ns>.work.<type>.<partition>.<key>`` before the sender goes on. The worker holding a partition
pulls that partition's messages through a durable consumer of its own (one per partition, so
consumers never overlap) and acknowledges each message only once it is handled, its state
written and its reply sent. A worker that dies leaves its messages unacknowledged: after
``ack_wait`` the stream hands them to the partition's next holder. So nothing is lost, and a
message may be handled more than once (at-least-once).

While a handler runs, its worker tells the stream every third of ``ack_wait`` that the message
is still in progress, so long handlers are not redelivered. A message that keeps failing to be
acknowledged is given up after ``max_deliver`` deliveries (and logged by NATS advisories).
A direct message's reply goes to the caller's reply subject; duplicate replies (after a
redelivery) are ignored.

A worker handles at most ``max_in_flight`` messages of one partition at once. A handler that
waits for the reply to a durable call of its own does not count while it waits: otherwise
handlers calling agents of their own partition (whose messages queue behind them in the same
consumer) would fill every slot and wait for each other until their deadlines.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass

from parlay_core import ROOT_LOGGER_NAME
from parlay_core.exceptions import RequestTimeoutError, TransportError
from parlay_ext.runtimes.nats import _wire
from parlay_ext.runtimes.nats._aio import cancel_and_wait, cancellable
from parlay_ext.runtimes.nats._sdk import (
    Client,
    JetStreamContext,
    Msg,
    PullSubscription,
    add_work_stream,
    js_errors,
    nats_errors,
    pull_subscribe,
    subscribe,
)
from parlay_ext.runtimes.nats._subjects import Subjects

__all__ = ["REPLY", "DurableQueue", "keep_in_progress"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

REPLY = "Parlay-Reply"
"""Header: where the handling worker sends a durable call's response."""

_FETCH_WAIT = 0.5  # seconds a pull waits for messages; also how fast a consumer loop stops
_BATCH = 64
Partition = tuple[str, int]


@dataclass(slots=True)
class _Slot:
    """The in-flight slot of one pulled message, held by the task handling it."""

    queue: DurableQueue
    partition: Partition
    waiting: int = 0  # calls of the handler (and of tasks it started) awaiting their reply
    counted: bool = True  # whether the message counts among the partition's in-flight ones
    finished: bool = False

    def wait(self) -> None:
        self.waiting += 1
        if self.waiting == 1:
            self._count(False)  # the handler waits: its slot may serve the reply's message

    def resume(self) -> None:
        self.waiting -= 1
        if self.waiting == 0 and not self.finished:
            self._count(True)

    def finish(self, _: object = None) -> None:
        self.finished = True
        self._count(False)

    def _count(self, counted: bool) -> None:
        if counted != self.counted:
            self.counted = counted
            in_flight = self.queue.in_flight
            in_flight[self.partition] = in_flight.get(self.partition, 0) + (1 if counted else -1)


# Set for the task handling a pulled message (and inherited by the tasks it starts).
_slot: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar(
    "parlay_nats_slot", default=None
)


class DurableQueue:
    """The work-queue stream of a namespace, the consumers of held partitions, and replies.

    Args:
        js: The JetStream context.
        client: The NATS connection.
        namespace: The namespace (stream ``<ns>_work``, subjects ``<ns>.work.>``).
        worker_id: This worker's id (its reply subject is derived from it).
        replicas: Replicas of the stream when this worker creates it.
        ack_wait: Seconds before an unacknowledged message is handed out again.
        max_deliver: Deliveries of one message before the stream gives up on it.
        max_in_flight: Messages of one partition handled at once on this worker.
    """

    def __init__(
        self,
        js: JetStreamContext,
        client: Client,
        *,
        namespace: str,
        worker_id: str,
        replicas: int,
        ack_wait: float,
        max_deliver: int,
        max_in_flight: int = 256,
    ) -> None:
        self._js = js
        self._client = client
        self._namespace = namespace
        self._subjects = Subjects(namespace)
        self._stream = self._subjects.work_stream
        self._replicas = replicas
        self.ack_wait = ack_wait
        self._max_deliver = max_deliver
        self._max_in_flight = max_in_flight
        self.reply_subject = self._subjects.replies(worker_id)
        self._replies: dict[str, asyncio.Future[Msg]] = {}
        self._consumers: dict[Partition, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self.in_flight: dict[Partition, int] = {}
        """Messages of each partition being handled (and not waiting for a reply)."""
        self._subs: dict[Partition, PullSubscription] = {}

    async def open(self) -> None:
        """Create the stream if no worker has, and listen for replies."""
        await add_work_stream(
            self._js, self._stream, [self._subjects.work_all], replicas=self._replicas
        )
        await subscribe(self._client, self.reply_subject, cb=self._on_reply)

    def subject(self, agent_type: str, partition: int, key: str) -> str:
        """The stream subject of an agent."""
        return self._subjects.work(agent_type, partition, key)

    # --- sending --------------------------------------------------------------------------------

    async def enqueue(
        self, subject: str, payload: bytes, headers: dict[str, str], timeout: float
    ) -> None:
        """Store a message in the stream; returns once the stream has it.

        Raises:
            RequestTimeoutError: The stream did not confirm within ``timeout``.
            TransportError: The connection is closed.
        """
        try:
            await self._js.publish(subject, payload, timeout=timeout, headers=headers)
        except nats_errors.TimeoutError:
            raise RequestTimeoutError(
                f"JetStream did not confirm storing a message on {subject} within {timeout:.3g}s."
            ) from None
        except (nats_errors.ConnectionClosedError, nats_errors.ConnectionDrainingError) as e:
            raise TransportError(f"The NATS connection is closed: {e}") from e

    async def call(
        self, subject: str, payload: bytes, headers: dict[str, str], timeout: float
    ) -> Msg:
        """Store a direct message (``headers`` name its call token) and wait for its reply.

        Raises:
            RequestTimeoutError: No reply within ``timeout`` (the message stays queued).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        call = headers[_wire.CALL]
        reply: asyncio.Future[Msg] = loop.create_future()
        self._replies[call] = reply
        # The message id makes JetStream drop a second copy if a publish is retried.
        headers = {**headers, REPLY: self.reply_subject, "Nats-Msg-Id": call}
        slot = _slot.get()
        if slot is not None and slot.queue is not self:
            slot = None
        try:
            await self.enqueue(subject, payload, headers, timeout)
            if slot is not None:
                slot.wait()
            try:
                return await asyncio.wait_for(reply, max(deadline - loop.time(), 0.001))
            except asyncio.TimeoutError:
                raise RequestTimeoutError(
                    f"No reply to the message on {subject} within {timeout:g}s; it stays queued "
                    "and will be handled once a worker serves its partition."
                ) from None
            finally:
                if slot is not None:
                    slot.resume()
        finally:
            self._replies.pop(call, None)

    async def _on_reply(self, msg: Msg) -> None:
        call = (msg.headers or {}).get(_wire.CALL, "")
        reply = self._replies.pop(call, None)
        if reply is not None and not reply.done():
            reply.set_result(msg)

    def fail_pending(self, error: Exception) -> None:
        """Fail every call waiting for a reply."""
        for reply in list(self._replies.values()):
            if not reply.done():
                reply.set_exception(error)

    # --- consuming ------------------------------------------------------------------------------

    async def consume(
        self, agent_type: str, partition: int, handle: Callable[[Msg], asyncio.Task[None]]
    ) -> None:
        """Start pulling the messages of a partition this worker now holds.

        ``handle`` starts handling one message and returns the task that does it.
        """
        key = (agent_type, partition)
        if key in self._consumers:
            return
        filter_subject = f"{self._subjects.work_partition(agent_type, partition)}.*"
        durable = f"w_{_wire.token(agent_type).replace('=', 'h')}_{partition}"
        sub = await pull_subscribe(
            self._js,
            filter_subject,
            durable=durable,
            stream=self._stream,
            ack_wait=self.ack_wait,
            max_deliver=self._max_deliver,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(self._pull(key, sub, stop, handle))
        self._consumers[key] = (task, stop)
        self._subs[key] = sub

    async def stop_consuming(self, agent_type: str, partition: int) -> None:
        """Stop pulling a partition's messages (those already pulled are still handled)."""
        self._subs.pop((agent_type, partition), None)
        entry = self._consumers.pop((agent_type, partition), None)
        if entry is None:
            return
        task, stop = entry
        stop.set()
        # The loop stops between pulls; a pull left waiting would strand its messages until
        # their ack_wait runs out.
        await asyncio.wait({task}, timeout=_FETCH_WAIT * 4)
        await cancel_and_wait(task, _FETCH_WAIT * 4)

    async def stop_all(self) -> None:
        """Stop pulling every partition."""
        await asyncio.gather(*(self.stop_consuming(*key) for key in list(self._consumers)))

    async def pending(self) -> int:
        """Messages stored for the partitions this worker pulls and not yet acknowledged."""
        total = 0
        for sub in list(self._subs.values()):
            with contextlib.suppress(Exception):
                info = await sub.consumer_info()
                total += (info.num_pending or 0) + (info.num_ack_pending or 0)
        return total

    async def _pull(
        self,
        key: Partition,
        sub: PullSubscription,
        stop: asyncio.Event,
        handle: Callable[[Msg], asyncio.Task[None]],
    ) -> None:
        try:
            while not stop.is_set():
                room = self._max_in_flight - self.in_flight.get(key, 0)
                if room <= 0:
                    await asyncio.sleep(0.01)
                    continue
                try:
                    # In a task of its own: the client turns a cancellation into a timeout.
                    messages = await cancellable(
                        sub.fetch(batch=min(room, _BATCH), timeout=_FETCH_WAIT)
                    )
                except (nats_errors.TimeoutError, asyncio.TimeoutError):
                    continue  # nothing waiting
                except (js_errors.APIError, nats_errors.Error) as e:
                    logger.warning("Pulling %s failed: %s", key, e)
                    await asyncio.sleep(_FETCH_WAIT)
                    continue
                for message in messages:
                    self.in_flight[key] = self.in_flight.get(key, 0) + 1
                    # The handling task copies the context as it is created: it gets the slot.
                    slot = _Slot(self, key)
                    token = _slot.set(slot)
                    try:
                        task = handle(message)
                    finally:
                        _slot.reset(token)
                    task.add_done_callback(slot.finish)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


async def keep_in_progress(msg: Msg, every: float) -> None:
    """Tell the stream, every ``every`` seconds, that ``msg`` is still being handled."""
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):
            await msg.in_progress()
