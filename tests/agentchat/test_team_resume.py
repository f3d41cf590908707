"""A round-robin team checkpointed to SQLite survives a SIGKILL and continues where it stopped.

A child process runs the team one turn per ``run()`` and writes ``team.save_state()`` to a
``SQLiteStateStore`` after each; the test kills it with SIGKILL while it is at work, starts a
new process on the same file, which loads the state and continues with ``run()`` (no task),
then reads the stored conversation: every message seen before the kill is there, in order,
and the turns go on in sequence (no turn lost, none repeated).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from parlay_core.state import SQLiteStateStore
from tests.agentchat._team_resume_child import TEAM_KEY

ROOT = Path(__file__).resolve().parents[2]
MANAGER = "RoundRobinGroupChatManager"


def _child(db: Path, turns: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.agentchat._team_resume_child", str(db), str(turns)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _stored_state(db: Path) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        store = SQLiteStateStore(str(db))
        try:
            entry = await store.get(TEAM_KEY)
            assert entry is not None
            return entry.value
        finally:
            await store.close()

    return asyncio.run(read())


def _expected(count: int) -> list[str]:
    """The first ``count`` messages of the conversation: a-1, b-1, a-2, b-2, ..."""
    return [f"{'ab'[i % 2]} {'ab'[i % 2]}-{i // 2 + 1}" for i in range(count)]


def test_team_continues_after_its_process_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    first = _child(db, 0)  # runs until killed
    assert first.stdout is not None
    seen: list[str] = []
    try:
        for line in first.stdout:
            seen.append(line.removeprefix("saved ").strip())
            if len(seen) == 5:
                break
        os.kill(first.pid, signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.wait()
        first.stdout.close()
    assert first.returncode == -signal.SIGKILL
    assert seen == _expected(5)

    before = _stored_state(db)["agent_states"][MANAGER]
    stored_before = [f"{m['source']} {m['content']}" for m in before["message_thread"]]
    # Every message the first process reported as saved survived the kill, in order (it may
    # have saved one more turn between its last line and the kill).
    assert stored_before[0] == "user go"
    assert stored_before[1:6] == seen
    assert stored_before[1:] == _expected(len(stored_before) - 1)

    second = _child(db, 4)
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0
    resumed = [line.removeprefix("saved ").strip() for line in out.splitlines()]
    count = len(stored_before) - 1
    # The new process continues the sequence: the next speaker, with its turn count restored.
    assert resumed == _expected(count + 4)[count:]

    after = _stored_state(db)["agent_states"][MANAGER]
    thread = [f"{m['source']} {m['content']}" for m in after["message_thread"]]
    assert thread == ["user go", *_expected(count + 4)]
