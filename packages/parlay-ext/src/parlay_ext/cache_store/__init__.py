"""Cache stores for :class:`~parlay_core.CacheStore`: a persistent SQLite store.

The in-memory store is :class:`parlay_core.InMemoryStore`; :mod:`parlay_ext.cache_store.sqlite`
keeps values on disk across runs with only the standard library.
"""

__all__: list[str] = []
