"""A cache store in a diskcache folder (``pip install "parlay-ext[diskcache]"``).

AutoGen's ``autogen_ext.cache_store.diskcache`` under Parlay's name.
"""

from parlay_ext.cache_store.diskcache._store import DiskCacheStore, DiskCacheStoreConfig

__all__ = ["DiskCacheStore", "DiskCacheStoreConfig"]
