"""CacheStore protocol and InMemoryStore."""

from __future__ import annotations

import pytest

from parlay_core._cache_store import CacheStore, InMemoryStore
from parlay_core.models import CreateResult, RequestUsage


def test_get_set_and_default() -> None:
    store = InMemoryStore[int]()
    assert store.get("missing") is None
    assert store.get("missing", 7) == 7
    store.set("a", 1)
    store.set("a", 2)
    assert store.get("a") == 2
    assert store.get("a", 9) == 2


def test_stores_model_results() -> None:
    store: CacheStore[CreateResult] = InMemoryStore[CreateResult]()
    result = CreateResult(
        finish_reason="stop", content="hi", usage=RequestUsage(1, 1), cached=False
    )
    store.set("key", result)
    assert store.get("key") is result


def test_component_round_trip() -> None:
    store = InMemoryStore[str]()
    store.set("k", "v")
    dumped = store.dump_component()
    assert dumped.component_type == "cache_store"
    assert dumped.config == {}
    loaded = CacheStore[str].load_component(dumped)
    assert isinstance(loaded, InMemoryStore)
    # Contents are process-local and deliberately not part of the config.
    assert loaded.get("k") is None


def test_cache_store_is_abstract() -> None:
    with pytest.raises(TypeError):
        CacheStore()  # type: ignore[abstract]
