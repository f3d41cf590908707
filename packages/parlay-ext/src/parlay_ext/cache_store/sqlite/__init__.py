"""A persistent cache store in a SQLite file, with only the standard library."""

from parlay_ext.cache_store.sqlite._store import SQLiteStore, SQLiteStoreConfig

__all__ = ["SQLiteStore", "SQLiteStoreConfig"]
