"""The data connection: the NATS client protocol spoken directly, for the request/reply path.

Every call between workers is one request and one reply, and nats-py spends more Python work on
each than the rest of the runtime does: a publish coroutine and its flusher task, a stream
reader, a parser built for every frame kind, a queue and a task hop before each callback. This
connection speaks the protocol (``PUB``/``HPUB`` out, ``MSG``/``HMSG`` in) over an
:class:`asyncio.Protocol`: writes made during one loop step leave together (in parts of
:data:`_FLUSH_FRAMES` frames, so the other side starts early), and each message is parsed where
it arrives and handed to its subscription's callback at once, as a :class:`DataMsg` (the shape
of nats-py's ``Msg``, so code serving JetStream messages too reads both alike).

It is a full client for what it carries: the same :class:`ConnectionSettings` as the nats-py
connection (servers, TLS, user and password, token, NKey seed and ``.creds`` files, timeouts,
pings, reconnection), servers learnt from the cluster's INFO, the server's ``max_payload``, and
reconnection on its own when the socket breaks or pings go unanswered (every subscription is
made again; what is published meanwhile waits in a bounded buffer). JetStream, the key-value
buckets and the cluster view stay on nats-py.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import importlib
import json
import logging
import os
import secrets
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from parlay_core import ROOT_LOGGER_NAME
from parlay_core.exceptions import PayloadTooLargeError, TransportError
from parlay_ext.runtimes.nats._aio import cancel_and_wait
from parlay_ext.runtimes.nats._connection import ConnectionSettings, redact, transport_error
from parlay_ext.runtimes.nats._sdk import Msg

__all__ = ["DataConnection", "DataMsg", "DataSubscription", "open_data_connection"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

_CRLF = b"\r\n"
_HEADER_LINE = b"NATS/1.0"
_PENDING_LIMIT = 2 * 1024 * 1024
"""Bytes published while reconnecting that are kept to send once connected (as nats-py)."""
_DEFAULT_PORT = 4222
_FLUSH_FRAMES = 16
"""Frames after which a burst starts leaving before the loop step ends.

One write per loop step costs the fewest system calls, but the receiver then waits for the
whole burst (a hundred gathered calls, or the replies to them): sent in parts, the worker serves
the first requests while the caller still writes the rest, and the caller reads the first
replies while the worker serves the rest. On two cores this made concurrent calls about a
fifth to a half faster, for one write in sixteen frames.
"""


class DataMsg(Msg):
    """A message that arrived on the data connection (the fields of nats-py's ``Msg``).

    Attributes:
        subject: The subject it was published to.
        reply: Its reply subject (empty if none).
        data: The payload.
        headers: Its headers (None without any); a status line comes as ``Status`` and
            ``Description`` (a ``503`` tells that a request found no responders).
    """

    def __init__(  # pylint: disable=super-init-not-called
        self, subject: str, reply: str, data: bytes, headers: dict[str, str] | None
    ) -> None:
        # Four attributes, without nats-py's dataclass initialisation (its client reference
        # serves only JetStream acknowledgements, which never come through here).
        self.subject = subject
        self.reply = reply
        self.data = data
        self.headers = headers


Callback = Callable[[DataMsg], None]
"""A subscription's callback: called with each message as it is parsed, in the read loop."""


class DataSubscription:
    """One subscription of a :class:`DataConnection` (made again after every reconnection)."""

    __slots__ = ("_connection", "callback", "queue", "sid", "subject")

    def __init__(
        self, connection: DataConnection, sid: int, subject: str, queue: str, callback: Callback
    ) -> None:
        self._connection = connection
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self.callback = callback

    async def unsubscribe(self) -> None:
        """Stop at once: messages still on their way are dropped."""
        self._connection.forget(self)

    async def drain(self) -> None:
        """Stop taking new messages; those the server routed here before still arrive.

        A round trip after the unsubscription: the server has then sent everything it routed
        here before it, and the callback has seen it.
        """
        await self._connection.drain(self)


@dataclass(slots=True)
class _Server:
    host: str
    port: int
    tls: bool
    user: str | None = None
    password: str | None = None
    token: str | None = None
    attempts: int = 0
    last_attempt: float = -1e9

    def url(self) -> str:
        return f"{'tls' if self.tls else 'nats'}://{self.host}:{self.port}"


def _server(url: str) -> _Server:
    if "://" not in url:
        url = f"nats://{url}"
    parsed = urlparse(url)
    user = unquote(parsed.username) if parsed.username else None
    password = unquote(parsed.password) if parsed.password else None
    server = _Server(
        parsed.hostname or "127.0.0.1", parsed.port or _DEFAULT_PORT, parsed.scheme == "tls"
    )
    if user is not None and password is not None:
        server.user, server.password = user, password
    elif user is not None:
        server.token = user  # a lone user-info part is a token
    return server


class _ServerError(Exception):
    """The server answered ``-ERR``."""


class _Wire(asyncio.Protocol):
    """One socket's reading and handshake; its connection does the rest."""

    def __init__(self, connection: DataConnection) -> None:
        self._connection = connection
        self._subs = connection.subscriptions
        self._buffer = bytearray()
        loop = connection.loop
        self.transport: asyncio.Transport | None = None
        self.info: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        error = ConnectionError(f"the connection was closed ({exc or 'by the server'})")
        for waiter in (self.info, self.ready):
            if not waiter.done():
                waiter.set_exception(error)
                waiter.exception()  # retrieved: a handshake may no longer wait on it
        if not self.lost.done():
            self.lost.set_result(None)
        self._connection.on_wire_lost(self)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        subs = self._subs
        try:
            while (end := buffer.find(_CRLF, at)) >= 0:
                first = buffer[at]
                if first == 77:  # M: MSG <subject> <sid> [reply] <size>
                    fields = bytes(buffer[at + 4 : end]).split()
                    start = end + 2
                    stop = start + int(fields[-1])
                    if len(buffer) < stop + 2:
                        break  # the payload is still on its way
                    at = stop + 2
                    sub = subs.get(int(fields[1]))
                    if sub is not None:
                        reply = fields[2].decode() if len(fields) == 4 else ""
                        msg = DataMsg(fields[0].decode(), reply, bytes(buffer[start:stop]), None)
                        self._deliver(sub, msg)
                    continue
                if first == 72:  # H: HMSG <subject> <sid> [reply] <header size> <total size>
                    fields = bytes(buffer[at + 5 : end]).split()
                    start = end + 2
                    split = start + int(fields[-2])
                    stop = start + int(fields[-1])
                    if len(buffer) < stop + 2:
                        break
                    at = stop + 2
                    sub = subs.get(int(fields[1]))
                    if sub is None:
                        continue
                    headers = _parse_headers(bytes(buffer[start:split]))
                    if headers is None:
                        # Never let one bad frame stop the reading: the other messages on this
                        # socket are fine, so only this one is lost.
                        logger.warning(
                            "Dropped a message on %s with a malformed header block: %r",
                            fields[0].decode(errors="replace"),
                            bytes(buffer[start : min(split, start + 64)]),
                        )
                        continue
                    reply = fields[2].decode() if len(fields) == 5 else ""
                    msg = DataMsg(fields[0].decode(), reply, bytes(buffer[split:stop]), headers)
                    self._deliver(sub, msg)
                    continue
                line = bytes(buffer[at:end])
                at = end + 2
                self._control(line)
        except (ValueError, IndexError) as e:
            # A frame that cannot be read leaves the stream's framing unknown: start afresh.
            logger.warning("Unreadable frame from NATS (%s); reconnecting", e)
            buffer.clear()
            if self.transport is not None:
                self.transport.abort()
            return
        del buffer[:at]

    def _deliver(self, sub: DataSubscription, msg: DataMsg) -> None:
        try:
            sub.callback(msg)
        except Exception:
            logger.exception("A handler of messages on %s failed", msg.subject)

    def _control(self, line: bytes) -> None:
        if line == b"PING":
            self._connection.write_frame(b"PONG\r\n", self)
        elif line == b"PONG":
            if not self.ready.done():
                self.ready.set_result(None)
            else:
                self._connection.on_pong()
        elif line.startswith(b"INFO "):
            info: dict[str, Any] = json.loads(line[5:])
            if not self.info.done():
                self.info.set_result(info)
            else:
                self._connection.update_info(info)
        elif line.startswith(b"-ERR"):
            text = line[4:].strip().strip(b"'").decode(errors="replace")
            if not self.ready.done():
                self.ready.set_exception(_ServerError(text))
            else:
                logger.warning(
                    "NATS data connection: server error: %s", self._connection.redact(text)
                )
        elif line == b"+OK" or not line:
            pass
        else:
            raise ValueError(f"unknown protocol line {line[:64]!r}")


def _parse_headers(block: bytes) -> dict[str, str] | None:
    """The headers of an ``HMSG`` header block; None if it is not one."""
    if not block.startswith(_HEADER_LINE):
        return None
    lines = block.decode(errors="replace").split("\r\n")
    headers: dict[str, str] = {}
    status = lines[0][len(_HEADER_LINE) :].strip()
    if status:
        code, _, description = status.partition(" ")
        headers["Status"] = code
        if description:
            headers["Description"] = description.strip()
    for line in lines[1:]:
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            return None
        headers[key.strip()] = value.strip()
    return headers


def _header_block(headers: dict[str, str]) -> bytes:
    text = "NATS/1.0\r\n" + "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    if "\n" in text.replace("\r\n", "") or "\r" in text.replace("\r\n", ""):
        raise ValueError("NATS header names and values may not hold line breaks")
    return f"{text}\r\n".encode()


class DataConnection:
    """A NATS connection for the request/reply data path (see the module docstring).

    Made by :func:`open_data_connection`.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        on_disconnect: Callable[[], Awaitable[None]],
        on_reconnect: Callable[[], Awaitable[None]],
    ) -> None:
        self._settings = settings
        self._on_disconnect = on_disconnect
        self._on_reconnect = on_reconnect
        self._loop = self.loop = asyncio.get_running_loop()
        self._servers = [_server(url) for url in settings.servers]
        self._secrets = [settings.password, settings.token] + [
            s.password or s.token for s in self._servers
        ]
        self._current = self._servers[0]
        self._subs: dict[int, DataSubscription] = {}
        self.subscriptions = self._subs
        """The live subscriptions by id (read by the socket's protocol)."""
        self._sids = iter(range(1, 1 << 62))
        self._wire: _Wire | None = None
        self._transport: asyncio.Transport | None = None
        self._out: list[bytes] = []
        self._out_size = 0
        self._flush_scheduled = False
        self._pongs: collections.deque[asyncio.Future[None] | None] = collections.deque()
        self._pings_out = 0
        self._ping_timer: asyncio.TimerHandle | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._callbacks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._inbox_prefix = str(settings.options.get("inbox_prefix", "_INBOX"))
        self.server_info: dict[str, Any] = {}
        """The INFO of the server connected to (``max_payload``, ``server_id``, ...)."""
        self.max_payload = 1024 * 1024
        """The most bytes (headers and payload) the server takes in one message."""

    # --- public ---------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        """Whether a socket is up (False while reconnecting and once closed)."""
        return self._transport is not None

    @property
    def connected_url(self) -> str | None:
        """The server connected to, without credentials."""
        return None if self._transport is None else self._current.url()

    def new_inbox(self) -> str:
        """A fresh, unique reply subject prefix."""
        return f"{self._inbox_prefix}.{secrets.token_hex(11)}"

    def publish_nowait(
        self,
        subject: str,
        payload: bytes = b"",
        reply: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue a message; it leaves with everything else written in this loop step.

        Raises:
            PayloadTooLargeError: It exceeds the server's ``max_payload`` (the server would
                close the connection).
            TransportError: The connection is closed, or the reconnection buffer is full.
        """
        if headers:
            block = _header_block(headers)
            size = len(block) + len(payload)
            if size > self.max_payload:
                raise self._too_large(subject, size)
            if reply:
                frame = b"HPUB %b %b %d %d\r\n%b%b\r\n" % (
                    subject.encode(),
                    reply.encode(),
                    len(block),
                    size,
                    block,
                    payload,
                )
            else:
                frame = b"HPUB %b %d %d\r\n%b%b\r\n" % (
                    subject.encode(),
                    len(block),
                    size,
                    block,
                    payload,
                )
        else:
            if len(payload) > self.max_payload:
                raise self._too_large(subject, len(payload))
            if reply:
                frame = b"PUB %b %b %d\r\n%b\r\n" % (
                    subject.encode(),
                    reply.encode(),
                    len(payload),
                    payload,
                )
            else:
                frame = b"PUB %b %d\r\n%b\r\n" % (subject.encode(), len(payload), payload)
        self.write_frame(frame)

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        reply: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        """:meth:`publish_nowait`, awaitable (it never waits)."""
        self.publish_nowait(subject, payload, reply, headers)

    async def subscribe(self, subject: str, *, cb: Callback, queue: str = "") -> DataSubscription:
        """Subscribe ``cb`` to ``subject`` (in queue group ``queue`` if given).

        ``cb`` runs in the read loop, once per message, and must not block; an exception it
        raises is logged.

        Raises:
            ValueError: The subject or queue holds white space.
            TransportError: The connection is closed.
        """
        if not subject or any(c.isspace() for c in subject + queue):
            raise ValueError(f"Invalid NATS subject or queue group {subject!r} {queue!r}")
        sub = DataSubscription(self, next(self._sids), subject, queue, cb)
        self._subs[sub.sid] = sub
        if self._transport is not None:
            self.write_frame(self._sub_frame(sub))
        elif self._closed:
            del self._subs[sub.sid]
            raise TransportError("The NATS data connection is closed.")
        return sub  # made on the next reconnection otherwise

    def forget(self, sub: DataSubscription) -> None:
        """Unsubscribe ``sub`` at once."""
        if self._subs.pop(sub.sid, None) is not None and self._transport is not None:
            self.write_frame(b"UNSUB %d\r\n" % sub.sid)

    async def drain(self, sub: DataSubscription, timeout: float = 5.0) -> None:
        """Unsubscribe ``sub`` once the messages routed to it before have arrived."""
        if sub.sid not in self._subs:
            return
        if self._transport is not None:
            self.write_frame(b"UNSUB %d\r\n" % sub.sid)
            with contextlib.suppress(TransportError, asyncio.TimeoutError):
                await self.flush(timeout)
        self._subs.pop(sub.sid, None)

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until the server has everything written so far (a PING answered).

        Raises:
            TransportError: Not connected.
            asyncio.TimeoutError: No answer within ``timeout`` seconds.
        """
        if self._transport is None:
            raise TransportError("The NATS data connection is not connected.")
        pong: asyncio.Future[None] = self._loop.create_future()
        self._pongs.append(pong)
        self.write_frame(b"PING\r\n")
        await asyncio.wait_for(asyncio.shield(pong), timeout)

    async def close(self) -> None:
        """Send what is queued, then close; no reconnection after this."""
        if self._closed:
            return
        self._closed = True
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        reconnecting, self._reconnecting = self._reconnecting, None
        await cancel_and_wait(reconnecting)
        wire = self._wire
        if wire is not None and wire.transport is not None:
            self._flush_out()
            wire.transport.close()  # what is written still goes out first
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(wire.lost), 5.0)
        self._transport = None
        self._fail_pongs()
        self._subs.clear()

    # --- connecting -----------------------------------------------------------------------

    async def connect_first(self) -> None:
        """Connect to the first server that answers (see :func:`open_data_connection`)."""
        if self._settings.options.get("tls_handshake_first"):
            raise TransportError(
                "tls_handshake_first is not supported by the runtime's data connection: let "
                "the server send its INFO before the TLS handshake (the NATS default)."
            )
        errors: list[BaseException] = []
        for server in self._servers:
            try:
                await self._handshake(server)
                return
            except _ServerError as e:
                raise transport_error(e, [server.url()], self._secrets) from e
            except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError) as e:
                errors.append(e)
        cause = errors[-1] if errors else ConnectionError("no servers")
        raise transport_error(cause, [s.url() for s in self._servers], self._secrets) from cause

    async def _handshake(self, server: _Server) -> None:
        settings = self._settings
        server.attempts += 1
        server.last_attempt = self._loop.time()
        wire = _Wire(self)
        try:
            await asyncio.wait_for(self._open(server, wire), settings.connect_timeout)
        except BaseException:
            if wire.transport is not None:
                wire.transport.abort()
            raise
        server.attempts = 0
        self._current = server
        self._wire = wire
        transport = wire.transport
        assert transport is not None
        self._transport = transport
        self._pings_out = 0
        self._schedule_ping()
        if self._out:
            self._schedule_flush()

    async def _open(self, server: _Server, wire: _Wire) -> None:
        settings = self._settings
        await self._loop.create_connection(lambda: wire, server.host, server.port)
        info = await wire.info
        wants_tls = server.tls or settings.tls is not None
        if info.get("tls_required") or (wants_tls and info.get("tls_available")):
            context = settings.tls or ssl.create_default_context()
            assert wire.transport is not None
            upgraded = await self._loop.start_tls(
                wire.transport,
                wire,
                context,
                server_hostname=settings.tls_hostname or server.host,
                ssl_handshake_timeout=settings.connect_timeout,
            )
            if upgraded is None:
                raise ConnectionError("the TLS handshake did not complete")
            wire.transport = upgraded
        elif wants_tls:
            raise ConnectionError(
                f"TLS was asked for, but the server at {server.url()} does not offer it"
            )
        self.update_info(info)
        assert wire.transport is not None
        # Everything in one write: the subscriptions are made before anything queued meanwhile
        # is published, and the PONG confirms the lot.
        frames = [b"CONNECT %b\r\n" % json.dumps(self._connect_options(server, info)).encode()]
        frames += [self._sub_frame(sub) for sub in self._subs.values()]
        taken = len(self._out)
        frames += self._out
        frames.append(b"PING\r\n")
        wire.transport.write(b"".join(frames))
        await wire.ready
        # Sent: what was queued meanwhile goes out next (kept if the handshake had failed).
        del self._out[:taken]
        self._out_size = sum(len(frame) for frame in self._out)

    def _connect_options(self, server: _Server, info: dict[str, Any]) -> dict[str, Any]:
        settings = self._settings
        name = settings.name
        options: dict[str, Any] = {
            "verbose": False,
            "pedantic": False,
            "lang": "python3",
            "version": "parlay",
            "protocol": 1,
            "headers": True,
            "no_responders": True,
            "echo": not settings.options.get("no_echo", False),
        }
        if name:
            options["name"] = f"{name}-data"
        user = settings.user or server.user
        password = settings.password or server.password
        token = settings.token or server.token
        if settings.user_credentials or settings.nkeys_seed:
            nonce = info.get("nonce")
            if nonce is not None:
                options.update(_nkey_auth(settings, str(nonce)))
            if token:
                options["auth_token"] = token
        elif user is not None and password is not None:
            options["user"], options["pass"] = user, password
        elif token:
            options["auth_token"] = token
        return options

    def update_info(self, info: dict[str, Any]) -> None:
        """Take in the server's INFO: its limits, and the cluster's other servers."""
        self.server_info.update(info)
        if "max_payload" in info:
            self.max_payload = int(info["max_payload"])
        # Servers of the same cluster, to reconnect to should this one go.
        known = {(s.host, s.port) for s in self._servers}
        urls: list[Any] = info.get("connect_urls") or []
        for url in urls:
            found = _server(str(url))
            if (found.host, found.port) not in known:
                found.tls = any(s.tls for s in self._servers)
                self._servers.append(found)
                known.add((found.host, found.port))

    # --- writing --------------------------------------------------------------------------

    def write_frame(self, frame: bytes, wire: _Wire | None = None) -> None:
        """Queue protocol bytes for the end of this loop step (or for the reconnection).

        Raises:
            TransportError: Closed, or too much waits for the reconnection.
        """
        if self._transport is None:
            if self._closed:
                raise TransportError("The NATS data connection is closed.")
            if wire is not None:  # an answer to a PING during the handshake
                if wire.transport is not None:
                    wire.transport.write(frame)
                return
            # Reconnecting: sent once connected again, as nats-py does, up to a bound.
            if self._out_size + len(frame) > _PENDING_LIMIT:
                raise TransportError(
                    "The NATS connection is down and reconnecting, and more than "
                    f"{_PENDING_LIMIT} bytes wait to be sent: this message is refused. "
                    "Retry once it is back."
                )
            self._out.append(frame)
            self._out_size += len(frame)
            return
        out = self._out
        out.append(frame)
        if len(out) >= _FLUSH_FRAMES:
            self._flush_out()
        elif not self._flush_scheduled:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        self._flush_scheduled = True
        self._loop.call_soon(self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        self._flush_out()

    def _flush_out(self) -> None:
        transport = self._transport
        if transport is None or not self._out:
            return
        out, self._out, self._out_size = self._out, [], 0
        transport.write(b"".join(out) if len(out) > 1 else out[0])

    def _sub_frame(self, sub: DataSubscription) -> bytes:
        if sub.queue:
            return b"SUB %b %b %d\r\n" % (sub.subject.encode(), sub.queue.encode(), sub.sid)
        return b"SUB %b %d\r\n" % (sub.subject.encode(), sub.sid)

    def _too_large(self, subject: str, size: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"A message to {subject} is {size} bytes with its headers; the NATS server accepts "
            f"{self.max_payload} (max_payload) and would close the connection. Send less, or "
            "raise max_payload in the server configuration."
        )

    def redact(self, text: str) -> str:
        """``text`` without any credential of these settings."""
        return redact(text, self._secrets)

    # --- pings and failures ---------------------------------------------------------------

    def _schedule_ping(self) -> None:
        interval = self._settings.ping_interval
        if interval > 0:
            self._ping_timer = self._loop.call_later(interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        transport = self._transport
        if transport is None:
            return
        if self._pings_out > self._settings.max_outstanding_pings:
            # The socket looks up but nothing comes back: count it as broken.
            logger.warning("NATS data connection: pings unanswered; reconnecting")
            transport.abort()
            return
        self._pings_out += 1
        self._pongs.append(None)
        self.write_frame(b"PING\r\n")
        self._schedule_ping()

    def on_pong(self) -> None:
        """The server answered the oldest PING."""
        self._pings_out = 0
        if self._pongs:
            waiter = self._pongs.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _fail_pongs(self) -> None:
        pongs, self._pongs = self._pongs, collections.deque()
        for waiter in pongs:
            if waiter is not None and not waiter.done():
                waiter.set_exception(TransportError("The NATS data connection was lost."))
                waiter.exception()

    def on_wire_lost(self, wire: _Wire) -> None:
        """A socket closed: if it was the live one, report it and reconnect."""
        if wire is not self._wire:
            return  # a failed handshake: its attempt reports it
        self._wire = None
        self._transport = None
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        self._fail_pongs()
        if self._closed:
            return
        logger.warning("NATS data connection to %s lost; reconnecting", self._current.url())
        self._spawn(self._on_disconnect())
        self._reconnecting = asyncio.ensure_future(self._reconnect())

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._callbacks.add(task)
        task.add_done_callback(self._callbacks.discard)

    async def _reconnect(self) -> None:
        settings = self._settings
        limit = settings.max_reconnect_attempts
        while not self._closed:
            candidates = [s for s in self._servers if limit < 0 or s.attempts < limit]
            if not candidates:
                break
            for server in candidates:
                wait = server.last_attempt + settings.reconnect_time_wait - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self._closed:
                    return
                try:
                    await self._handshake(server)
                except _ServerError as e:
                    logger.warning("NATS data connection refused: %s", self.redact(str(e)))
                    continue
                except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError) as e:
                    logger.debug("NATS data reconnection to %s failed: %s", server.url(), e)
                    continue
                self._reconnecting = None
                logger.info("NATS data connection back, to %s", server.url())
                self._spawn(self._on_reconnect())
                return
        logger.error(
            "NATS data connection: no server answered after %d attempts each; it is closed",
            limit,
        )
        self._closed = True
        self._reconnecting = None
        self._out, self._out_size = [], 0


def _nkey_auth(settings: ConnectionSettings, nonce: str) -> dict[str, str]:
    try:
        nkeys: Any = importlib.import_module("nkeys")
    except ImportError as e:  # nats-py needs it too: its connection, made first, fails alike
        raise ImportError(
            f"NKey and .creds authentication needs the 'nkeys' package ({e}). Install it with: "
            'pip install "parlay-ext[nats]"'
        ) from e
    jwt: str | None = None
    if settings.user_credentials:
        jwt, seed = _read_creds(settings.user_credentials)
    else:
        assert settings.nkeys_seed is not None
        with open(settings.nkeys_seed, "rb") as f:
            seed = f.read().strip()
    key_pair: Any = nkeys.from_seed(bytearray(seed))
    signature = base64.b64encode(key_pair.sign(nonce.encode())).decode()
    auth = {"sig": signature}
    if jwt is not None:
        auth["jwt"] = jwt
    else:
        auth["nkey"] = key_pair.public_key.decode()
    key_pair.wipe()
    return auth


def _read_creds(path: str | os.PathLike[str]) -> tuple[str, bytes]:
    """The user JWT and NKey seed of a ``.creds`` file."""
    with open(path, "rb") as f:
        lines = [line.strip() for line in f.read().splitlines()]
    jwt = seed = None
    for i, line in enumerate(lines[:-1]):
        if b"BEGIN NATS USER JWT" in line:
            jwt = lines[i + 1].decode()
        elif b"BEGIN USER NKEY SEED" in line:
            seed = lines[i + 1]
    if jwt is None or seed is None:
        raise ValueError(f"{path} is not a NATS .creds file (it lacks the JWT or the seed)")
    return jwt, seed


async def open_data_connection(
    settings: ConnectionSettings,
    *,
    on_disconnect: Callable[[], Awaitable[None]],
    on_reconnect: Callable[[], Awaitable[None]],
) -> DataConnection:
    """Connect a :class:`DataConnection` with ``settings`` (servers tried in turn).

    Args:
        settings: The same settings as the nats-py connection's.
        on_disconnect: Awaited (in a task) when the socket breaks; reconnection has begun.
        on_reconnect: Awaited (in a task) once connected again, every subscription made again.

    Raises:
        TransportAuthError: The server refused the credentials.
        TransportError: No server could be reached.
    """
    connection = DataConnection(settings, on_disconnect=on_disconnect, on_reconnect=on_reconnect)
    await connection.connect_first()
    return connection
