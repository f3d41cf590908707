"""The embedded default state store: one SQLite file, standard library only.

SQLite calls block, so every call runs on one dedicated thread that owns the connection; the
event loop only awaits the result. Values are turned into JSON on the caller's thread, so the
stored snapshot is the state at the moment ``put`` was called even if the agent changes it while
the write is in flight.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._component_config import Component
from parlay_core._exceptions import StateConflictError, StateError
from parlay_core.state._protocol import StateEntry

__all__ = ["SQLiteStateStore", "SQLiteStateStoreConfig"]

R = TypeVar("R")

SynchronousMode = Literal["OFF", "NORMAL", "FULL"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS parlay_state ("
    " key TEXT PRIMARY KEY, value TEXT NOT NULL, revision INTEGER NOT NULL)",
    # One counter for the whole file: revisions never repeat, even after a delete and re-create,
    # so a stale writer holding an old revision can never match by accident.
    "CREATE TABLE IF NOT EXISTS parlay_state_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
)


class SQLiteStateStoreConfig(BaseModel):
    """Configuration of :class:`SQLiteStateStore`."""

    path: str = "parlay_state.db"
    synchronous: SynchronousMode = "NORMAL"


class SQLiteStateStore(Component[SQLiteStateStoreConfig]):
    """Agent state in a SQLite file (write-ahead log, safe for several processes).

    With the default ``synchronous="NORMAL"`` every committed write survives the process being
    killed; ``"FULL"`` also survives a power cut, at the cost of a disk flush per write.

    Args:
        path: The database file (created if missing), or ``":memory:"`` for a private store.
        synchronous: SQLite's ``PRAGMA synchronous`` level.

    Example:
        >>> import asyncio
        >>> async def demo() -> int:
        ...     store = SQLiteStateStore(":memory:")
        ...     revision = await store.put("counter/a", {"count": 1}, expected_revision=0)
        ...     entry = await store.get("counter/a")
        ...     await store.close()
        ...     return entry.value["count"] if entry and entry.revision == revision else -1
        >>> asyncio.run(demo())
        1
    """

    component_type = "state_store"
    component_config_schema = SQLiteStateStoreConfig
    component_provider_override = "parlay_core.state.SQLiteStateStore"

    def __init__(
        self,
        path: str | os.PathLike[str] = "parlay_state.db",
        *,
        synchronous: SynchronousMode = "NORMAL",
    ) -> None:
        self._path = os.fspath(path)
        self._synchronous: SynchronousMode = synchronous
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="parlay-sqlite"
        )
        self._connection: sqlite3.Connection | None = None

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    # --- the protocol --------------------------------------------------------------------------

    async def get(self, key: str) -> StateEntry | None:
        """Return the entry stored under ``key``, or None when there is none."""
        row = await self._call(self._get, key)
        if row is None:
            return None
        return StateEntry(value=self._decode(key, row[0]), revision=row[1])

    async def put(
        self, key: str, value: Mapping[str, Any], *, expected_revision: int | None = None
    ) -> int:
        """Store ``value`` under ``key`` and return the new revision.

        Raises:
            StateConflictError: ``expected_revision`` does not match the key's current revision.
            StateError: The value is not JSON-serializable.
        """
        _check_key(key)
        try:
            text = json.dumps(value, separators=(",", ":"))
        except RecursionError as e:
            raise StateError(
                f"The state for {key!r} is too deeply nested to store ({e}). Flatten what "
                "save_state() returns."
            ) from e
        except (TypeError, ValueError) as e:
            raise StateError(
                f"The state for {key!r} is not JSON-serializable: {e}. Return plain dicts, lists, "
                "strings, numbers and booleans from save_state() (model_dump() for pydantic)."
            ) from e
        return await self._call(self._put, key, text, expected_revision)

    async def delete(self, key: str, *, expected_revision: int | None = None) -> bool:
        """Delete ``key``; return whether it existed.

        Raises:
            StateConflictError: ``expected_revision`` does not match the key's current revision.
        """
        return await self._call(self._delete, key, expected_revision)

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the stored keys that start with ``prefix``, sorted."""
        return await self._call(self._keys, prefix)

    async def close(self) -> None:
        """Close the connection and stop the store's thread; closing twice is harmless."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, self._close_connection)
        executor.shutdown(wait=False)

    # --- on the store's thread -----------------------------------------------------------------

    async def _call(self, fn: Callable[..., R], *args: Any) -> R:
        executor = self._executor
        if executor is None:
            raise StateError(f"The SQLite state store {self._path!r} is closed.")
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        except sqlite3.Error as e:
            # The file is input too: damaged, not a database, or locked by another program.
            raise StateError(
                f"The SQLite state store {self._path!r} failed: {e}. If the file is damaged or "
                "is not a Parlay state store, restore it from a backup or give the store a new "
                "path."
            ) from e

    def _decode(self, key: str, text: str) -> dict[str, Any]:
        # Checkpoints are the only reads, so checking the stored text costs nothing per message.
        try:
            value: object = json.loads(text)
        except (ValueError, RecursionError) as e:
            problem = "too deeply nested" if isinstance(e, RecursionError) else "not valid JSON"
            raise StateError(
                f"The state stored for {key!r} in {self._path!r} is {problem} ({e}): the file "
                "was changed outside Parlay. Delete the key (store.delete(key)) to start that "
                "agent afresh, or restore the file from a backup."
            ) from e
        if not isinstance(value, dict):
            raise StateError(
                f"The state stored for {key!r} in {self._path!r} is a {type(value).__name__}, "
                "not a JSON object: the file was changed outside Parlay. Delete the key "
                "(store.delete(key)) to start that agent afresh, or restore the file from a backup."
            )
        return cast(dict[str, Any], value)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE, which takes
            # the write lock up front, so read-check-write is atomic across processes too.
            connection = sqlite3.connect(self._path, timeout=30.0, isolation_level=None)
            try:
                self._set_up(connection)
            except BaseException:
                connection.close()  # the next call tries again from scratch
                raise
            self._connection = connection
        return self._connection

    def _set_up(self, connection: sqlite3.Connection) -> None:
        # Switching to WAL needs an exclusive lock and SQLite answers "database is locked" at once
        # (without its busy wait) when another process is doing the same: retry for a while.
        deadline = time.monotonic() + 30.0
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(f"PRAGMA synchronous={self._synchronous}")
                for statement in _SCHEMA:
                    connection.execute(statement)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _get(self, key: str) -> tuple[str, int] | None:
        row = (
            self._db()
            .execute("SELECT value, revision FROM parlay_state WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else (str(row[0]), int(row[1]))

    def _put(self, key: str, text: str, expected: int | None) -> int:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            self._check_revision(db, key, expected)
            row = db.execute(
                "SELECT value FROM parlay_state_meta WHERE name = 'revision'"
            ).fetchone()
            revision = (int(row[0]) if row is not None else 0) + 1
            db.execute(
                "INSERT OR REPLACE INTO parlay_state_meta (name, value) VALUES ('revision', ?)",
                (revision,),
            )
            db.execute(
                "INSERT OR REPLACE INTO parlay_state (key, value, revision) VALUES (?, ?, ?)",
                (key, text, revision),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return revision

    def _delete(self, key: str, expected: int | None) -> bool:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            self._check_revision(db, key, expected)
            deleted = db.execute("DELETE FROM parlay_state WHERE key = ?", (key,)).rowcount > 0
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return deleted

    def _check_revision(self, db: sqlite3.Connection, key: str, expected: int | None) -> None:
        if expected is None:
            return
        row = db.execute("SELECT revision FROM parlay_state WHERE key = ?", (key,)).fetchone()
        current = 0 if row is None else int(row[0])
        if current != expected:
            raise StateConflictError(key, expected, current)

    def _keys(self, prefix: str) -> list[str]:
        # Range scan instead of LIKE: no wildcard escaping, and it uses the primary-key index.
        if prefix:
            rows = self._db().execute(
                "SELECT key FROM parlay_state WHERE key >= ? AND key < ? ORDER BY key",
                (prefix, prefix + "\U0010ffff"),
            )
        else:
            rows = self._db().execute("SELECT key FROM parlay_state ORDER BY key")
        return [str(row[0]) for row in rows if str(row[0]).startswith(prefix)]

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # --- component config ----------------------------------------------------------------------

    def _to_config(self) -> SQLiteStateStoreConfig:
        return SQLiteStateStoreConfig(path=self._path, synchronous=self._synchronous)

    @classmethod
    def _from_config(cls, config: SQLiteStateStoreConfig) -> Self:
        return cls(config.path, synchronous=config.synchronous)


def _check_key(key: str) -> None:
    if not key:
        raise StateError("State keys must be non-empty strings.")
