"""A persistent cache store in one SQLite file (standard library ``sqlite3``)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from typing_extensions import Self

from parlay_core import CacheStore, Component

__all__ = ["SQLiteStore", "SQLiteStoreConfig"]

T = TypeVar("T")


class SQLiteStoreConfig(BaseModel):
    """Configuration of :class:`SQLiteStore`.

    Attributes:
        path: The database file (created with its folder if missing), or ``":memory:"``.
        table: The table that holds this store's entries; several stores can share a file.
        ttl: Seconds an entry stays valid; ``None`` keeps entries until overwritten.
    """

    path: str
    table: str = "parlay_cache"
    ttl: float | None = None


class SQLiteStore(CacheStore[T], Component[SQLiteStoreConfig]):
    """A cache kept in a SQLite file, so it survives restarts and can be shared by processes.

    Values are stored as JSON, never pickled, so a cache file cannot run code when read.
    pydantic models and dataclasses are stored as their JSON form and come back as plain
    dicts and lists; :class:`~parlay_ext.models.cache.ChatCompletionCache` turns them back into
    results.

    Args:
        path: The database file, or ``":memory:"``.
        table: The table name (letters, digits and underscores).
        ttl: Seconds an entry stays valid; older entries read as missing.

    Raises:
        ValueError: ``table`` is not a plain identifier.

    Example:
        >>> store = SQLiteStore[int](":memory:")
        >>> store.set("answer", 42)
        >>> store.get("answer")
        42
    """

    component_config_schema = SQLiteStoreConfig
    component_provider_override = "parlay_ext.cache_store.sqlite.SQLiteStore"

    def __init__(
        self, path: str | Path, *, table: str = "parlay_cache", ttl: float | None = None
    ) -> None:
        if not table.isidentifier():
            raise ValueError(
                f"table must be a plain identifier such as 'parlay_cache'; got {table!r}."
            )
        self._config = SQLiteStoreConfig(path=str(path), table=table, ttl=ttl)
        if str(path) != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by every thread, serialized by a lock: the store's methods are
        # synchronous and short, and SQLite serializes writers anyway.
        self._connection = sqlite3.connect(
            str(Path(path).expanduser()) if str(path) != ":memory:" else ":memory:",
            check_same_thread=False,
            isolation_level=None,
        )
        self._lock = threading.Lock()
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)"
            )

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under ``key``, or ``default`` when missing or expired."""
        with self._lock:
            row = self._connection.execute(
                f"SELECT value, stored_at FROM {self._config.table} WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return default
        value, stored_at = row
        if self._config.ttl is not None and time.time() - stored_at > self._config.ttl:
            return default
        loaded: Any = json.loads(value)
        return loaded  # type: ignore[no-any-return]

    def set(self, key: str, value: T) -> None:
        """Store ``value`` (as JSON) under ``key``, replacing any earlier value.

        Raises:
            TypeError: ``value`` has no JSON form.
        """
        try:
            text = json.dumps(to_jsonable_python(value))
        except Exception as exc:
            raise TypeError(
                f"SQLiteStore keeps values as JSON and cannot store a {type(value).__name__}: {exc}"
            ) from exc
        with self._lock:
            self._connection.execute(
                f"INSERT OR REPLACE INTO {self._config.table} (key, value, stored_at) "
                "VALUES (?, ?, ?)",
                (key, text, time.time()),
            )

    def clear(self) -> None:
        """Remove every entry of this store's table."""
        with self._lock:
            self._connection.execute(f"DELETE FROM {self._config.table}")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    def _to_config(self) -> SQLiteStoreConfig:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: SQLiteStoreConfig) -> Self:
        return cls(config.path, table=config.table, ttl=config.ttl)
