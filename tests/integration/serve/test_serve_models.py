"""The shipped example team under ``parlay serve``: on the embedded model, and on OpenAI's API.

The example names its model by provider (``"default"``), so parlay-ext supplies it when the
server loads the team: the embedded offline model without keys, OpenAI when its key is set.
"""

from __future__ import annotations

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


def _until_waiting(server: Server, session: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    stream = server.stream(session)
    for event in stream:
        seen.append(event)
        if event.get("status") in ("waiting", "finished", "failed"):
            break
    stream.close()
    return seen


@pytest.mark.slow
def test_the_example_team_streams_on_the_embedded_model_and_asks_the_person(
    tmp_path: Path,
) -> None:
    pytest.importorskip("llama_cpp", reason="needs parlay-ext's local extra")
    server = Server([], tmp_path / "sessions.db").start()  # no config: the shipped example
    try:
        (team,) = server.get("/api/teams")
        assert (team["name"], team["available"]) == ("assistant", True)
        reply = server.request("POST", "/api/sessions", {"team": "assistant", "task": "Say hello."})
        session = reply.body["id"]
        seen = _until_waiting(server, session)
        chunks = [e for e in seen if e["_sse_event"] == "chunk"]
        assert chunks, "the assistant's reply was not streamed token by token"
        assert all(e["source"] == "assistant" and e["_sse_id"] is None for e in chunks)
        said = [e for e in seen if e.get("type") == "TextMessage" and e["source"] == "assistant"]
        # The stored message ends with the streamed tokens put together (a reader that connects
        # late misses the first ones: tokens are a live preview, not stored).
        assert said[0]["text"].endswith("".join(e["text"] for e in chunks))
        assert said[0]["usage"]["completion_tokens"] > 0
        assert seen[-1]["status"] == "waiting"
        assert seen[-1]["pending"]["agent"] == "you"

        server.request("POST", f"/api/sessions/{session}/answer", {"text": "APPROVE"})
        done = server.wait_for(session, status_is("finished"))
        assert messages(done)[-1] == ("TextMessage", "you", "APPROVE")
    finally:
        server.stop()


def test_the_example_team_runs_on_openai_when_its_key_is_set(
    tmp_path: Path, wire: WireServer
) -> None:
    secret = "sk-test-do-not-show"
    env = {"OPENAI_API_KEY": secret, "OPENAI_BASE_URL": f"{wire.url}/v1"}
    usage = {"prompt_tokens": 7, "completion_tokens": 4, "total_tokens": 11}
    wire.script(
        Reply(
            events=[
                chunk({"role": "assistant", "content": "Hel"}),
                chunk({"content": "lo there."}),
                chunk({}, finish="stop"),
                chunk(None, usage=usage),
                DONE,
            ]
        )
    )
    server = Server([], tmp_path / "sessions.db", env=env).start()
    try:
        reply = server.request("POST", "/api/sessions", {"team": "assistant", "task": "Greet me."})
        session = reply.body["id"]
        seen = _until_waiting(server, session)
        assert [e["text"] for e in seen if e["_sse_event"] == "chunk"] == ["Hel", "lo there."]
        said = [e for e in seen if e.get("type") == "TextMessage" and e["source"] == "assistant"]
        assert said[0]["text"] == "Hello there."
        assert said[0]["usage"] == {"prompt_tokens": 7, "completion_tokens": 4}
        state = server.get(f"/api/sessions/{session}")
        assert state["usage"] == {"prompt_tokens": 7, "completion_tokens": 4}
        assert wire.received[0].body["stream"] is True
        assert wire.received[0].headers.get("authorization") == f"Bearer {secret}"
        # The key reaches the provider and nothing else.
        for path in ("/", f"/sessions/{session}", "/api/teams", f"/api/sessions/{session}/events"):
            assert secret not in server.request("GET", path).text
    finally:
        server.stop()


def test_the_example_team_runs_on_anthropic_when_its_key_is_set(
    tmp_path: Path, wire: WireServer
) -> None:
    secret = "sk-ant-test-do-not-show"
    env = {"ANTHROPIC_API_KEY": secret, "ANTHROPIC_BASE_URL": wire.url}
    wire.script(
        Reply(
            events=[
                start_event(input_tokens=12),
                block_start(0, {"type": "text", "text": ""}),
                block_delta(0, {"type": "text_delta", "text": "Good "}),
                block_delta(0, {"type": "text_delta", "text": "day."}),
                block_stop(0),
                *end_events(output_tokens=3),
            ]
        )
    )
    server = Server([], tmp_path / "sessions.db", env=env).start()
    try:
        reply = server.request("POST", "/api/sessions", {"team": "assistant", "task": "Greet me."})
        session = reply.body["id"]
        seen = _until_waiting(server, session)
        assert [e["text"] for e in seen if e["_sse_event"] == "chunk"] == ["Good ", "day."]
        said = [e for e in seen if e.get("type") == "TextMessage" and e["source"] == "assistant"]
        assert said[0]["text"] == "Good day."
        assert said[0]["usage"] == {"prompt_tokens": 12, "completion_tokens": 3}
        assert wire.received[0].path == "/v1/messages"
        # The key reaches the provider (in whichever header its SDK uses) and nothing else.
        assert any(secret in value for value in wire.received[0].headers.values())
        for path in ("/", f"/sessions/{session}", "/api/teams", f"/api/sessions/{session}/events"):
            assert secret not in server.request("GET", path).text
    finally:
        server.stop()
