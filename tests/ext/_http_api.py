"""A small JSON API on a loopback port for HttpTool tests, and a tool that calls it."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from parlay_ext.tools.http import HttpTool

LONG_BODY = "x" * 5000
DRIP_BYTES = 16
DRIP_INTERVAL = 0.5
BIG_BODY_BYTES = 3_000_000


@dataclass
class Seen:
    """One request the API received."""

    method: str
    target: str
    headers: dict[str, str]
    body: Any


class Api:
    """A small JSON API on a free loopback port that records every request it receives."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                # A client that stops reading a long body hangs up mid-answer; that is expected.
                try:
                    super().handle()
                except ConnectionResetError:
                    pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                headers = {k.lower(): v for k, v in self.headers.items()}
                api.seen.append(Seen(self.command, self.path, headers, body))
                path = urlsplit(self.path).path
                status, content_type, payload, extra = 200, "application/json", b"", {}
                if path.startswith("/text"):
                    content_type, payload = "text/plain", b"plain words"
                elif path.startswith("/missing"):
                    status, content_type, payload = 404, "text/plain", b"no such item here"
                elif path.startswith("/boom"):
                    status, content_type, payload = 500, "text/plain", LONG_BODY.encode()
                elif path.startswith("/redirect"):
                    status, extra = 302, {"location": "http://elsewhere.invalid/"}
                elif path.startswith("/slow"):
                    time.sleep(3)
                    payload = b"{}"
                elif path.startswith("/drip"):
                    self._drip(DRIP_BYTES, DRIP_INTERVAL)
                    return
                elif path.startswith("/big"):
                    # A large text or JSON body (a list of strings), BIG_BODY_BYTES long.
                    content_type = "text/plain" if "text" in path else "application/json"
                    filler = "y" * (BIG_BODY_BYTES - 4)
                    payload = (filler if "text" in path else f'["{filler}"]').encode()
                else:
                    echo = {"method": self.command, "target": self.path, "body": body}
                    payload = json.dumps(echo).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", content_type)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip(self, count: int, interval: float) -> None:
                # Headers at once, then one byte of body at a time: each read is quick, the
                # whole answer is slow.
                try:
                    self.send_response(200)
                    self.send_header("content-type", "text/plain")
                    self.send_header("content-length", str(count))
                    self.end_headers()
                    self.wfile.flush()
                    for _ in range(count):
                        time.sleep(interval)
                        self.wfile.write(b"z")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "item_id": {"type": "string", "description": "The item."},
        "color": {"type": "string", "enum": ["red", "blue"]},
        "limit": {"type": "integer", "minimum": 1},
    },
    "required": ["color"],
}


def item_tool(api: Api, **kwargs: Any) -> HttpTool:
    options: dict[str, Any] = {
        "name": "get_item",
        "host": "127.0.0.1",
        "port": api.port,
        "json_schema": ITEM_SCHEMA,
        "path": "/items/{item_id}",
        "method": "GET",
        "return_type": "json",
        "timeout": 5.0,
    }
    return HttpTool(**{**options, **kwargs})
