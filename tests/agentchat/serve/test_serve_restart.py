"""``parlay serve`` killed with SIGKILL and restarted on the same store: nothing seen is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agentchat.serve._server import (
    Server,
    hitl_team,
    messages,
    slow_tool_team,
    status_is,
)

pytest.importorskip("starlette", reason="needs parlay-agentchat[serve]")


def _without_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if not k.startswith("_")} for e in events]


def test_a_session_waiting_for_a_person_survives_kill_9_and_runs_on(tmp_path: Path) -> None:
    config = hitl_team(tmp_path / "writer.json")
    store = tmp_path / "sessions.db"
    first = Server([config], store).start()
    try:
        session = first.request("POST", "/api/sessions", {"team": "writer", "task": "Tea."}).body[
            "id"
        ]
        before = first.wait_for(session, status_is("waiting"))
    finally:
        first.kill()

    second = Server([config], store).start()
    try:
        after = second.wait_for(session, status_is("waiting"))
        assert after["events"] == before["events"]
        assert after["pending"] == before["pending"]
        listed = [s["id"] for s in second.get("/api/sessions")]
        assert listed == [session]

        reply = second.request("POST", f"/api/sessions/{session}/answer", {"text": "Again."})
        assert reply.status == 202, reply.text
        resumed = second.wait_for(session, lambda s: s["status"] == "waiting" and s["last_seq"] > 6)
        assert resumed["events"][: len(before["events"])] == before["events"]
        said = messages(resumed)
        assert said[3] == ("TextMessage", "you", "Again.")
        # The team was rebuilt from the saved state: the writer saw the whole conversation.
        assert said[4][:2] == ("TextMessage", "writer")
    finally:
        second.stop()


def test_a_run_killed_mid_stream_is_listed_interrupted_and_resumes(tmp_path: Path) -> None:
    release = tmp_path / "release"
    config = slow_tool_team(tmp_path / "worker.json", release)
    store = tmp_path / "sessions.db"
    first = Server([config], store, "--allow-code-execution").start()
    seen: list[dict[str, Any]] = []
    try:
        session = first.request("POST", "/api/sessions", {"team": "worker", "task": "Wait."}).body[
            "id"
        ]
        stream = first.stream(session)
        for event in stream:
            seen.append(event)
            if event.get("type") == "ToolCallRequestEvent":
                break  # the tool now waits for the file: the run is mid-stream
        stream.close()
    finally:
        first.kill()
    assert [e["seq"] for e in seen] == [1, 2, 3]

    second = Server([config], store, "--allow-code-execution").start()
    try:
        state = second.wait_for(session, status_is("interrupted"))
        # Every event a client saw is there, unchanged, under its number.
        assert _without_time(state["events"][: len(seen)]) == _without_time(
            [{k: v for k, v in e.items() if not k.startswith("_sse")} for e in seen]
        )
        assert state["events"][len(seen)]["status"] == "interrupted"

        reply = second.request("POST", f"/api/sessions/{session}/resume")
        assert reply.status == 202, reply.text
        second.wait_for(
            session,
            lambda s: [m[0] for m in messages(s)].count("ToolCallRequestEvent") == 2,
        )
        release.write_text("go")
        done = second.wait_for(session, status_is("finished"))
        kinds = [m[0] for m in messages(done)]
        assert kinds[-2:] == ["ToolCallExecutionEvent", "ToolCallSummaryMessage"]
        assert messages(done)[-1][2] == "the file is there"
    finally:
        second.stop()


def test_a_run_cut_short_by_a_graceful_shutdown_is_interrupted(tmp_path: Path) -> None:
    release = tmp_path / "release"
    config = slow_tool_team(tmp_path / "worker.json", release)
    store = tmp_path / "sessions.db"
    first = Server([config], store, "--allow-code-execution").start()
    try:
        session = first.request("POST", "/api/sessions", {"team": "worker", "task": "Wait."}).body[
            "id"
        ]
        first.wait_for(session, lambda s: "ToolCallRequestEvent" in [m[0] for m in messages(s)])
    finally:
        first.stop()  # SIGTERM: the server cancels the run and says why before it exits
    second = Server([config], store, "--allow-code-execution").start()
    try:
        state = second.wait_for(session, status_is("interrupted"))
        assert state["events"][-1]["detail"] == (
            "The server shut down during this run; resume to run it again."
        )
    finally:
        second.stop()


def test_stop_cuts_a_run_short_and_resume_runs_it_again(tmp_path: Path) -> None:
    release = tmp_path / "release"
    config = slow_tool_team(tmp_path / "worker.json", release)
    server = Server([config], tmp_path / "sessions.db", "--allow-code-execution").start()
    try:
        session = server.request("POST", "/api/sessions", {"team": "worker", "task": "Wait."}).body[
            "id"
        ]
        server.wait_for(session, lambda s: "ToolCallRequestEvent" in [m[0] for m in messages(s)])
        stopped = server.request("POST", f"/api/sessions/{session}/stop")
        assert stopped.status == 202, stopped.text
        assert stopped.body["status"] == "stopped"
        release.write_text("go")
        assert server.request("POST", f"/api/sessions/{session}/resume").status == 202
        done = server.wait_for(session, status_is("finished"))
        statuses = [e["status"] for e in done["events"] if e["kind"] == "status"]
        assert statuses == ["running", "stopped", "running", "finished"]
    finally:
        server.stop()


def test_a_config_that_runs_code_is_refused_without_permission(tmp_path: Path) -> None:
    config = slow_tool_team(tmp_path / "worker.json", tmp_path / "release")
    server = Server([config], tmp_path / "sessions.db").start()
    try:
        (team,) = server.get("/api/teams")
        assert team["available"] is False
        assert "--allow-code-execution" in team["error"]
        reply = server.request("POST", "/api/sessions", {"team": "worker", "task": "x"})
        assert reply.status == 422
        assert reply.body["error"]["code"] == "team_unavailable"
    finally:
        server.stop()
