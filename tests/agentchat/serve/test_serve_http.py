"""``parlay serve`` over real HTTP: sessions, human turns, the event stream and bad input."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agentchat.serve._server import (
    Reply,
    Server,
    hitl_team,
    messages,
    status_is,
    swarm_team,
)

pytest.importorskip("starlette", reason="needs parlay-agentchat[serve]")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    configs = [hitl_team(tmp_path / "writer.json"), swarm_team(tmp_path / "swarm.json"), broken]
    running = Server(configs, tmp_path / "sessions.db").start()
    try:
        yield running
    finally:
        running.stop()


def _start(server: Server, team: str = "writer", task: str = "A line about tea.") -> str:
    reply = server.request("POST", "/api/sessions", {"team": team, "task": task})
    assert reply.status == 201, reply.text
    assert reply.body["status"] == "running"
    return str(reply.body["id"])


def _assert_typed_error(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.text
    assert reply.body["error"]["code"] == code
    assert reply.body["error"]["message"]
    assert "Traceback" not in reply.text


def test_teams_are_listed_without_their_configs(server: Server) -> None:
    teams = {team["name"]: team for team in server.get("/api/teams")}
    assert teams["writer"]["available"] is True
    assert teams["writer"]["participants"] == ["writer", "you"]
    assert teams["swarm"]["kind"] == "Swarm"
    assert teams["broken"]["available"] is False
    assert "not valid JSON" in teams["broken"]["error"]
    # A config may hold secrets (keys, prompts): neither the API nor the page shows it.
    assert "SYSTEM-PROMPT-MARKER" not in json.dumps(teams)
    page = server.request("GET", "/")
    assert page.status == 200
    assert "SYSTEM-PROMPT-MARKER" not in page.text
    assert "writer" in page.text


def test_a_human_turn_pauses_the_session_and_the_answer_runs_it_on(server: Server) -> None:
    session = _start(server)
    waiting = server.wait_for(session, status_is("waiting"))
    assert messages(waiting) == [
        ("TextMessage", "user", "A line about tea."),
        ("TextMessage", "writer", "Draft one: tea at dawn."),
        ("UserInputRequestedEvent", "you", ""),
    ]
    pending = waiting["pending"]
    assert pending["kind"] == "user_proxy"
    assert pending["agent"] == "you"
    assert waiting["usage"]["prompt_tokens"] > 0

    reply = server.request(
        "POST",
        f"/api/sessions/{session}/answer",
        {"text": "Shorter, please.", "request_id": pending["request_id"]},
    )
    assert reply.status == 202, reply.text
    waiting = server.wait_for(session, lambda s: s["status"] == "waiting" and s["last_seq"] > 6)
    assert messages(waiting)[3:5] == [
        ("TextMessage", "you", "Shorter, please."),
        ("TextMessage", "writer", "Draft two: steam and quiet."),
    ]

    assert (
        server.request("POST", f"/api/sessions/{session}/answer", {"text": "APPROVE"}).status == 202
    )
    done = server.wait_for(session, status_is("finished"))
    assert done["pending"] is None
    assert done["events"][-1]["detail"] == "Finished: Text 'APPROVE' mentioned."
    seqs = [event["seq"] for event in done["events"]]
    assert seqs == list(range(1, len(seqs) + 1))
    listed = {s["id"]: s for s in server.get("/api/sessions")}
    assert listed[session]["status"] == "finished"


def test_a_handoff_to_the_user_waits_and_the_answer_hands_back(server: Server) -> None:
    session = _start(server, "swarm", "Book a table.")
    waiting = server.wait_for(session, status_is("waiting"))
    assert waiting["pending"]["kind"] == "handoff"
    assert (waiting["pending"]["agent"], waiting["pending"]["to"]) == ("user", "alice")
    assert ("HandoffMessage", "alice") in [(t, s) for t, s, _ in messages(waiting)]

    assert (
        server.request("POST", f"/api/sessions/{session}/answer", {"text": "For two."}).status
        == 202
    )
    done = server.wait_for(session, status_is("finished"))
    assert messages(done)[-2:] == [
        ("HandoffMessage", "user", "For two."),
        ("TextMessage", "alice", "Thanks, all done."),
    ]


def test_the_stream_sends_history_then_live_events_and_resumes_after_an_id(
    server: Server,
) -> None:
    session = _start(server)
    server.wait_for(session, status_is("waiting"))
    stream = server.stream(session)
    first = [next(stream) for _ in range(5)]
    assert [e["seq"] for e in first] == [1, 2, 3, 4, 5]
    assert [e["_sse_id"] for e in first] == ["1", "2", "3", "4", "5"]
    assert first[-1]["_sse_event"] == "status" and first[-1]["status"] == "waiting"

    # Live: the answer's events arrive on the open stream.
    server.request("POST", f"/api/sessions/{session}/answer", {"text": "Go on."})
    live = next(stream)
    assert (live["seq"], live["status"]) == (6, "running")
    assert next(stream)["text"] == "Go on."
    stream.close()

    # A reader that reconnects with Last-Event-ID gets what follows it, nothing twice.
    again = server.stream(session, last_event_id=6)
    assert next(again)["seq"] == 7
    again.close()


def test_bad_requests_get_typed_errors_never_a_traceback(server: Server) -> None:
    _assert_typed_error(
        server.request("POST", "/api/sessions", raw=b"{bad json"), 400, "bad_request"
    )
    _assert_typed_error(server.request("POST", "/api/sessions", {"task": "x"}), 400, "bad_request")
    _assert_typed_error(
        server.request("POST", "/api/sessions", {"team": "writer", "task": "x", "extra": 1}),
        400,
        "bad_request",
    )
    _assert_typed_error(
        server.request("POST", "/api/sessions", {"team": "nobody", "task": "x"}),
        404,
        "unknown_team",
    )
    reply = server.request("POST", "/api/sessions", {"team": "broken", "task": "x"})
    _assert_typed_error(reply, 422, "team_unavailable")
    _assert_typed_error(server.request("GET", "/api/sessions/nope"), 404, "unknown_session")
    _assert_typed_error(
        server.request("POST", "/api/sessions/nope/answer", {"text": "hi"}), 404, "unknown_session"
    )
    _assert_typed_error(server.request("GET", "/api/nothing-here"), 404, "not_found")
    _assert_typed_error(server.request("DELETE", "/api/sessions"), 405, "method_not_allowed")
    _assert_typed_error(
        server.request("GET", "/api/sessions/nope/events?after=x"), 404, "unknown_session"
    )

    session = _start(server)
    server.wait_for(session, status_is("waiting"))
    _assert_typed_error(
        server.request("GET", f"/api/sessions/{session}/events?after=x"), 400, "bad_request"
    )
    _assert_typed_error(server.request("POST", f"/api/sessions/{session}/stop"), 409, "conflict")
    _assert_typed_error(server.request("POST", f"/api/sessions/{session}/resume"), 409, "conflict")
    _assert_typed_error(
        server.request(
            "POST", f"/api/sessions/{session}/answer", {"text": "x", "request_id": "old"}
        ),
        409,
        "conflict",
    )
    _assert_typed_error(
        server.request("POST", f"/api/sessions/{session}/answer", raw=b"[1, 2"), 400, "bad_request"
    )
    page = server.request("GET", "/sessions/nope")
    assert page.status == 404
    assert "No session has the id" in page.text


def test_of_two_racing_answers_exactly_one_is_taken(server: Server) -> None:
    session = _start(server)
    request_id = server.wait_for(session, status_is("waiting"))["pending"]["request_id"]
    replies: list[Reply] = []
    barrier = threading.Barrier(2)

    def answer(text: str) -> None:
        # Both answer the same request: even a loser that arrives after the run has paused
        # again (at a new request) is refused.
        body = {"text": text, "request_id": request_id}
        barrier.wait()
        replies.append(server.request("POST", f"/api/sessions/{session}/answer", body))

    threads = [threading.Thread(target=answer, args=(t,)) for t in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status for r in replies) == [202, 409]
    state = server.wait_for(session, lambda s: s["status"] == "waiting" and s["last_seq"] > 6)
    answers = [
        text for kind, source, text in messages(state) if source == "you" and kind == "TextMessage"
    ]
    assert len(answers) == 1 and answers[0] in ("first", "second")


def test_other_sites_and_hosts_are_refused(server: Server) -> None:
    reply = server.request(
        "POST",
        "/api/sessions",
        {"team": "writer", "task": "x"},
        headers={"Origin": "http://evil.example"},
    )
    _assert_typed_error(reply, 403, "forbidden")
    _assert_typed_error(
        server.request("GET", "/api/teams", headers={"Host": "evil.example"}), 403, "forbidden"
    )
    assert server.get("/api/sessions") == []


def test_the_openapi_document_describes_the_endpoints(server: Server) -> None:
    document = server.get("/api/openapi.json")
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/api/sessions", "/api/sessions/{id}/answer", "/api/sessions/{id}/stream"):
        assert path in paths
    create = document["components"]["schemas"]["CreateSessionRequest"]
    assert set(create["required"]) == {"team", "task"}


def test_a_token_is_required_when_set(tmp_path: Path) -> None:
    server = Server([hitl_team(tmp_path / "writer.json")], tmp_path / "s.db", "--token", "t0ken")
    server.start()
    try:
        _assert_typed_error(server.request("GET", "/api/teams"), 401, "unauthorized")
        wrong = server.request("GET", "/api/teams", headers={"Authorization": "Bearer nope"})
        _assert_typed_error(wrong, 401, "unauthorized")
        right = server.request("GET", "/api/teams", headers={"Authorization": "Bearer t0ken"})
        assert right.status == 200
        assert "t0ken" not in right.text
        page = server.request("GET", "/?token=t0ken")
        assert page.status == 200 and "t0ken" not in page.text
    finally:
        server.stop()
