"""AutoGen's gRPC addresses (``host:port``) as NATS listen addresses and client URLs."""

from __future__ import annotations

__all__ = ["nats_url", "split_address"]

# A URL with one of these schemes is passed to nats-py as it is.
_NATS_SCHEMES = ("nats://", "tls://", "ws://", "wss://")


def split_address(address: str) -> tuple[str, int]:
    """Split ``host:port`` (or ``[v6]:port``) into the host and the port.

    An empty host (``":50051"``) means every interface, as gRPC reads it.

    Raises:
        ValueError: The address has no valid port.
    """
    text = address.strip()
    for scheme in _NATS_SCHEMES:
        if text.startswith(scheme):
            text = text[len(scheme) :]
            break
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(
            f"Invalid address {address!r}: expected 'host:port', for example 'localhost:50051'."
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(
            f"Invalid address {address!r}: write an IPv6 host in brackets, [::1]:port."
        )
    return host or "0.0.0.0", int(port_text)


def nats_url(address: str) -> str:
    """The NATS URL of a host address: ``localhost:50051`` becomes ``nats://localhost:50051``.

    A URL that already names a NATS scheme (``nats://``, ``tls://``, ``ws://``, ``wss://``) is
    returned unchanged, so a worker can also be pointed at any NATS server.

    Raises:
        ValueError: The address has no valid port.
    """
    text = address.strip()
    if text.startswith(_NATS_SCHEMES):
        return text
    host, port = split_address(text)
    if host == "0.0.0.0":
        host = "127.0.0.1"  # a listen-everywhere address, used as a client one: this machine
    elif ":" in host:
        host = f"[{host}]"
    return f"nats://{host}:{port}"
