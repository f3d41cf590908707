"""A client of ``parlay serve``'s HTTP API: start a session, stream it, answer, see it finish.

With no arguments it starts ``parlay serve`` itself (the shipped example team: an assistant on
the default model, the embedded offline one unless a provider key is set, and you) on a free
port, drives one session through the API, and stops the server. With ``--url`` it drives a
server you started (``parlay serve``; add ``--token`` if the server has one). With
``--interactive`` it asks you for the answers instead of answering "APPROVE".

Only the standard library is used: any language with HTTP and server-sent events can do this.
Run it with ``python examples/serve_client.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class Client:
    """The few calls of the API this example needs."""

    def __init__(self, url: str, token: str | None = None) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: object = None) -> Any:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(method, path, body=data, headers=self.headers)
            response = connection.getresponse()
            payload = json.loads(response.read() or b"null")
        finally:
            connection.close()
        if response.status >= 400:
            error = payload["error"]
            raise RuntimeError(
                f"{method} {path}: {response.status} {error['code']}: {error['message']}"
            )
        return payload

    def events(self, session: str, after: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
        """(event name, data) of the session's server-sent events, from ``after`` on."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        connection.request(
            "GET", f"/api/sessions/{session}/stream?after={after}", headers=self.headers
        )
        response = connection.getresponse()
        name, data = "message", ""
        try:
            while line := response.readline().decode("utf-8"):
                line = line.rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    yield name, json.loads(data)
                    name, data = "message", ""
        finally:
            connection.close()


def drive(client: Client, team: str, task: str, interactive: bool) -> str:
    """Run one session to its end; return how it ended."""
    session = client.call("POST", "/api/sessions", {"team": team, "task": task})
    print(f"session {session['id']} started on: {task}", flush=True)
    after = 0
    while True:
        streamed = ""
        for name, event in client.events(session["id"], after):
            if name == "chunk":  # tokens as they are generated (not stored)
                if not streamed:
                    print(f"[{event['source']}] ", end="", flush=True)
                streamed += event["text"]
                print(event["text"], end="", flush=True)
                continue
            after = event["seq"]
            if streamed and event["kind"] != "message":  # a message cut off mid-stream
                print(flush=True)
                streamed = ""
            if event["kind"] == "message":
                if event["type"] == "UserInputRequestedEvent":
                    continue
                usage = event["usage"]
                cost = (
                    f" ({usage['prompt_tokens']}+{usage['completion_tokens']} tokens)"
                    if usage
                    else ""
                )
                # The stored message follows its streamed tokens: print only what is new.
                print(f"{cost}" if streamed else f"[{event['source']}] {event['text']}{cost}")
                streamed = ""
            elif event["status"] == "waiting":
                pending = event["pending"]
                print(
                    f"waiting: {pending['agent']} is asked: {pending['prompt'].strip()}", flush=True
                )
                answer = input("> ") if interactive else "APPROVE"
                print(f"answering: {answer}", flush=True)
                client.call("POST", f"/api/sessions/{session['id']}/answer", {"text": answer})
                break  # read on from the event after this one
            elif event["status"] in ("finished", "failed", "stopped", "interrupted"):
                totals = client.call("GET", f"/api/sessions/{session['id']}")["usage"]
                print(
                    f"tokens in total: {totals['prompt_tokens']} prompt, {totals['completion_tokens']} completion"
                )
                return f"session {event['status']}: {event['detail']}"


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "parlay_agentchat",
        "serve",
        "--port",
        str(port),
        "--store",
        str(store),
    ]
    server = subprocess.Popen(command, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if server.poll() is not None:
                raise SystemExit("parlay serve did not start") from None
            time.sleep(0.1)
    url = f"http://127.0.0.1:{port}"
    print(f"started parlay serve on {url}", flush=True)
    return server, url


def main() -> int:
    parser = argparse.ArgumentParser(description="Drive a parlay serve session over HTTP.")
    parser.add_argument("--url", help="a running parlay serve (default: start one)")
    parser.add_argument("--token", default=os.environ.get("PARLAY_SERVE_TOKEN"))
    parser.add_argument("--team", default="assistant")
    parser.add_argument("--task", default="Suggest a name for a tea shop.")
    parser.add_argument("--interactive", action="store_true", help="type the answers yourself")
    args = parser.parse_args()
    if args.url:
        print(drive(Client(args.url, args.token), args.team, args.task, args.interactive))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        server, url = start_server(Path(folder) / "sessions.db")
        try:
            teams = Client(url).call("GET", "/api/teams")
            print("teams:", ", ".join(t["name"] for t in teams))
            print(drive(Client(url), args.team, args.task, args.interactive))
        finally:
            server.terminate()
            server.wait(30)
            print("server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
