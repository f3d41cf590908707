"""The shipped example team under ``parlay serve``: on the embedded model, OpenAI and Anthropic.

The example names its model by provider (``"default"``), so parlay-ext supplies it when the
server loads the team: the embedded offline model without keys, OpenAI or Anthropic when their
key is set. Streamed tokens are checked on the second reply, whose stream the test is already
reading when it answers (tokens are not stored, so a reader must be there to see them).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="needs parlay-agentchat[serve]")

from tests.agentchat.serve._server import Server, messages, status_is
from tests.ext._wire import Reply, WireServer
from tests.ext.test_anthropic_client import (
    block_delta,
    block_start,
    block_stop,
    end_events,
    start_event,
)
from tests.ext.test_openai_client import DONE, chunk


def _answer_and_read(server: Server, session: str, text: str) -> list[dict[str, Any]]:
    """Open the session's stream, answer, and read until the session waits or ends again."""
    after = server.get(f"/api/sessions/{session}")["last_seq"]
    stream = server.stream(session, after=after)
    seen: list[dict[str, Any]] = []
    answered = threading.Event()

    def answer() -> None:
        reply = server.request("POST", f"/api/sessions/{session}/answer", {"text": text})
        assert reply.status == 202, reply.text
        answered.set()

    # stream() returned after the response headers: the reader is subscribed already.
    thread = threading.Thread(target=answer)
    thread.start()
    for event in stream:
        seen.append(event)
        if event.get("status") in ("waiting", "finished", "failed") and event["seq"] > after + 1:
            break
    stream.close()
    thread.join(30)
    assert answered.is_set()
    return seen


def _said(events: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("type") == "TextMessage" and e["source"] == source]


def _start(server: Server, task: str) -> str:
    reply = server.request("POST", "/api/sessions", {"team": "assistant", "task": task})
    assert reply.status == 201, reply.text
    return str(reply.body["id"])


@pytest.mark.slow
def test_the_example_team_streams_on_the_embedded_model_and_asks_the_person(
    tmp_path: Path,
) -> None:
    pytest.importorskip("llama_cpp", reason="needs parlay-ext's local extra")
    server = Server([], tmp_path / "sessions.db").start()  # no config: the shipped example
    try:
        (team,) = server.get("/api/teams")
        assert (team["name"], team["available"]) == ("assistant", True)
        session = _start(server, "Say hello.")
        first = server.wait_for(session, status_is("waiting"))
        assert first["pending"]["agent"] == "you"
        assert _said(first["events"], "assistant")[0]["usage"]["completion_tokens"] > 0

        seen = _answer_and_read(server, session, "Say it in French.")
        chunks = [e for e in seen if e["_sse_event"] == "chunk"]
        assert chunks, "the assistant's reply was not streamed token by token"
        assert all(e["source"] == "assistant" and e["_sse_id"] is None for e in chunks)
        # The stored message is the streamed tokens put together (the words vary).
        said = _said(seen, "assistant")
        assert said[0]["text"] == "".join(e["text"] for e in chunks)
        assert seen[-1]["status"] == "waiting"

        server.request("POST", f"/api/sessions/{session}/answer", {"text": "APPROVE"})
        done = server.wait_for(session, status_is("finished"))
        assert messages(done)[-1] == ("TextMessage", "you", "APPROVE")
    finally:
        server.stop()


def _openai_reply(*parts: str) -> Reply:
    usage = {"prompt_tokens": 7, "completion_tokens": 4, "total_tokens": 11}
    pieces = [chunk({"role": "assistant", "content": parts[0]})]
    pieces += [chunk({"content": part}) for part in parts[1:]]
    return Reply(events=[*pieces, chunk({}, finish="stop"), chunk(None, usage=usage), DONE])


def test_the_example_team_runs_on_openai_when_its_key_is_set(
    tmp_path: Path, wire: WireServer
) -> None:
    secret = "sk-test-do-not-show"
    env = {"OPENAI_API_KEY": secret, "OPENAI_BASE_URL": f"{wire.url}/v1"}
    wire.script(_openai_reply("Hel", "lo there."), _openai_reply("Bon", "jour."))
    server = Server([], tmp_path / "sessions.db", env=env).start()
    try:
        session = _start(server, "Greet me.")
        first = server.wait_for(session, status_is("waiting"))
        said = _said(first["events"], "assistant")
        assert said[0]["text"] == "Hello there."
        assert said[0]["usage"] == {"prompt_tokens": 7, "completion_tokens": 4}
        assert first["usage"] == {"prompt_tokens": 7, "completion_tokens": 4}

        seen = _answer_and_read(server, session, "In French.")
        assert [e["text"] for e in seen if e["_sse_event"] == "chunk"] == ["Bon", "jour."]
        assert _said(seen, "assistant")[0]["text"] == "Bonjour."
        assert server.get(f"/api/sessions/{session}")["usage"] == {
            "prompt_tokens": 14,
            "completion_tokens": 8,
        }
        assert wire.received[0].body["stream"] is True
        # The key reaches the provider and nothing else.
        assert wire.received[0].headers.get("authorization") == f"Bearer {secret}"
        for path in ("/", f"/sessions/{session}", "/api/teams", f"/api/sessions/{session}/events"):
            assert secret not in server.request("GET", path).text
    finally:
        server.stop()


def _anthropic_reply(*parts: str) -> Reply:
    deltas = [block_delta(0, {"type": "text_delta", "text": part}) for part in parts]
    return Reply(
        events=[
            start_event(input_tokens=12),
            block_start(0, {"type": "text", "text": ""}),
            *deltas,
            block_stop(0),
            *end_events(output_tokens=3),
        ]
    )


def test_the_example_team_runs_on_anthropic_when_its_key_is_set(
    tmp_path: Path, wire: WireServer
) -> None:
    secret = "sk-ant-test-do-not-show"
    env = {"ANTHROPIC_API_KEY": secret, "ANTHROPIC_BASE_URL": wire.url}
    wire.script(_anthropic_reply("Good ", "day."), _anthropic_reply("Bon", "jour."))
    server = Server([], tmp_path / "sessions.db", env=env).start()
    try:
        session = _start(server, "Greet me.")
        first = server.wait_for(session, status_is("waiting"))
        said = _said(first["events"], "assistant")
        assert said[0]["text"] == "Good day."
        assert said[0]["usage"] == {"prompt_tokens": 12, "completion_tokens": 3}

        seen = _answer_and_read(server, session, "In French.")
        assert [e["text"] for e in seen if e["_sse_event"] == "chunk"] == ["Bon", "jour."]
        assert _said(seen, "assistant")[0]["text"] == "Bonjour."
        assert wire.received[0].path == "/v1/messages"
        # The key reaches the provider (in whichever header its SDK uses) and nothing else.
        assert any(secret in value for value in wire.received[0].headers.values())
        for path in ("/", f"/sessions/{session}", "/api/teams", f"/api/sessions/{session}/events"):
            assert secret not in server.request("GET", path).text
    finally:
        server.stop()
