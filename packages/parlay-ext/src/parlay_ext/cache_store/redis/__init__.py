"""A cache store in Redis, with redis-py (``pip install "parlay-ext[redis]"``).

AutoGen's ``autogen_ext.cache_store.redis`` under Parlay's name.
"""

from parlay_ext.cache_store.redis._store import RedisStore, RedisStoreConfig

__all__ = ["RedisStore", "RedisStoreConfig"]
