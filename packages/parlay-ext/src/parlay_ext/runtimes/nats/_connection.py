"""Connecting to NATS: options passed through to nats-py, and its failures as Parlay errors."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parlay_core import ROOT_LOGGER_NAME
from parlay_core.exceptions import TransportAuthError, TransportError
from parlay_ext.runtimes.nats._aio import cancel_and_wait
from parlay_ext.runtimes.nats._sdk import Client, nats_errors
from parlay_ext.runtimes.nats._sdk import connect as nats_connect

__all__ = ["ConnectionSettings", "connect", "redact", "transport_error"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

# The user-info part of a URL: ``scheme://user:password@`` or ``scheme://token@``.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/@\s]+)@")


def _redact_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match["info"].partition(":")
    # A lone user-info part is a token: hide all of it; of user:password, only the password.
    return f"{match['scheme']}{user}:***@" if colon else f"{match['scheme']}***@"


def redact(text: str, secrets: Sequence[str | None] = ()) -> str:
    """``text`` without the credentials of any URL in it, nor any of ``secrets``.

    Error messages and logs name the servers, and a server URL may carry ``user:password@``
    or ``token@``: they must not end up in logs or tracebacks.
    """
    text = _USERINFO.sub(_redact_userinfo, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass
class ConnectionSettings:
    """How to reach NATS: the settings of both of a worker's connections.

    Every field is passed through to ``nats.connect`` (JetStream, the key-value buckets), and
    the data connection of the request/reply path takes the same (see ``_dataconn``).

    Attributes:
        servers: Server URLs (``nats://host:4222``, ``tls://...``), tried in turn.
        name: The connection name shown in NATS monitoring.
        tls: An SSL context for TLS connections (client certificates go into it).
        tls_hostname: The host name to verify in the server certificate.
        user: User name, with ``password``.
        password: Password for ``user``.
        token: An authentication token.
        user_credentials: Path of a ``.creds`` file (JWT and NKey seed).
        nkeys_seed: Path of an NKey seed file.
        connect_timeout: Seconds to wait for each connection attempt.
        reconnect_time_wait: Seconds between reconnection attempts.
        max_reconnect_attempts: Attempts after losing the connection (-1: forever).
        ping_interval: Seconds between the pings that check the connection still works both
            ways.
        max_outstanding_pings: Pings left unanswered before the connection counts as broken and
            is made again. A client whose reading has stopped (nats-py ends its read loop on
            a frame it cannot parse) looks connected but hears nothing, not even the server's
            answers to its pings: so it reconnects within about ``ping_interval`` times
            ``max_outstanding_pings + 1`` seconds instead of nats-py's default six minutes.
        options: Any further ``nats.connect`` keyword arguments (the data connection reads
            ``inbox_prefix`` and ``no_echo`` among them, and refuses ``tls_handshake_first``).
    """

    servers: Sequence[str] = ("nats://127.0.0.1:4222",)
    name: str | None = None
    tls: ssl.SSLContext | None = None
    tls_hostname: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    user_credentials: str | None = None
    nkeys_seed: str | None = None
    connect_timeout: float = 5.0
    reconnect_time_wait: float = 1.0
    max_reconnect_attempts: int = -1
    ping_interval: float = 2.0
    max_outstanding_pings: int = 2
    options: Mapping[str, Any] = field(default_factory=lambda: {})


def transport_error(
    error: BaseException, servers: Sequence[str], secrets: Sequence[str | None] = ()
) -> TransportError:
    """Translate a connection failure (of nats-py or the data connection) into a :class:`TransportError` (credentials hidden).

    Args:
        error: The failure.
        servers: The server URLs tried.
        secrets: Passwords and tokens given apart from the URLs, hidden from the text too.
    """
    text = redact(str(error), secrets)
    where = redact(", ".join(servers), secrets)
    if _is_auth_error(error):
        return TransportAuthError(
            f"NATS at {where} refused the credentials ({text.strip()}). Check user/password, "
            "token, user_credentials or nkeys_seed."
        )
    return TransportError(f"Cannot connect to NATS at {where}: {type(error).__name__}: {text}")


async def connect(
    settings: ConnectionSettings,
    *,
    on_disconnect: Callable[[], Awaitable[None]],
    on_reconnect: Callable[[], Awaitable[None]],
) -> Client:
    """Open a connection with ``settings``.

    Raises:
        TransportAuthError: The server refused the credentials.
        TransportError: No server could be reached.
    """
    servers = list(settings.servers)
    loop = asyncio.get_running_loop()
    connected = False
    # nats-py retries a failed first connection as often as later reconnections (forever with
    # -1): a refused credential or an unreachable server must end start() with an error instead.
    refused: asyncio.Future[BaseException] = loop.create_future()
    last_error: list[BaseException] = []
    secrets = (settings.password, settings.token)

    async def error_cb(error: Exception) -> None:
        # nats-py prints to stderr unless given a callback: log instead.
        logger.warning(
            "NATS connection error: %s: %s", type(error).__name__, redact(str(error), secrets)
        )
        if not connected:
            last_error[:] = [error]
            if _is_auth_error(error) and not refused.done():
                refused.set_result(error)

    async def closed_cb() -> None:
        logger.info("NATS connection closed")

    options: dict[str, Any] = {
        "servers": servers,
        "name": settings.name,
        "tls": settings.tls,
        "tls_hostname": settings.tls_hostname,
        "user": settings.user,
        "password": settings.password,
        "token": settings.token,
        "user_credentials": settings.user_credentials,
        "nkeys_seed": settings.nkeys_seed,
        "connect_timeout": settings.connect_timeout,
        "reconnect_time_wait": settings.reconnect_time_wait,
        "max_reconnect_attempts": settings.max_reconnect_attempts,
        "ping_interval": settings.ping_interval,
        "max_outstanding_pings": settings.max_outstanding_pings,
        "error_cb": error_cb,
        "disconnected_cb": on_disconnect,
        "reconnected_cb": on_reconnect,
        "closed_cb": closed_cb,
        **settings.options,
    }
    options = {k: v for k, v in options.items() if v is not None}
    attempt: asyncio.Future[Any] = asyncio.ensure_future(nats_connect(**options))
    deadline = settings.connect_timeout * 2 + settings.reconnect_time_wait
    watched: set[asyncio.Future[Any]] = {attempt, refused}
    done, _ = await asyncio.wait(watched, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
    if attempt in done:
        try:
            client: Client = attempt.result()
        except (nats_errors.Error, OSError, TimeoutError) as e:
            raise transport_error(e, servers, secrets) from e
        connected = True
        return client
    await cancel_and_wait(attempt)  # without swallowing a cancellation of start() itself
    if refused.done():
        error = refused.result()
        raise transport_error(error, servers, secrets) from error
    cause = last_error[0] if last_error else TimeoutError(f"no connection within {deadline:g}s")
    raise transport_error(cause, servers, secrets) from cause


def _is_auth_error(error: BaseException) -> bool:
    text = str(error).lower()
    return "authorization" in text or "authentication" in text
