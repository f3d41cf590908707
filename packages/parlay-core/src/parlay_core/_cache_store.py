"""Key-value caches, for example of model results (see ``parlay_ext`` for durable stores)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._component_config import Component, ComponentBase

__all__ = ["CacheStore", "InMemoryStore", "InMemoryStoreConfig"]

T = TypeVar("T")


class CacheStore(ComponentBase[BaseModel], ABC, Generic[T]):
    """A key-value cache of values of type ``T``.

    Implementations decide where values live (memory, disk, Redis, NATS, ...) and how they are
    evicted. A cache store is a component (``component_type = "cache_store"``).
    """

    component_type = "cache_store"

    @abstractmethod
    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under ``key``, or ``default`` when there is none."""

    @abstractmethod
    def set(self, key: str, value: T) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""


class InMemoryStoreConfig(BaseModel):
    """Configuration of :class:`InMemoryStore` (it has no options; its contents are not saved)."""


class InMemoryStore(CacheStore[T], Component[InMemoryStoreConfig]):
    """A cache held in a dict for the life of the process, without eviction.

    Example:
        >>> store = InMemoryStore[int]()
        >>> store.set("answer", 42)
        >>> store.get("answer"), store.get("missing", 0)
        (42, 0)
    """

    component_config_schema = InMemoryStoreConfig

    def __init__(self) -> None:
        self.store: dict[str, T] = {}

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under ``key``, or ``default`` when there is none."""
        return self.store.get(key, default)

    def set(self, key: str, value: T) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""
        self.store[key] = value

    def _to_config(self) -> InMemoryStoreConfig:
        return InMemoryStoreConfig()

    @classmethod
    def _from_config(cls, config: InMemoryStoreConfig) -> Self:
        return cls()
