"""A cache store kept in a diskcache folder: AutoGen's ``DiskCacheStore`` under Parlay's name."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import CacheStore, Component
from parlay_ext.cache_store._json import decode_value, encode_value
from parlay_ext.cache_store.diskcache._sdk import PickledEntryError, open_cache

__all__ = ["DiskCacheStore", "DiskCacheStoreConfig"]

T = TypeVar("T")

_logger = logging.getLogger("parlay_ext.cache_store.diskcache")
_MISSING = object()


class DiskCacheStoreConfig(BaseModel):
    """Configuration of :class:`DiskCacheStore`.

    Attributes:
        directory: The cache folder (created if missing).
    """

    directory: str


class DiskCacheStore(CacheStore[T], Component[DiskCacheStoreConfig]):
    """A cache in a [diskcache](https://grantjenks.com/docs/diskcache/) folder.

    Entries survive restarts and can be shared by processes on one machine. Values are written
    as JSON text, never pickled: pydantic models and dataclasses are stored as their JSON form
    and come back as plain dicts and lists, which
    :class:`~parlay_ext.models.cache.ChatCompletionCache` turns back into results. A store
    loaded from a config also refuses to unpickle entries that another program pickled into the
    folder (they read as missing), so opening a cache folder runs no code.

    Args:
        cache_instance: An open ``diskcache.Cache``. Its own settings (size limit, eviction,
            the ``disk`` it reads with) apply; this store only ever writes JSON text to it.

    Example:
        ```python
        import diskcache

        store = DiskCacheStore[int](diskcache.Cache("/tmp/answers"))
        store.set("answer", 42)
        assert store.get("answer") == 42
        ```
    """

    component_config_schema = DiskCacheStoreConfig
    component_provider_override = "parlay_ext.cache_store.diskcache.DiskCacheStore"

    def __init__(self, cache_instance: Any) -> None:
        self.cache: Any = cache_instance

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under ``key``, or ``default`` when there is none."""
        try:
            raw: object = self.cache.get(key, default=_MISSING)
        except PickledEntryError:
            _logger.warning(
                "Ignoring the pickled cache entry %r in %s: this store never unpickles.",
                key,
                self.cache.directory,
            )
            return default
        if raw is _MISSING:
            return default
        value: Any = decode_value(raw)
        return value  # type: ignore[no-any-return]

    def set(self, key: str, value: T) -> None:
        """Store ``value`` (as JSON) under ``key``, replacing any earlier value.

        Raises:
            TypeError: ``value`` has no JSON form.
        """
        self.cache.set(key, encode_value(value, type(self).__name__))

    def _to_config(self) -> DiskCacheStoreConfig:
        return DiskCacheStoreConfig(directory=str(self.cache.directory))

    @classmethod
    def _from_config(cls, config: DiskCacheStoreConfig) -> Self:
        return cls(open_cache(config.directory))
