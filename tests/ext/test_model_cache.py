"""ChatCompletionCache over the in-memory and the SQLite store, and the SQLite store itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parlay_core import FunctionCall, InMemoryStore
from parlay_core.exceptions import ReplayExhaustedError
from parlay_core.models import CreateResult, RequestUsage, UserMessage
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import FunctionTool
from parlay_ext.cache_store.sqlite import SQLiteStore
from parlay_ext.models.cache import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache
from parlay_ext.models.replay import ReplayChatCompletionClient as ReExported

QUESTION = [UserMessage(content="Capital of France?", source="user")]


def add(a: int, b: int) -> int:
    """Add."""
    return a + b


async def stream_items(client: Any, messages: Any) -> list[Any]:
    return [item async for item in client.create_stream(messages)]


def test_replay_is_re_exported() -> None:
    assert ReExported is ReplayChatCompletionClient


async def test_second_identical_request_is_served_from_the_cache() -> None:
    replay = ReplayChatCompletionClient(["Paris", "Lyon"])
    replay.set_cached_bool(False)
    cached = ChatCompletionCache(replay)
    first = await cached.create(QUESTION)
    second = await cached.create(QUESTION)
    assert (first.content, first.cached) == ("Paris", False)
    assert (second.content, second.cached) == ("Paris", True)
    assert len(replay.create_calls) == 1
    assert cached.actual_usage() == RequestUsage(prompt_tokens=0, completion_tokens=0)
    other = await cached.create([UserMessage(content="Capital of Spain?", source="user")])
    assert other.content == "Lyon"


async def test_tools_and_json_mode_are_part_of_the_key() -> None:
    replay = ReplayChatCompletionClient(["a", "b", "c"])
    cached = ChatCompletionCache(replay)
    await cached.create(QUESTION)
    await cached.create(QUESTION, tools=[FunctionTool(add, description="Add.")])
    await cached.create(QUESTION, json_output=True)
    assert len(replay.create_calls) == 3


async def test_errors_are_not_cached() -> None:
    cached = ChatCompletionCache(ReplayChatCompletionClient([]))
    for _ in range(2):
        with pytest.raises(ReplayExhaustedError):
            await cached.create(QUESTION)


async def test_streams_are_replayed_chunk_by_chunk() -> None:
    replay = ReplayChatCompletionClient(["It is Paris"])
    replay.set_cached_bool(False)
    cached = ChatCompletionCache(replay)
    live = await stream_items(cached, QUESTION)
    again = await stream_items(cached, QUESTION)
    assert [x for x in again if isinstance(x, str)] == [x for x in live if isinstance(x, str)]
    assert isinstance(again[-1], CreateResult) and again[-1].cached is True
    assert len(replay.create_calls) == 1


async def test_sqlite_cache_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "models.sqlite"
    call = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c1", arguments='{"a": 1, "b": 2}', name="add")],
        usage=RequestUsage(prompt_tokens=3, completion_tokens=4),
        cached=False,
    )
    first = ChatCompletionCache(
        ReplayChatCompletionClient([call]), SQLiteStore[CHAT_CACHE_VALUE_TYPE](path)
    )
    await first.create(QUESTION)
    # A new process would start with a fresh client that has nothing scripted.
    reopened = ChatCompletionCache(
        ReplayChatCompletionClient([]), SQLiteStore[CHAT_CACHE_VALUE_TYPE](path)
    )
    result = await reopened.create(QUESTION)
    assert result.cached is True
    assert result.content == [FunctionCall(id="c1", arguments='{"a": 1, "b": 2}', name="add")]


def test_sqlite_store_basics(tmp_path: Path) -> None:
    store = SQLiteStore[Any](tmp_path / "s.db", table="things")
    assert store.get("missing") is None
    assert store.get("missing", {"x": 1}) == {"x": 1}
    store.set("k", {"nested": [1, "two"]})
    store.set("k", {"nested": [3]})
    assert store.get("k") == {"nested": [3]}
    store.clear()
    assert store.get("k") is None
    with pytest.raises(TypeError, match="JSON"):
        store.set("bad", object())
    with pytest.raises(ValueError, match="identifier"):
        SQLiteStore[Any](tmp_path / "s.db", table="x; DROP TABLE y")
    store.close()


def test_sqlite_store_expires_entries(tmp_path: Path) -> None:
    store = SQLiteStore[int](tmp_path / "ttl.db", ttl=-1)
    store.set("k", 1)
    assert store.get("k") is None


def test_configs_round_trip(tmp_path: Path) -> None:
    store = SQLiteStore[CHAT_CACHE_VALUE_TYPE](tmp_path / "c.db")
    cached = ChatCompletionCache(ReplayChatCompletionClient(["x"]), store)
    dumped = cached.dump_component()
    assert dumped.provider == "parlay_ext.models.cache.ChatCompletionCache"
    loaded = ChatCompletionCache.load_component(dumped)
    assert isinstance(loaded.store, SQLiteStore)
    assert loaded.dump_component().config == dumped.config
    in_memory = ChatCompletionCache(
        ReplayChatCompletionClient(["x"]), InMemoryStore[CHAT_CACHE_VALUE_TYPE]()
    )
    assert ChatCompletionCache.load_component(in_memory.dump_component()).store is not None
