"""``parlay serve`` measured: page loads, first-token latency, and many concurrent sessions.

Starts ``parlay serve`` as a real process on a free loopback port with two teams: the shipped
example (an assistant on the default model, the embedded offline one unless a provider key is
set, and a person) and a scripted writer/person team (ReplayChatCompletionClient). Prints:

- page load: ``GET /`` and a session page, median and range over repeated loads;
- first token: from ``POST /api/sessions`` to the first streamed token and to the stored
  message, on the embedded model (after one warm-up session that loads the model);
- load: N sessions of the scripted team driven at once through three runs each (task, an
  answer, "APPROVE"), all N paused at a human turn at the same time between runs; then every
  session's history is checked: all finished, every event numbered without gaps, every message
  there.

Timings depend on the machine and its load; run it with ``python benchmarks/serve_load.py``
(``--sessions 50``, ``--skip-model`` to leave out the embedded model).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from parlay_agentchat.agents import AssistantAgent, UserProxyAgent
from parlay_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core.testing import ReplayChatCompletionClient


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any, float]:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(
                method, path, body=data, headers={"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        try:
            return response.status, json.loads(raw), elapsed
        except json.JSONDecodeError:
            return response.status, raw, elapsed

    def wait(
        self, session: str, status: str, after_seq: int = 0, timeout: float = 300
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, body, _ = self.call("GET", f"/api/sessions/{session}")
            if body["status"] == status and body["last_seq"] > after_seq:
                return body
            time.sleep(0.05)
        raise SystemExit(f"session {session} never reached {status}")


def _scripted_team(path: Path) -> None:
    writer = AssistantAgent(
        "writer", ReplayChatCompletionClient(["Draft one.", "Draft two.", "Draft three."])
    )
    team = RoundRobinGroupChat(
        [writer, UserProxyAgent("you")],
        termination_condition=TextMentionTermination("APPROVE") | MaxMessageTermination(20),
    )
    path.write_text(team.dump_component().model_dump_json(), encoding="utf-8")


def _range(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"median {statistics.median(ms):7.1f} ms  (range {min(ms):.1f}-{max(ms):.1f}, n={len(ms)})"
    )


def page_loads(api: Api, session: str, repeats: int) -> None:
    print("== Page load (server-rendered HTML, full response)")
    for label, path in (("GET /", "/"), ("GET /sessions/<id>", f"/sessions/{session}")):
        times = []
        for _ in range(repeats):
            status, _, elapsed = api.call("GET", path)
            assert status == 200
            times.append(elapsed)
        print(f"{label:<22} {_range(times)}")


def first_tokens(api: Api, runs: int) -> None:
    print("== First token on the embedded model (POST /api/sessions -> stream)")
    to_token: list[float] = []
    to_message: list[float] = []
    for index in range(runs + 1):
        started = time.perf_counter()
        _, session, _ = api.call(
            "POST", "/api/sessions", {"team": "assistant", "task": f"Say hello ({index})."}
        )
        connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=120)
        connection.request("GET", f"/api/sessions/{session['id']}/stream")
        response = connection.getresponse()
        token = message = None
        kind = ""
        while message is None:
            line = response.readline().decode()
            if line.startswith("event: "):
                kind = line[7:].strip()
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if kind == "chunk" and token is None:
                    token = time.perf_counter() - started
                if kind == "message" and data.get("source") == "assistant":
                    message = time.perf_counter() - started
        connection.close()
        if index == 0:
            print(
                f"warm-up (loads the model): first token {token or 0:.2f} s, message {message:.2f} s"
            )
            continue
        if token is not None:
            to_token.append(token)
        to_message.append(message)
    if to_token:
        print(f"{'first streamed token':<22} {_range(to_token)}")
    print(f"{'whole first message':<22} {_range(to_message)}")


def load(api: Api, sessions: int) -> None:
    print(f"== Load: {sessions} sessions of the scripted team at once, 3 runs each")
    pool = ThreadPoolExecutor(max_workers=min(sessions, 64))
    started = time.perf_counter()
    created = list(
        pool.map(
            lambda i: api.call("POST", "/api/sessions", {"team": "scripted", "task": f"Task {i}"})[
                1
            ]["id"],
            range(sessions),
        )
    )
    waiting = list(pool.map(lambda s: api.wait(s, "waiting"), created))
    held = sum(1 for w in waiting if w["status"] == "waiting")
    phase1 = time.perf_counter() - started
    print(
        f"all {held} sessions paused at a human turn at once (no task waits on a person): {phase1:.2f} s"
    )
    for text in ("More, please.", "APPROVE"):
        started = time.perf_counter()
        lasts = {s: api.call("GET", f"/api/sessions/{s}")[1]["last_seq"] for s in created}
        replies = list(
            pool.map(
                lambda s, text=text: api.call("POST", f"/api/sessions/{s}/answer", {"text": text})[
                    0
                ],
                created,
            )
        )
        assert replies.count(202) == sessions, replies
        target = "finished" if text == "APPROVE" else "waiting"
        list(pool.map(lambda s, target=target, lasts=lasts: api.wait(s, target, lasts[s]), created))
        print(
            f"answered {sessions} sessions ({text!r}) and all reached {target}: {time.perf_counter() - started:.2f} s"
        )
    lost = 0
    events_total = 0
    for session in created:
        _, body, _ = api.call("GET", f"/api/sessions/{session}/events")
        seqs = [e["seq"] for e in body["events"]]
        said = [
            (e["source"], e["text"])
            for e in body["events"]
            if e["kind"] == "message" and e["type"] == "TextMessage"
        ]
        expected = 5  # the task, two drafts, the answer and "APPROVE"
        events_total += len(seqs)
        if (
            body["session"]["status"] != "finished"
            or seqs != list(range(1, len(seqs) + 1))
            or len(said) != expected
        ):
            lost += 1
    print(
        f"sessions held: {sessions}; finished with complete, gap-free histories: {sessions - lost}; events stored: {events_total}"
    )
    pool.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure parlay serve.")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--skip-model", action="store_true", help="leave out the embedded model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scripted = Path(folder) / "scripted.json"
        _scripted_team(scripted)
        from parlay_agentchat.cli._serve import EXAMPLE_TEAM

        configs = [str(scripted)] if args.skip_model else [str(EXAMPLE_TEAM), str(scripted)]
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "parlay_agentchat",
            "serve",
            *configs,
            "--port",
            str(port),
            "--store",
            str(Path(folder) / "s.db"),
        ]
        server = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={
                **os.environ,
                "PARLAY_MODEL_CLIENT": os.environ.get("PARLAY_MODEL_CLIENT", "local"),
            },
        )
        try:
            api = Api(port)
            for _ in range(600):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            _, first, _ = api.call("POST", "/api/sessions", {"team": "scripted", "task": "warm-up"})
            api.wait(first["id"], "waiting")
            page_loads(api, first["id"], args.repeats)
            if not args.skip_model:
                first_tokens(api, 5)
            load(api, args.sessions)
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
