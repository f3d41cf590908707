"""Keep the test suite off the network: only loopback addresses and Unix sockets are allowed.

The suite must run the same on a machine with no network and must never reach a real service
by accident (a forgotten ``base_url``, a client that falls back to a public endpoint). The guard
replaces the few Python-level entry points every socket client goes through:

* ``socket.socket.connect``, ``connect_ex`` and ``sendto``: ``socket.create_connection``,
  ``asyncio``'s ``create_connection``/``sock_connect``, ``ssl`` and every HTTP client end here;
* ``socket.getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex`` and ``gethostbyaddr``: a name
  lookup for another host would itself send a DNS query.

Each check runs before the original function is called, so a refused call sends nothing. A
refused call raises :class:`NetworkAccessBlocked` and is also recorded, because client libraries
often turn any connection error into their own retry or error value; the conftest reads the
record after each test phase and fails the test even when the error was swallowed.

Subprocesses (nats-server, redis-server, dockerd, MCP servers) run outside the guard.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "NetworkAccessBlocked",
    "allow_network",
    "install",
    "is_allowed",
    "is_local_address",
    "is_local_name",
    "take_blocked",
    "uninstall",
]

# Names that resolve without asking a DNS server (RFC 6761 reserves ``localhost`` and every
# name under it for loopback).
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class NetworkAccessBlocked(RuntimeError):
    """A test tried to reach a host other than this machine's loopback interface.

    Not an ``OSError`` on purpose: code that handles connection failures (retries, fallbacks)
    must not absorb it as an ordinary network error.
    """


_lock = threading.Lock()
_blocked: list[str] = []
_allowed = False
_originals: list[dict[str, Any]] = []


def _host_text(host: object) -> str | None:
    if isinstance(host, bytes):
        return host.decode("ascii", "replace")
    return host if isinstance(host, str) else None


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_local_address(host: object) -> bool:
    """Whether ``host`` is a loopback IP literal (127.0.0.0/8, ::1, or IPv4-mapped loopback)."""
    text = _host_text(host)
    address = _literal(text) if text is not None else None
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_local_name(host: object) -> bool:
    """Whether looking ``host`` up needs no DNS query for another machine.

    ``None`` and ``""`` (the wildcard a server binds to), IP literals (a lookup of a literal only
    parses it; connecting to it is checked separately), ``localhost`` and names under it, and
    this machine's own host name (which the standard library looks up when a server binds to
    ``0.0.0.0``) are local.
    """
    if host is None:
        return True
    text = _host_text(host)
    if text is None:
        return False
    name = text.rstrip(".").lower()
    if name == "" or _literal(name) is not None:
        return True
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    return name == socket.gethostname().lower()


def _refuse(what: str) -> None:
    message = (
        f"the test suite must not use the network: {what} was refused before anything was "
        "sent (only 127.0.0.0/8, ::1, localhost and Unix sockets are allowed)"
    )
    with _lock:
        _blocked.append(message)
    raise NetworkAccessBlocked(message)


def _check_sockaddr(sock: socket.socket, address: object, verb: str) -> None:
    if _allowed or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets, netlink and the like never leave the machine
    host = address[0] if isinstance(address, tuple) and address else address
    text = _host_text(host)
    if is_local_address(text):
        return
    if text is not None and _literal(text) is None and is_local_name(text):
        return  # ``localhost``: connect() resolves it from the hosts file
    _refuse(f"{verb} {address!r}")


def _check_name(host: object, function: str) -> None:
    if not _allowed and not is_local_name(host):
        _refuse(f"socket.{function}({host!r}) (a DNS lookup of another host)")


def install() -> None:
    """Put the guard in place; calls nest, each :func:`uninstall` undoes the latest install."""
    saved: dict[str, Any] = {
        "connect": socket.socket.connect,
        "connect_ex": socket.socket.connect_ex,
        "sendto": socket.socket.sendto,
        "getaddrinfo": socket.getaddrinfo,
        "gethostbyname": socket.gethostbyname,
        "gethostbyname_ex": socket.gethostbyname_ex,
        "gethostbyaddr": socket.gethostbyaddr,
    }
    _originals.append(saved)
    connect: Callable[..., None] = saved["connect"]
    connect_ex: Callable[..., int] = saved["connect_ex"]
    sendto: Callable[..., int] = saved["sendto"]

    def check_connect(sock: socket.socket, address: Any) -> None:
        try:
            _check_sockaddr(sock, address, "connect to")
        except NetworkAccessBlocked:
            # The refusal is no OSError, so callers such as socket.create_connection do not
            # close the socket they made; close it here, or it leaks into a later test's
            # garbage collection as a ResourceWarning.
            sock.close()
            raise

    def guarded_connect(self: socket.socket, address: Any, /) -> None:
        check_connect(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any, /) -> int:
        check_connect(self, address)
        return connect_ex(self, address)

    def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
        # sendto(data, address) or sendto(data, flags, address)
        if args:
            _check_sockaddr(self, args[-1], "sendto")
        return sendto(self, data, *args)

    def lookup(function: str) -> Callable[..., Any]:
        original: Callable[..., Any] = saved[function]

        def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
            _check_name(host, function)
            return original(host, *args, **kwargs)

        guarded.__name__ = function
        return guarded

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = guarded_sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = lookup("getaddrinfo")
    socket.gethostbyname = lookup("gethostbyname")
    socket.gethostbyname_ex = lookup("gethostbyname_ex")
    socket.gethostbyaddr = lookup("gethostbyaddr")


def uninstall() -> None:
    """Restore what the latest :func:`install` replaced."""
    saved = _originals.pop()
    socket.socket.connect = saved["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = saved["connect_ex"]  # type: ignore[method-assign]
    socket.socket.sendto = saved["sendto"]  # type: ignore[method-assign]
    socket.getaddrinfo = saved["getaddrinfo"]
    socket.gethostbyname = saved["gethostbyname"]
    socket.gethostbyname_ex = saved["gethostbyname_ex"]
    socket.gethostbyaddr = saved["gethostbyaddr"]


def take_blocked() -> list[str]:
    """Return and forget the calls refused since the last call."""
    with _lock:
        blocked = list(_blocked)
        _blocked.clear()
    return blocked


def is_allowed() -> bool:
    """Whether the guard is lifted at the moment."""
    return _allowed


@contextlib.contextmanager
def allow_network() -> Iterator[None]:
    """Lift the guard for a block (the opted-in live provider tests)."""
    global _allowed
    previous, _allowed = _allowed, True
    try:
        yield
    finally:
        _allowed = previous
