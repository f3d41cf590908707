"""DiskCacheStore: AutoGen's diskcache cache store, on a real cache folder."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import diskcache  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel

from parlay_core import CacheStore, load_component
from parlay_core.models import CreateResult, UserMessage
from parlay_core.plugins import CACHE_STORES, load_plugin
from parlay_core.testing import ReplayChatCompletionClient
from parlay_ext.cache_store.diskcache import DiskCacheStore, DiskCacheStoreConfig
from parlay_ext.models.cache import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache

QUESTION = [UserMessage(content="Capital of France?", source="user")]
# A stream is cached under the same key as a plain call, so the two use different questions.
STREAMED = [UserMessage(content="Capital of Spain?", source="user")]


class Point(BaseModel):
    x: int
    y: int


class Planted:
    """An object whose unpickling would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.touch, (self.marker,))


def test_values_round_trip_and_missing_keys_give_the_default(tmp_path: Path) -> None:
    store = DiskCacheStore[Any](diskcache.Cache(str(tmp_path)))
    for key, value in [("i", 42), ("s", "text"), ("l", [1, "a", None]), ("d", {"k": [1.5]})]:
        store.set(key, value)
        assert store.get(key) == value
    assert store.get("missing") is None
    assert store.get("missing", "fallback") == "fallback"
    store.set("i", 43)
    assert store.get("i") == 43


def test_entries_survive_reopening_the_folder(tmp_path: Path) -> None:
    first = DiskCacheStore[int](diskcache.Cache(str(tmp_path)))
    first.set("answer", 42)
    first.cache.close()
    again = DiskCacheStore[int](diskcache.Cache(str(tmp_path)))
    assert again.get("answer") == 42


def test_models_are_stored_as_json_and_other_objects_are_refused(tmp_path: Path) -> None:
    store = DiskCacheStore[Any](diskcache.Cache(str(tmp_path)))
    store.set("p", Point(x=1, y=2))
    assert store.get("p") == {"x": 1, "y": 2}
    with pytest.raises(TypeError, match="DiskCacheStore keeps values as JSON"):
        store.set("o", object())


def test_component_config_round_trip(tmp_path: Path) -> None:
    store = DiskCacheStore[int](diskcache.Cache(str(tmp_path)))
    store.set("answer", 42)
    model = store.dump_component()
    assert model.provider == "parlay_ext.cache_store.diskcache.DiskCacheStore"
    assert model.component_type == "cache_store"
    assert model.config == {"directory": str(tmp_path)}
    loaded = CacheStore.load_component(model)
    assert isinstance(loaded, DiskCacheStore)
    assert loaded.get("answer") == 42


def test_loads_from_autogen_provider_path_and_plugin_name(tmp_path: Path) -> None:
    config = DiskCacheStoreConfig(directory=str(tmp_path)).model_dump()
    for provider in ("autogen_ext.cache_store.diskcache.DiskCacheStore", "diskcache"):
        loaded = load_component(
            {"provider": provider, "component_type": "cache_store", "config": config}
        )
        assert isinstance(loaded, DiskCacheStore)
    assert load_plugin(CACHE_STORES, "DiskCacheStore") is DiskCacheStore


def test_a_store_loaded_from_config_never_unpickles(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    folder = tmp_path / "cache"
    # Another program writes a pickled entry with diskcache's default storage.
    writer = diskcache.Cache(str(folder))
    writer.set("planted", Planted(marker))
    writer.set("plain", "hello")
    writer.close()
    assert pickle.dumps(Planted(marker))  # the payload really is a pickle
    store = CacheStore[Any].load_component(
        {
            "provider": "parlay_ext.cache_store.diskcache.DiskCacheStore",
            "config": {"directory": str(folder)},
        }
    )
    assert store.get("planted", "miss") == "miss"
    assert not marker.exists()
    assert store.get("plain") == "hello"  # raw text written by others reads back as it is


async def test_model_replies_are_served_from_the_folder_after_a_restart(tmp_path: Path) -> None:
    replay = ReplayChatCompletionClient(["Paris", "Madrid"])
    replay.set_cached_bool(False)
    first = ChatCompletionCache(
        replay, DiskCacheStore[CHAT_CACHE_VALUE_TYPE](diskcache.Cache(str(tmp_path)))
    )
    assert (await first.create(QUESTION)).content == "Paris"
    streamed = [item async for item in first.create_stream(STREAMED)]

    restarted = ChatCompletionCache(
        ReplayChatCompletionClient([]),
        DiskCacheStore[CHAT_CACHE_VALUE_TYPE](diskcache.Cache(str(tmp_path))),
    )
    again = await restarted.create(QUESTION)
    assert (again.content, again.cached) == ("Paris", True)
    replayed = [item async for item in restarted.create_stream(STREAMED)]
    assert len(replayed) == len(streamed)
    assert replayed[:-1] == streamed[:-1]
    final = replayed[-1]
    assert isinstance(final, CreateResult)
    assert (final.content, final.cached) == ("Madrid", True)
