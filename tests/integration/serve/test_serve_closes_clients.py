"""``parlay serve`` closes the model clients it built for a run once the run is over.

The team's model client talks to a scripted OpenAI-compatible server on 127.0.0.1, which counts
the connections its clients hold open. A client left to the garbage collector keeps its kept-alive
connection open; a closed one closes it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs parlay-agentchat[serve]")

from parlay_agentchat.agents import AssistantAgent, UserProxyAgent
from parlay_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from parlay_agentchat.serve import SessionManager, SessionStore, load_served_teams
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.agentchat.serve._server import Server, messages, status_is
from tests.ext._wire import Reply, WireServer
from tests.ext.test_openai_client import completion


def _team_config(path: Path, wire: WireServer, *, with_person: bool) -> Path:
    client = OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=f"{wire.url}/v1")
    writer = AssistantAgent("writer", client)
    if with_person:
        team = RoundRobinGroupChat(
            [writer, UserProxyAgent("you")],
            termination_condition=TextMentionTermination("APPROVE") | MaxMessageTermination(10),
        )
    else:
        team = RoundRobinGroupChat([writer], termination_condition=MaxMessageTermination(2))
    path.write_text(team.dump_component().model_dump_json(indent=2), encoding="utf-8")
    return path


def _serve(tmp_path: Path, config: Path) -> Server:
    # The config's key is masked when dumped: the server sends the environment's key instead.
    return Server(
        [config],
        tmp_path / "sessions.db",
        "--allow-environment-keys",
        env={"OPENAI_API_KEY": "sk-test"},
    ).start()


def _start(server: Server, team: str) -> str:
    reply = server.request("POST", "/api/sessions", {"team": team, "task": "A line about tea."})
    assert reply.status == 201, reply.text
    return str(reply.body["id"])


def test_a_finished_run_closes_its_model_clients_connections(
    tmp_path: Path, wire: WireServer
) -> None:
    wire.script(Reply(body=completion("Tea at dawn.")))
    server = _serve(tmp_path, _team_config(tmp_path / "solo.json", wire, with_person=False))
    try:
        session = _start(server, "solo")
        done = server.wait_for(session, status_is("finished"))
        assert messages(done)[-1] == ("TextMessage", "writer", "Tea at dawn.")
        assert len(wire.received) == 1
        assert wire.wait_until_no_connection_is_open(), "the run's model client was not closed"
    finally:
        server.stop()


def test_a_failed_run_closes_its_model_clients_connections(
    tmp_path: Path, wire: WireServer
) -> None:
    wire.script(Reply(status=400, body={"error": {"message": "bad request", "type": "invalid"}}))
    server = _serve(tmp_path, _team_config(tmp_path / "solo.json", wire, with_person=False))
    try:
        session = _start(server, "solo")
        failed = server.wait_for(session, status_is("failed"))
        assert "bad request" in failed["error"]
        assert wire.wait_until_no_connection_is_open(), "the run's model client was not closed"
    finally:
        server.stop()


def test_a_run_resumed_after_a_human_turn_closes_its_model_clients_when_it_ends(
    tmp_path: Path, wire: WireServer
) -> None:
    wire.script(Reply(body=completion("Draft one.")), Reply(body=completion("Draft two.")))
    server = _serve(tmp_path, _team_config(tmp_path / "pair.json", wire, with_person=True))
    try:
        session = _start(server, "pair")
        server.wait_for(session, status_is("waiting"))
        reply = server.request("POST", f"/api/sessions/{session}/answer", {"text": "Shorter."})
        assert reply.status == 202, reply.text
        server.wait_for(session, status_is("waiting"))
        reply = server.request("POST", f"/api/sessions/{session}/answer", {"text": "APPROVE"})
        assert reply.status == 202, reply.text
        done = server.wait_for(session, status_is("finished"))
        assert messages(done)[-1] == ("TextMessage", "you", "APPROVE")
        assert len(wire.received) == 2
        assert wire.wait_until_no_connection_is_open(), "the run's model client was not closed"
    finally:
        server.stop()


async def test_a_team_kept_waiting_for_a_person_closes_its_clients_when_the_server_closes(
    tmp_path: Path, wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In process: the server's session manager keeps a waiting team (its client with it) in
    # memory for the answer, until it closes; the answer may then come to another process.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    wire.script(Reply(body=completion("Draft one.")))
    config = _team_config(tmp_path / "pair.json", wire, with_person=True)
    teams = load_served_teams(
        [str(config)], allow_code_execution=False, allow_environment_keys=True, allow_import=()
    )
    manager = SessionManager(
        SessionStore(tmp_path / "sessions.db"), teams, allow_environment_keys=True
    )
    await manager.start()
    try:
        session = (await manager.create("pair", "A line about tea.")).id
        for _ in range(600):
            if (await manager.get(session)).status != "running":
                break
            await asyncio.sleep(0.05)
        assert (await manager.get(session)).status == "waiting"
        assert wire.open_connections == 1  # kept alive for the next run
    finally:
        await manager.close()
    assert await asyncio.to_thread(wire.wait_until_no_connection_is_open)
