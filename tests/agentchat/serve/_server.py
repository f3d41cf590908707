"""Test support for ``parlay serve``: team config files and the server as a real process."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parlay_agentchat.agents import AssistantAgent, UserProxyAgent
from parlay_agentchat.conditions import (
    HandoffTermination,
    MaxMessageTermination,
    TextMentionTermination,
)
from parlay_agentchat.teams import RoundRobinGroupChat, Swarm
from parlay_core import FunctionCall
from parlay_core.models import CreateResult, ModelFamily, ModelInfo, RequestUsage
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import FunctionTool

_TOOLS_MODEL = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=False,
    family=ModelFamily.UNKNOWN,
    structured_output=False,
)


def _write(path: Path, team: Any) -> Path:
    path.write_text(team.dump_component().model_dump_json(indent=2), encoding="utf-8")
    return path


def hitl_team(path: Path) -> Path:
    """A writer on a scripted model and a person ("you"), in turn; "APPROVE" ends it."""
    writer = AssistantAgent(
        "writer",
        ReplayChatCompletionClient(
            ["Draft one: tea at dawn.", "Draft two: steam and quiet.", "Draft three.", "Four."]
        ),
        system_message="SYSTEM-PROMPT-MARKER: never shown to users.",
    )
    team = RoundRobinGroupChat(
        [writer, UserProxyAgent("you")],
        termination_condition=TextMentionTermination("APPROVE") | MaxMessageTermination(20),
    )
    return _write(path, team)


async def wait_for_file(path: str) -> str:
    """Wait until the file exists (at most a minute), then say so."""
    import asyncio
    import os

    for _ in range(1200):
        if os.path.exists(path):  # noqa: ASYNC240  # a stat per 50 ms, in the served tool
            return "the file is there"
        await asyncio.sleep(0.05)
    return "gave up waiting"


def _wait_call(call_id: str, release: Path) -> CreateResult:
    arguments = json.dumps({"path": str(release)})
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=call_id, name="wait_for_file", arguments=arguments)],
        usage=RequestUsage(prompt_tokens=5, completion_tokens=3),
        cached=False,
    )


def slow_tool_team(path: Path, release: Path, then: Path | None = None) -> Path:
    """One worker whose tool (a FunctionTool from source code) waits until ``release`` exists.

    With ``then``, the worker calls the tool a second time, waiting for that file too.
    """
    script: list[str | CreateResult] = [_wait_call("call-1", release)]
    if then is not None:
        script.append(_wait_call("call-2", then))
    worker = AssistantAgent(
        "worker",
        ReplayChatCompletionClient([*script, "Done."], model_info=_TOOLS_MODEL),
        tools=[FunctionTool(wait_for_file, description="Wait for a file.")],
        max_tool_iterations=len(script),
    )
    team = RoundRobinGroupChat([worker], termination_condition=MaxMessageTermination(2))
    return _write(path, team)


def swarm_team(path: Path) -> Path:
    """A Swarm whose agent hands off to the user; HandoffTermination ends the run there."""
    handoff = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="call-1", name="transfer_to_user", arguments="{}")],
        usage=RequestUsage(prompt_tokens=5, completion_tokens=2),
        cached=False,
    )
    alice = AssistantAgent(
        "alice",
        ReplayChatCompletionClient([handoff, "Thanks, all done."], model_info=_TOOLS_MODEL),
        handoffs=["user"],
    )
    team = Swarm(
        [alice],
        termination_condition=HandoffTermination("user") | TextMentionTermination("all done"),
    )
    return _write(path, team)


_PROVIDER_VARIABLES = (
    "PARLAY_SERVE_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "PARLAY_MODEL_CLIENT",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    body: Any
    text: str


class Server:
    """``parlay serve`` in a real subprocess on a free loopback port."""

    def __init__(
        self,
        configs: Sequence[Path],
        store: Path,
        *extra: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = dict(env or {})
        self.configs = list(configs)
        self.store = store
        self.extra = list(extra)
        self.port = free_port()
        self.log = store.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        command = [
            sys.executable,
            "-m",
            "parlay_agentchat",
            "serve",
            *(str(c) for c in self.configs),
            "--port",
            str(self.port),
            "--store",
            str(self.store),
            *self.extra,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # The default model must not reach a provider from a developer's shell: tests say
        # which model a server uses.
        for name in _PROVIDER_VARIABLES:
            env.pop(name, None)
        env.update(self.env)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"parlay serve exited: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(
            f"parlay serve did not listen within {timeout} s: {self.log.read_text()}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
            sent = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
        finally:
            connection.close()
        try:
            parsed: Any = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        return Reply(response.status, parsed, text)

    def get(self, path: str) -> Any:
        reply = self.request("GET", path)
        assert reply.status == 200, reply.text
        return reply.body

    def wait_for(
        self, session_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 60.0
    ) -> dict[str, Any]:
        """Poll the session until ``check`` holds for it (its events are in ``["events"]``)."""
        deadline = time.monotonic() + timeout
        seen: dict[str, Any] = {}
        while time.monotonic() < deadline:
            seen = self.get(f"/api/sessions/{session_id}/events")
            state = {**seen["session"], "events": seen["events"]}
            if check(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"session {session_id} never reached the state; last: {seen}")

    def stream(
        self, session_id: str, after: int = 0, last_event_id: int | None = None
    ) -> Generator[dict[str, Any], None, None]:
        """Read the server-sent events of a session, one parsed event at a time.

        Connects at once: when this returns, the server has subscribed the reader (it does so
        before it sends the response's headers), so nothing published later is missed.
        """
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
        connection.request(
            "GET", f"/api/sessions/{session_id}/stream?after={after}", headers=headers
        )
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("content-type", "").startswith("text/event-stream")
        return self._events(connection, response)

    @staticmethod
    def _events(
        connection: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> Generator[dict[str, Any], None, None]:
        fields: dict[str, str] = {}
        try:
            while True:
                line = response.readline().decode("utf-8")
                if not line:
                    return
                line = line.rstrip("\n")
                if line == "":
                    if "data" in fields:
                        event = json.loads(fields["data"])
                        event["_sse_id"] = fields.get("id")
                        event["_sse_event"] = fields.get("event")
                        yield event
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
        finally:
            connection.close()


def messages(state: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, source, text) of a session's message events."""
    return [(e["type"], e["source"], e["text"]) for e in state["events"] if e["kind"] == "message"]


def status_is(*statuses: str) -> Callable[[dict[str, Any]], bool]:
    return lambda state: state["status"] in statuses
