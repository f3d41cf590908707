"""The session store of ``parlay serve``: sessions and their numbered events in one SQLite file.

Every event is committed before anyone is told about it, so an event a client has seen (and
acknowledged by its sequence number) survives the server being killed. A session's status
changes with a compare-and-set on the status, in the same transaction as the event that
announces it, so two answers racing for one waiting session cannot both win, even from two
processes.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

__all__ = ["SessionRecord", "SessionStore", "StoredEvent"]

_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    team TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    checkpoint TEXT,
    run_input TEXT,
    pending TEXT,
    error TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    created REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
"""

_COLUMNS = (
    "id, team, title, status, created, updated, checkpoint, run_input, pending, error, "
    "prompt_tokens, completion_tokens, last_seq"
)


@dataclass(frozen=True)
class SessionRecord:
    """One session as stored.

    Attributes:
        id: The session id.
        team: The name of the served team it runs.
        title: The task it started with, shortened for lists.
        status: ``running``, ``waiting``, ``finished``, ``stopped``, ``interrupted`` or
            ``failed``.
        created: When it was created (seconds since the epoch).
        updated: When its row last changed.
        checkpoint: The team state saved at the end of the last completed run, or ``None``
            before the first one ended.
        run_input: What the current (or last) run was given: a task or a person's answer.
        pending: While ``waiting``: who must answer and the prompt.
        error: The error of a failed run, on one line.
        prompt_tokens: Prompt tokens of every message so far.
        completion_tokens: Completion tokens of every message so far.
        last_seq: The sequence number of its newest event.
    """

    id: str
    team: str
    title: str
    status: str
    created: float
    updated: float
    checkpoint: Mapping[str, Any] | None
    run_input: Mapping[str, Any] | None
    pending: Mapping[str, Any] | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    last_seq: int


@dataclass(frozen=True)
class StoredEvent:
    """One event of a session, as committed.

    Attributes:
        session_id: The session it belongs to.
        seq: Its number in the session, from 1, without gaps.
        created: When it was committed.
        body: What happened (``kind`` and the fields of that kind).
    """

    session_id: str
    seq: int
    created: float
    body: Mapping[str, Any]


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: object) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _record(row: Sequence[Any]) -> SessionRecord:
    return SessionRecord(
        id=row[0],
        team=row[1],
        title=row[2],
        status=row[3],
        created=row[4],
        updated=row[5],
        checkpoint=_loads(row[6]),
        run_input=_loads(row[7]),
        pending=_loads(row[8]),
        error=row[9],
        prompt_tokens=row[10],
        completion_tokens=row[11],
        last_seq=row[12],
    )


class SessionStore:
    """Sessions and events in one SQLite file, written on one thread of its own.

    SQLite calls block, so they run on a single worker thread (which also keeps the writes of one
    process in order); the event loop only awaits them. The file uses a write-ahead log with
    ``synchronous=NORMAL``: every committed write survives the process being killed.

    Args:
        path: The database file (created if missing).
    """

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parlay-serve-db")
        self._db: sqlite3.Connection | None = None

    async def _call(self, func: Callable[[sqlite3.Connection], _T]) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_thread, func)

    def _in_thread(self, func: Callable[[sqlite3.Connection], _T]) -> _T:
        if self._db is None:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # Two processes on one file (a restart overlapping the old server) wait, not fail.
            db.execute("PRAGMA busy_timeout=10000")
            db.executescript(_SCHEMA)
            self._db = db
        return func(self._db)

    async def open(self) -> None:
        """Create the file and its tables if missing."""
        await self._call(lambda db: None)

    async def close(self) -> None:
        """Close the connection and stop the worker thread."""

        def close(db: sqlite3.Connection) -> None:
            db.close()
            self._db = None

        if self._db is not None:
            await self._call(close)
        self._executor.shutdown(wait=True)

    async def create(
        self, session_id: str, team: str, title: str, run_input: Mapping[str, Any]
    ) -> SessionRecord:
        """Create a session in status ``running``, with the run input it starts with."""
        now = time.time()

        def create(db: sqlite3.Connection) -> SessionRecord:
            db.execute(
                "INSERT INTO sessions (id, team, title, status, created, updated, run_input) "
                "VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (session_id, team, title, now, now, _dumps(run_input)),
            )
            row = db.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            return _record(row)

        return await self._call(create)

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or ``None`` if there is none with this id."""

        def get(db: sqlite3.Connection) -> SessionRecord | None:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            return None if row is None else _record(row)

        return await self._call(get)

    async def sessions(self, limit: int = 200) -> list[SessionRecord]:
        """The newest sessions first."""

        def select(db: sqlite3.Connection) -> list[SessionRecord]:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM sessions ORDER BY created DESC LIMIT ?", (limit,)
            ).fetchall()
            return [_record(row) for row in rows]

        return await self._call(select)

    async def append(
        self, session_id: str, body: Mapping[str, Any], usage: tuple[int, int] | None = None
    ) -> StoredEvent:
        """Commit one event (and add its token usage to the session's totals)."""
        event = await self._call(lambda db: self._append(db, session_id, body, usage))
        if event is None:
            raise KeyError(session_id)
        return event

    @staticmethod
    def _append(
        db: sqlite3.Connection,
        session_id: str,
        body: Mapping[str, Any],
        usage: tuple[int, int] | None,
        fields: Mapping[str, Any] | None = None,
        expected: Collection[str] | None = None,
        expected_pending: Mapping[str, Any] | None = None,
    ) -> StoredEvent | None:
        now = time.time()
        prompt, completion = usage or (0, 0)
        fields = dict(fields or {})
        assignments = "".join(f", {name} = ?" for name in fields)
        values: list[Any] = [
            _dumps(cast(object, v)) if isinstance(v, (dict, list)) else v for v in fields.values()
        ]
        # IMMEDIATE takes the write lock first: the status check, the change and the event
        # are one transaction, so of two racing callers (even in two processes) one wins.
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT status, last_seq, pending FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            stale = (expected is not None and row is not None and row[0] not in expected) or (
                expected_pending is not None
                and row is not None
                and _loads(row[2]) != json.loads(json.dumps(expected_pending))
            )
            if row is None or stale:
                db.execute("ROLLBACK")
                return None
            seq = int(row[1]) + 1
            db.execute(
                "UPDATE sessions SET last_seq = ?, updated = ?, "
                "prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?"
                f"{assignments} WHERE id = ?",
                (seq, now, prompt, completion, *values, session_id),
            )
            db.execute(
                "INSERT INTO events (session_id, seq, created, body) VALUES (?, ?, ?, ?)",
                (session_id, seq, now, _dumps(body)),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return StoredEvent(session_id, seq, now, body)

    async def transition(
        self,
        session_id: str,
        expected: Collection[str],
        status: str,
        body: Mapping[str, Any],
        expected_pending: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> StoredEvent | None:
        """Move the session to ``status`` if it is in one of ``expected``, with its event.

        With ``expected_pending``, only if the session still waits on that very request.

        Returns:
            The committed event, or ``None`` if the session was not in an expected status
            (someone else moved it first).
        """
        event_body = {**body, "kind": "status", "status": status}
        changes = {**fields, "status": status}
        return await self._call(
            lambda db: self._append(
                db, session_id, event_body, None, changes, expected, expected_pending
            )
        )

    async def events(self, session_id: str, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """The session's events with a sequence number above ``after``, oldest first."""

        def select(db: sqlite3.Connection) -> list[StoredEvent]:
            rows = db.execute(
                "SELECT seq, created, body FROM events WHERE session_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (session_id, after, limit),
            ).fetchall()
            return [StoredEvent(session_id, row[0], row[1], json.loads(row[2])) for row in rows]

        return await self._call(select)

    async def snapshot(self, session_id: str) -> tuple[SessionRecord, list[StoredEvent]] | None:
        """The session and all its events, read together (so they agree), or ``None``."""

        def select(db: sqlite3.Connection) -> tuple[SessionRecord, list[StoredEvent]] | None:
            # One read transaction: no write lands between the row and its events.
            db.execute("BEGIN")
            try:
                row = db.execute(
                    f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                rows = db.execute(
                    "SELECT seq, created, body FROM events WHERE session_id = ? ORDER BY seq",
                    (session_id,),
                ).fetchall()
            finally:
                db.execute("COMMIT")
            if row is None:
                return None
            events = [StoredEvent(session_id, r[0], r[1], json.loads(r[2])) for r in rows]
            return _record(row), events

        return await self._call(select)

    async def running(self) -> list[str]:
        """The ids of sessions whose status says a run was in progress."""

        def select(db: sqlite3.Connection) -> list[str]:
            rows = db.execute("SELECT id FROM sessions WHERE status = 'running'").fetchall()
            return [row[0] for row in rows]

        return await self._call(select)
