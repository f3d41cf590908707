"""The calling side: encode a message, find the agent's subject, send, wait with a deadline.

A call is retried, until its deadline, only while it is certain that nobody received it: NATS
reports "no responders" (the partition is between owners) or the worker answers "moved" (it no
longer holds the partition). A call that may have reached a handler is never repeated; if the
worker holding it dies, the caller learns it from the cluster view within about one lease time
(:class:`WorkerUnavailableError`), and in any case at the deadline (:class:`RequestTimeoutError`).

Which worker handles a call: the reply says it for most calls (a handler that answers within
:data:`ACK_DELAY`); a worker whose handler is still running then says so in an acknowledgement
of its own, sent to the call's reply subject. Until then the call is attributed to the
partition's holder at the time it was sent (the only worker that can have received it, short of
a hand-over, which the retry rule covers).
Replies come back on one wildcard subscription per connection and are handed straight to the
waiting call (no task of their own per call).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote, unquote

from parlay_core import (
    ROOT_LOGGER_NAME,
    AgentId,
    MessageContext,
    TopicId,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import (
    AgentTypeNotFoundError,
    PayloadTooLargeError,
    RequestTimeoutError,
    SerializationError,
    TransportError,
    UnknownMessageTypeError,
    WorkerUnavailableError,
)
from parlay_core.hosting import AgentHost, wire_type_name
from parlay_ext.runtimes.nats import _wire
from parlay_ext.runtimes.nats._cluster import Cluster, Partition
from parlay_ext.runtimes.nats._dataconn import DataConnection
from parlay_ext.runtimes.nats._durable import DurableQueue
from parlay_ext.runtimes.nats._sdk import Msg
from parlay_ext.runtimes.nats._subjects import Subjects

__all__ = ["ACK_DELAY", "Caller", "acknowledge", "decode_id", "encode_id", "frame_size"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

CALL = _wire.CALL
WORKER = _wire.WORKER

# Plain JSON values travel as themselves (an RPC may answer with a str or a number).
_JSON_PREFIX = "json:"
_JSON_TYPES: frozenset[type[Any]] = frozenset({str, int, float, bool, list, dict})
_JSON_TYPES_BY_NAME: dict[str, type[Any]] = {t.__name__: t for t in _JSON_TYPES}


ACK_DELAY = 0.05
"""Seconds a handler may run before its worker acknowledges the call on its own.

Far below the grace after which a caller attributes an unacknowledged call to the partition's
holder (half a lease time), so a running handler is always known by then; long enough that a
quick handler's reply is its only message back.
"""
_ACKNOWLEDGED = "ack"
"""The status of an acknowledgement (it comes on the reply subject, before the reply)."""
_NO_RESPONDERS = "503"
"""The status of the message the server sends to a reply subject that has no subscriber."""

_Route = tuple[Partition, str, str]
"""An agent's partition, subject and packed recipient field (see :meth:`Caller._route`)."""
_ROUTES_KEPT = 8192
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]*\Z")
"""What quoting leaves as is (a UUID message id, for one)."""
_ID_FIELD = _wire.packed_field(_wire.ID, "")
"""The packed message id field, but for a plain id (which needs no escaping)."""

# Room for the headers added after the check (the call token, the durable reply subject and
# message id) and the reply subject of a request.
_HEADER_RESERVE = 512


def frame_size(subject: str, payload: bytes, headers: dict[str, str]) -> int:
    """Bytes a message counts against ``max_payload``: its header block and payload.

    The subject is added too (it is not counted by the server, but is bounded by the control
    line; counting it errs on the safe side).
    """
    block = len(b"NATS/1.0\r\n\r\n") + sum(
        len(key.encode()) + len(value.encode()) + 4 for key, value in headers.items()
    )
    return len(subject.encode()) + block + len(payload)


def encode_id(value: AgentId | TopicId) -> str:
    """A header-safe form of an agent or topic id (header values may not hold line breaks)."""
    return quote(str(value), safe="/:")


def decode_id(value: str) -> str:
    """The inverse of :func:`encode_id`."""
    return unquote(value)


@dataclass(slots=True, eq=False)
class _Pending:
    partition: Partition
    sent: float
    outcome: asyncio.Future[Msg]
    holder: str | None
    """The partition's holder when the call was sent, as this worker saw it."""
    deadline: float
    """Loop time after which the attempt fails with :class:`_Expired`."""
    handler: str | None = None
    """The worker that acknowledged the call."""


class _Unreceived(Exception):
    """A call certainly reached no handler: send it again."""


class _Expired(Exception):
    """The call's deadline passed without a reply."""


def acknowledge(client: DataConnection, subject: str, call: str, worker_id: str) -> None:
    """Tell the caller of ``call``, on its reply ``subject``, that ``worker_id`` runs its handler.

    The serving worker sends it only for a handler still running after :data:`ACK_DELAY`
    seconds: a quicker handler's reply names the worker instead.
    """
    with contextlib.suppress(Exception):  # a lost acknowledgement only delays a failure
        client.publish_nowait(
            subject, b"", headers={_wire.STATUS: _ACKNOWLEDGED, CALL: call, WORKER: worker_id}
        )


class Caller:
    """Sends direct messages and published events to agents on other workers.

    Args:
        host: The local host (its serializers encode and decode payloads).
        cluster: The cluster view (who hosts what, who holds which partition).
        client: A function returning the data connection (see ``_dataconn``).
        namespace: The subject prefix.
        partitions: Partitions per agent type.
        request_timeout: The deadline of every call, in seconds.
        worker_id: This worker's id (sent so a cancellation reaches the right handler).
    """

    def __init__(
        self,
        host: AgentHost,
        cluster: Cluster,
        client: Callable[[], DataConnection],
        *,
        namespace: str,
        partitions: int,
        request_timeout: float,
        worker_id: str,
    ) -> None:
        self._host = host
        self._cluster = cluster
        self._client = client
        self._namespace = namespace
        self._subjects = Subjects(namespace)
        self._partitions = partitions
        self._timeout = request_timeout
        self._worker_id = worker_id
        self._pending: dict[str, _Pending] = {}
        """The attempts waiting for their reply, by number (the last token of its subject)."""
        self.durable: DurableQueue | None = None
        """The work-queue stream, in durable mode (set by the runtime once connected)."""
        self._calls = itertools.count(1)
        self._call_field = f" {_wire.pack({CALL: f'{worker_id}.'})}".encode()
        """The packed call token of an attempt (after the other fields), but for its number."""
        self._routes: dict[AgentId, _Route] = {}
        self._wire_names: dict[type[object], str] = {}
        """The wire name of each message class sent, once its serializer is registered."""
        self._type_fields: dict[str, str] = {}
        self._reply_prefix = ""
        """``<inbox>.``: each attempt's reply subject is this and the attempt's number."""
        # One timer for every attempt's deadline, set for the earliest (see _expire_due).
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._next_expiry = float("inf")

    async def open(self, client: DataConnection) -> None:
        """Subscribe ``client`` to the replies (and acknowledgements) of this worker's calls."""
        self._reply_prefix = f"{client.new_inbox()}."
        await client.subscribe(f"{self._reply_prefix}*", cb=self._on_reply)

    @property
    def worker_id(self) -> str:
        """This worker's id."""
        return self._worker_id

    # --- addressing and encoding --------------------------------------------------------------

    def partition(self, agent_id: AgentId) -> Partition:
        """The partition that ``agent_id`` belongs to."""
        return self._route(agent_id)[0]

    def subject(self, agent_id: AgentId, partition: int) -> str:
        """The subject that reaches ``agent_id``."""
        return self._subjects.agent(agent_id.type, partition, agent_id.key)

    def _route(self, agent_id: AgentId) -> _Route:
        # Every call and every served message needs these; computing them (a hash, two token
        # checks, a quoting) costs more than the lookup. The table is emptied when it is full.
        route = self._routes.get(agent_id)
        if route is None:
            if len(self._routes) >= _ROUTES_KEPT:
                self._routes.clear()
            partition = (agent_id.type, _wire.partition_of(agent_id, self._partitions))
            recipient = _wire.packed_field(_wire.RECIPIENT, encode_id(agent_id))
            route = (partition, self.subject(agent_id, partition[1]), recipient)
            self._routes[agent_id] = route
        return route

    def encode(self, message: Any) -> tuple[str, bytes]:
        """Serialize ``message`` with the host's serializers; return its wire type name and bytes.

        A dataclass or pydantic type without a serializer gets the built-in JSON one.

        Raises:
            UnknownMessageTypeError: The type is neither registered nor JSON-serializable as is.
            PayloadTooLargeError: The payload exceeds the server's ``max_payload``.
            SerializationError: The value cannot be serialized (its serializer failed).
        """
        serializers = self._host.serializers
        cls = cast("type[object]", type(message))
        type_name = self._wire_names.get(cls)
        if type_name is None:
            if cls in _JSON_TYPES:
                return self._encode_json(message)
            type_name = self._wire_name(message)
        try:
            payload = serializers.serialize(message, type_name=type_name)
        except SerializationError:
            raise
        except (TypeError, ValueError, RecursionError) as e:
            # A registered serializer's own failure (json.dumps in a custom serializer).
            raise SerializationError(
                f"The serializer of {type_name} failed: {type(e).__name__}: {e}"
            ) from e
        if len(payload) > self._client().max_payload:
            self.check_size(payload, type_name)
        return type_name, payload

    def _encode_json(self, message: Any) -> tuple[str, bytes]:
        # A plain JSON value (see _JSON_TYPES) travels as itself.
        type_name = _JSON_PREFIX + type(message).__name__
        try:
            payload = json.dumps(message).encode()
        except RecursionError as e:
            raise SerializationError(
                f"A {type_name} value is too deeply nested to send ({e}). Flatten it."
            ) from e
        except (TypeError, ValueError) as e:
            raise SerializationError(
                f"A {type_name} value cannot be sent as JSON: {e}. Send JSON-friendly "
                "values (str keys; str, numbers, lists, dicts), or a dataclass or pydantic "
                "model."
            ) from e
        self.check_size(payload, type_name)
        return type_name, payload

    def _wire_name(self, message: Any) -> str:
        # The first message of its class: its wire name, once its serializer is registered;
        # then remembered (serializers are added, never removed).
        serializers = self._host.serializers
        type_name = wire_type_name(message)
        if not serializers.is_registered(type_name):
            cls = cast("type[object]", type(message))
            known = try_get_known_serializers_for_type(cls)
            if not known:
                raise UnknownMessageTypeError(
                    f"{type_name} cannot cross a process boundary: it is not a dataclass or "
                    "pydantic model and no serializer is registered for it. Use a dataclass or "
                    "pydantic model, or call runtime.add_message_serializer(...)."
                )
            serializers.add_serializer(known)
        if len(self._wire_names) >= _ROUTES_KEPT:
            self._wire_names.clear()
        self._wire_names[cast("type[object]", type(message))] = type_name
        return type_name

    def check_size(self, payload: bytes, type_name: str) -> None:
        """Raise :class:`PayloadTooLargeError` if ``payload`` alone exceeds the server's limit.

        The whole frame, headers included, is checked again before sending (:meth:`check_frame`).
        """
        limit = self._client().max_payload
        if len(payload) > limit:
            raise PayloadTooLargeError(
                f"A serialized {type_name} is {len(payload)} bytes; the NATS server accepts "
                f"{limit} per message (max_payload). Send a reference (a URL, an object-store "
                "key) instead, or raise max_payload in the server configuration."
            )

    def check_frame(
        self, subject: str, payload: bytes, headers: dict[str, str], what: Callable[[], str]
    ) -> None:
        """Raise :class:`PayloadTooLargeError` unless the message fits the server's limit.

        The server counts the header block with the payload, and closes the whole connection
        (failing every call in flight) when a message exceeds ``max_payload``: so a message that
        would is refused here, before it is sent. Long agent ids make long headers.

        Args:
            subject: The subject it goes to (counted too, to stay on the safe side).
            payload: The serialized message.
            headers: Its headers, as far as known (room is kept for those added later).
            what: Says what the message is, for the error text (called only then).
        """
        self._check_frame_size(frame_size(subject, payload, headers), len(payload), what)

    def _check_frame_size(self, size: int, payload: int, what: Callable[[], str]) -> None:
        limit = self._client().max_payload
        size += _HEADER_RESERVE
        if size > limit:
            raise PayloadTooLargeError(
                f"{what()} would be {size} bytes with its headers ({payload} of payload); "
                f"the NATS server accepts {limit} per message (max_payload) and would close "
                "the connection. Use shorter agent types and keys, send a reference (a URL, an "
                "object-store key) instead of a large payload, or raise max_payload in the "
                "server configuration."
            )

    def headers(
        self, kind: str, recipient: AgentId, type_name: str, ctx: MessageContext
    ) -> dict[str, str]:
        """The headers of a request to ``recipient``."""
        message_id = ctx.message_id
        headers = {
            _wire.RECIPIENT: encode_id(recipient),
            _wire.TYPE: type_name,
            _wire.ID: message_id if _PLAIN_ID.match(message_id) else quote(message_id, safe=""),
        }
        if kind != "rpc":  # an absent kind is a direct message: one header less on most calls
            headers[_wire.KIND] = kind
        if ctx.sender is not None:
            headers[_wire.SENDER] = encode_id(ctx.sender)
        if ctx.topic_id is not None:
            headers[_wire.TOPIC] = encode_id(ctx.topic_id)
        return headers

    def _fields(self, recipient: str, kind: str, type_name: str, ctx: MessageContext) -> bytes:
        # What headers() and pack() make of a request, without the dict between them: built for
        # every call.
        type_field = self._type_fields.get(type_name)
        if type_field is None:
            if len(self._type_fields) >= _ROUTES_KEPT:
                self._type_fields.clear()
            type_field = self._type_fields[type_name] = _wire.packed_field(_wire.TYPE, type_name)
        message_id = ctx.message_id
        if _PLAIN_ID.match(message_id):
            line = f"{recipient} {type_field} {_ID_FIELD}{message_id}"
        else:
            quoted = quote(message_id, safe="")
            line = f"{recipient} {type_field} {_wire.packed_field(_wire.ID, quoted)}"
        if kind != "rpc":  # an absent kind is a direct message: one field less on most calls
            line += f" {_wire.packed_field(_wire.KIND, kind)}"
        if ctx.sender is not None:
            line += f" {_wire.packed_field(_wire.SENDER, encode_id(ctx.sender))}"
        if ctx.topic_id is not None:
            line += f" {_wire.packed_field(_wire.TOPIC, encode_id(ctx.topic_id))}"
        return line.encode()

    def check_hosted(self, agent_id: AgentId) -> None:
        """Raise :class:`AgentTypeNotFoundError` at once if no live worker hosts the type."""
        if not self._cluster.is_hosted(agent_id.type):
            hosted = self._cluster.all_hosted_types()
            raise AgentTypeNotFoundError(
                f"Unknown agent type {agent_id.type!r} (recipient {agent_id}): no live worker "
                f"hosts it. Types hosted now: {hosted or 'none'}. Register it on a worker "
                f"(AgentClass.register(runtime, {agent_id.type!r}, factory)) and start that "
                "worker before sending to it."
            )

    # --- direct messages ----------------------------------------------------------------------

    async def call(self, message: Any, recipient: AgentId, ctx: MessageContext) -> Any:
        """Send ``message`` to the remote ``recipient`` and return the decoded response.

        The runtime has checked that a live worker hosts the recipient's type
        (:meth:`check_hosted`); it is checked again only while the call waits for a holder.

        Raises:
            AgentTypeNotFoundError: No live worker hosts the recipient's type any more.
            WorkerUnavailableError: No worker served the partition before the deadline, or the
                worker handling the call died.
            RequestTimeoutError: No response before the deadline.
            Exception: The handler's error (see :func:`_wire.decode_error`).
        """
        if ctx.cancellation_token.is_cancelled():
            raise asyncio.CancelledError(
                f"The message to {recipient} was cancelled before sending."
            )
        type_name, payload = self.encode(message)
        if self.durable is None:
            reply = await self._request(recipient, "rpc", type_name, payload, ctx)
        else:
            reply = await self._durable_call(self.durable, recipient, type_name, payload, ctx)
            if (reply.headers or {}).get(_wire.STATUS) != "ok":
                raise _wire.decode_error(reply.data, recipient)
        response_type = reply.headers.get(_wire.TYPE, _wire.NONE_TYPE) if reply.headers else ""
        if response_type == _wire.NONE_TYPE:
            return None
        return self.decode(reply.data, response_type, recipient)

    def decode(self, data: bytes, type_name: str, responder: AgentId | None = None) -> Any:
        """Deserialize a payload of wire type ``type_name``.

        Raises:
            UnknownMessageTypeError: This process has no serializer for the type.
            SerializationError: The payload does not match the type.
        """
        if type_name.startswith(_JSON_PREFIX):
            expected = _JSON_TYPES_BY_NAME.get(type_name[len(_JSON_PREFIX) :])
            try:
                value = json.loads(data)
            except RecursionError as e:
                raise SerializationError(
                    f"A {type_name} payload is too deeply nested to read ({e}): the sender is "
                    "broken or hostile."
                ) from e
            except ValueError as e:
                raise SerializationError(f"A {type_name} payload is not valid JSON: {e}") from e
            if expected is None or type(value) is not expected:
                raise SerializationError(f"A {type_name} payload holds a {type(value).__name__}.")
            return value
        if responder is not None and not self._host.serializers.is_registered(type_name):
            raise UnknownMessageTypeError(
                f"{responder} answered with a {type_name}, a type this process has no "
                "serializer for, so the response cannot be read. Register it here: "
                f"runtime.add_message_serializer(try_get_known_serializers_for_type({type_name}))."
            )
        return self._host.serializers.deserialize(data, type_name=type_name)

    async def send_event(
        self, recipient: AgentId, type_name: str, payload: bytes, ctx: MessageContext
    ) -> None:
        """Deliver a published message to a remote recipient.

        Returns once the recipient's worker has it, or (durable mode) once the stream stores it.
        """
        if self.durable is None:
            await self._request(recipient, "event", type_name, payload, ctx)
            return
        partition = _wire.partition_of(recipient, self._partitions)
        headers = self.headers("event", recipient, type_name, ctx)
        subject = self.durable.subject(recipient.type, partition, recipient.key)
        self.check_frame(subject, payload, headers, lambda: f"A {type_name} to {recipient}")
        await self.durable.enqueue(subject, payload, headers, self._timeout)

    async def _durable_call(
        self,
        durable: DurableQueue,
        recipient: AgentId,
        type_name: str,
        payload: bytes,
        ctx: MessageContext,
    ) -> Msg:
        partition = _wire.partition_of(recipient, self._partitions)
        headers = self.headers("rpc", recipient, type_name, ctx)
        headers[CALL] = f"{self._worker_id}.{next(self._calls)}"
        subject = durable.subject(recipient.type, partition, recipient.key)
        self.check_frame(subject, payload, headers, lambda: f"A {type_name} to {recipient}")
        call = asyncio.ensure_future(durable.call(subject, payload, headers, self._timeout))
        loop = asyncio.get_running_loop()
        token = ctx.cancellation_token

        def cancel() -> None:
            loop.call_soon_threadsafe(call.cancel)

        token.add_callback(cancel)
        try:
            return await call
        except asyncio.CancelledError:
            await self._cancel_remote(headers[CALL])  # queued or running: it stops
            raise
        finally:
            token.remove_callback(cancel)

    async def _request(
        self, recipient: AgentId, kind: str, type_name: str, payload: bytes, ctx: MessageContext
    ) -> Msg:
        partition, subject, recipient_field = self._route(recipient)
        # Packed once per call (each attempt adds its call number), and checked as sent.
        fields = self._fields(recipient_field, kind, type_name, ctx) + self._call_field
        client = self._client()
        size = len(subject) + len(fields) + 21 + len(payload)  # 21: the number, a line break
        if size + _HEADER_RESERVE > client.max_payload:
            self._check_frame_size(size, len(payload), lambda: f"A {type_name} to {recipient}")
        loop = asyncio.get_running_loop()
        now = loop.time()
        deadline = now + self._timeout
        delay = 0.005
        token = ctx.cancellation_token
        while True:
            remaining = deadline - now
            if remaining <= 0:
                raise WorkerUnavailableError(
                    f"No worker served {recipient} within {self._timeout:g}s: its partition "
                    f"{partition[1]} has no live holder (workers starting, stopping or paused)."
                )
            # One attempt: its number names its reply subject and, with this worker's id, the
            # call (for the worker's acknowledgement and a cancellation).
            number = next(self._calls)
            key = str(number)
            outcome: asyncio.Future[Msg] = loop.create_future()
            expiry = now + remaining
            self._pending[key] = _Pending(
                partition, now, outcome, self._cluster.owner(partition), expiry
            )
            if expiry < self._next_expiry:
                self._expire_at(loop, expiry)

            def cancel(outcome: asyncio.Future[Msg] = outcome) -> None:
                # It may run on another thread: the token can be cancelled anywhere.
                loop.call_soon_threadsafe(outcome.cancel)

            token.add_callback(cancel)
            sent = False
            try:
                # No headers: the fields go before the payload (see _wire.frame). Written with
                # every other message of this loop step, in one go.
                client.publish_nowait(
                    subject,
                    b"%s%d\n%s" % (fields, number, payload),
                    reply=self._reply_prefix + key,
                )
                sent = True
                reply: Msg | None = await outcome
            except _Unreceived:
                reply = None
            except _Expired:
                raise RequestTimeoutError(
                    f"No response from {recipient} within {remaining:.3g}s; "
                    "the handler may still be running, or may have run."
                ) from None
            except asyncio.CancelledError:
                if sent:
                    await self._cancel_remote(f"{self._worker_id}.{number}")
                raise
            finally:
                token.remove_callback(cancel)
                del self._pending[key]
            if reply is not None:
                headers = reply.headers
                status = headers.get(_wire.STATUS) if headers else None
                if status == "ok":
                    return reply
                if status != "moved":  # moved: its worker no longer holds the partition
                    if not headers or headers.get("Status") != _NO_RESPONDERS:
                        raise _wire.decode_error(reply.data, recipient)
                    reply = None
            if reply is None:
                # Certainly not received: wait for a holder, unless the type vanished meanwhile.
                self.check_hosted(recipient)
            await asyncio.sleep(min(delay, max(deadline - loop.time(), 0)))
            delay = min(delay * 2, 0.2)
            now = loop.time()

    def _expire_at(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self._next_expiry = when
        self._deadline_timer = loop.call_at(when, self._expire_due, loop)

    def _expire_due(self, loop: asyncio.AbstractEventLoop) -> None:
        # Fail the attempts whose deadline has passed, then wake at the earliest of the others.
        # A timer per attempt would cost every call its scheduling and cancelling, though
        # nearly all end long before their deadline; this runs about once per request timeout.
        self._deadline_timer = None
        self._next_expiry = float("inf")
        now = loop.time()
        earliest = float("inf")
        for pending in list(self._pending.values()):
            if pending.outcome.done():
                continue
            if pending.deadline <= now:
                pending.outcome.set_exception(_Expired())
            elif pending.deadline < earliest:
                earliest = pending.deadline
        if earliest != float("inf"):
            self._expire_at(loop, earliest)

    async def _cancel_remote(self, call: str) -> None:
        # The handler's worker cancels it, so no work is left running for a caller that left.
        with contextlib.suppress(Exception):
            self._client().publish_nowait(self._subjects.cancel, b"", headers={CALL: call})

    def fail_pending(self, error: Exception) -> None:
        """Fail every call waiting for a reply (the connection that would carry it is gone)."""
        for pending in list(self._pending.values()):
            if not pending.outcome.done():
                pending.outcome.set_exception(error)

    def _on_reply(self, msg: Msg) -> None:
        """Hand a reply (or the server's "no responders") to the attempt waiting for it.

        An acknowledgement only records which worker handles the call (it says so once its
        handler has run for :data:`ACK_DELAY`).
        """
        pending = self._pending.get(msg.subject[len(self._reply_prefix) :])
        if pending is None or pending.outcome.done():
            return
        if not msg.headers:
            # An ok reply: its response type, a line break, the payload (see _wire.frame).
            # Read once, here: whoever awaits the reply finds it in headers, as any other.
            data = msg.data
            cut = data.find(b"\n")
            if cut < 0:
                pending.outcome.set_exception(
                    TransportError(f"A reply without its response type came back: {data[:200]!r}")
                )
                return
            msg.headers = {_wire.STATUS: "ok", _wire.TYPE: data[:cut].decode(errors="replace")}
            msg.data = data[cut + 1 :]
            pending.outcome.set_result(msg)
            return
        msg.headers = headers = _wire.unpack(msg.headers)
        if headers.get(_wire.STATUS) == _ACKNOWLEDGED:
            pending.handler = headers.get(WORKER)
        else:
            pending.outcome.set_result(msg)

    def check_pending(self, grace: float) -> None:
        """Fail the calls whose handling worker is no longer alive.

        The handling worker is the one that acknowledged the call; a call not acknowledged within
        ``grace`` seconds (far longer than :data:`ACK_DELAY`) is attributed to the partition's
        holder when it was sent and to its holder now, as this worker sees them: if either is
        gone, the call may have died with it.
        """
        now = asyncio.get_running_loop().time()
        for pending in list(self._pending.values()):
            if pending.outcome.done():
                continue
            late = now - pending.sent > grace
            if (
                pending.handler is None
                and late
                and self._cluster.released_since(pending.partition, pending.sent)
            ):
                # Nobody took the call, and its partition's holder has since handed it over.
                # A holder releases a partition only after its handlers finish and have
                # replied (a reply is sent before the release, on the same connection), and a
                # handler still running after ACK_DELAY has acknowledged its call: so this call
                # reached no handler (a message routed to a subscription that is going away
                # can be lost): send it again.
                pending.outcome.set_exception(_Unreceived())
                continue
            owners = [pending.handler]
            if pending.handler is None and late:
                owners = [pending.holder, self._cluster.owner(pending.partition)]
            owner = next(
                (o for o in owners if o is not None and not self._cluster.is_alive(o)), None
            )
            if owner is not None:
                pending.outcome.set_exception(
                    WorkerUnavailableError(
                        f"Worker {owner}, which was handling a call to an agent of partition "
                        f"{pending.partition}, stopped answering before it replied. The handler "
                        "may have run in part; the call is not retried."
                    )
                )
