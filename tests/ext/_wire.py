"""A scripted HTTP server on 127.0.0.1 that answers with the bytes a test gives it.

Model-client tests point the real provider SDKs at it, so requests and responses cross a real
socket in the provider's wire format (JSON bodies, server-sent event streams) and nothing in
the SDKs is patched. Each test scripts replies in order and reads back the requests received.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted HTTP response.

    ``events`` makes it a server-sent event stream, sent with chunked transfer encoding, one
    chunk per event. ``truncate`` drops the connection after the events without ending the
    chunked body (a stream that breaks off mid-way). ``delay`` waits before answering.
    """

    status: int = 200
    body: Any = None
    events: list[str] | None = None
    headers: dict[str, str] = field(default_factory=dict[str, str])
    truncate: bool = False
    delay: float = 0.0


@dataclass
class Received:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def sse(data: Any, event: str | None = None) -> str:
    """Format one server-sent event whose data is ``data`` as JSON (or a raw string)."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n"


class WireServer:
    """A threaded HTTP server that replays scripted :class:`Reply` objects in order."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self._open = 0
        self._open_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server._open_lock:  # pyright: ignore[reportPrivateUsage]
                    server._open += 1  # pyright: ignore[reportPrivateUsage]

            def finish(self) -> None:
                # Runs once the client closed the connection (or the server dropped it).
                try:
                    super().finish()
                finally:
                    with server._open_lock:  # pyright: ignore[reportPrivateUsage]
                        server._open -= 1  # pyright: ignore[reportPrivateUsage]

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Any = json.loads(raw) if raw else None
                server.received.append(
                    Received(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                reply = (
                    server.replies.popleft()
                    if server.replies
                    else Reply(status=500, body={"error": {"message": "no reply scripted"}})
                )
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self._answer(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.events is None:
                    payload = (
                        reply.body.encode()
                        if isinstance(reply.body, str)
                        else json.dumps(reply.body).encode()
                    )
                    if "content-type" not in {k.lower() for k in reply.headers}:
                        self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                if reply.truncate:
                    self.send_header("connection", "close")
                self.end_headers()
                for event in reply.events:
                    data = event.encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                if reply.truncate:
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The server's root URL, ``http://127.0.0.1:<port>``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def open_connections(self) -> int:
        """How many client connections are open now (kept-alive ones included)."""
        with self._open_lock:
            return self._open

    def wait_until_no_connection_is_open(self, timeout: float = 15.0) -> bool:
        """Wait (at most ``timeout`` s) until every client closed its connection; say if so."""
        deadline = time.monotonic() + timeout
        while self.open_connections:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order to the next requests."""
        self.replies.extend(replies)

    def start(self) -> None:
        """Start serving in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
