"""RedisStore: AutoGen's Redis cache store, against a real redis-server on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import BaseModel, SecretStr
from redis.backoff import NoBackoff
from redis.retry import Retry

from parlay_core import CacheStore, load_component
from parlay_core.models import CreateResult, UserMessage
from parlay_core.plugins import CACHE_STORES, load_plugin
from parlay_core.testing import ReplayChatCompletionClient
from parlay_ext.cache_store.redis import RedisStore, RedisStoreConfig
from parlay_ext.models.cache import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache

PASSWORD = "s3cret-for-tests"
QUESTION = [UserMessage(content="Capital of France?", source="user")]
STREAMED = [UserMessage(content="Capital of Spain?", source="user")]


class Point(BaseModel):
    x: int
    y: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A password-protected redis-server on a free loopback port, stopped after the module."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "redis-server is not installed (Debian package redis-server; the nox tests "
            "session installs it when it runs as root)"
        )
    folder: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    server = subprocess.Popen(
        [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--requirepass", PASSWORD,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port, password=PASSWORD, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def client(redis_port: int) -> Iterator[redis.Redis]:
    connection = redis.Redis(port=redis_port, password=PASSWORD)
    connection.flushdb()
    yield connection
    connection.close()


def test_values_round_trip_and_missing_keys_give_the_default(client: redis.Redis) -> None:
    store = RedisStore[Any](client)
    for key, value in [("i", 42), ("s", "text"), ("l", [1, "a", None]), ("d", {"k": [1.5]})]:
        store.set(key, value)
        assert store.get(key) == value
    assert store.get("missing") is None
    assert store.get("missing", "fallback") == "fallback"


def test_models_are_stored_as_json(client: redis.Redis) -> None:
    store = RedisStore[Any](client)
    store.set("p", Point(x=1, y=2))
    assert client.get("p") == b'{"x": 1, "y": 2}'
    assert store.get("p") == {"x": 1, "y": 2}
    with pytest.raises(TypeError, match="RedisStore keeps values as JSON"):
        store.set("o", object())


def test_entries_written_by_other_programs_read_back_as_text(client: redis.Redis) -> None:
    client.set("other", "plain text")
    client.set("binary", b"\xff\xfe")
    store = RedisStore[Any](client)
    assert store.get("other") == "plain text"
    assert store.get("binary") == b"\xff\xfe"


def test_an_unreachable_server_is_a_logged_miss(caplog: pytest.LogCaptureFixture) -> None:
    # No retries: redis-py's default backoff would only make the test slower.
    gone = redis.Redis(port=_free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    store = RedisStore[int](gone)
    store.set("answer", 42)  # nothing stored, no exception
    assert store.get("answer", -1) == -1
    assert "Redis cache write of 'answer' failed" in caplog.text
    assert "Redis cache read of 'answer' failed, treated as a miss" in caplog.text


def test_two_clients_share_the_cache(client: redis.Redis, redis_port: int) -> None:
    RedisStore[int](client).set("answer", 42)
    other = redis.Redis(port=redis_port, password=PASSWORD, decode_responses=True)
    assert RedisStore[int](other).get("answer") == 42
    other.close()


def test_config_dump_masks_the_password_and_loads_back(
    client: redis.Redis, redis_port: int
) -> None:
    RedisStore[int](client).set("answer", 42)
    connected = redis.Redis(port=redis_port, password=PASSWORD, socket_timeout=5.0)
    store = RedisStore[int](connected)
    masked = store.dump_component()
    assert masked.provider == "parlay_ext.cache_store.redis.RedisStore"
    assert masked.component_type == "cache_store"
    assert masked.config["port"] == redis_port
    assert masked.config["socket_timeout"] == 5.0
    assert PASSWORD not in masked.model_dump_json()
    loaded = CacheStore[int].load_component(store.dump_component(include_secrets=True))
    assert isinstance(loaded, RedisStore)
    assert loaded.get("answer") == 42
    loaded.cache.close()
    connected.close()


def test_loads_from_autogen_provider_path_and_plugin_name(
    client: redis.Redis, redis_port: int
) -> None:
    RedisStore[int](client).set("answer", 42)
    config = RedisStoreConfig(host="127.0.0.1", port=redis_port, password=SecretStr(PASSWORD))
    dumped = config.model_dump(mode="python")
    dumped["password"] = PASSWORD
    for provider in ("autogen_ext.cache_store.redis.RedisStore", "redis"):
        loaded = load_component(
            {"provider": provider, "component_type": "cache_store", "config": dumped}
        )
        assert isinstance(loaded, RedisStore)
        assert loaded.get("answer") == 42
        loaded.cache.close()
    assert load_plugin(CACHE_STORES, "RedisStore") is RedisStore


async def test_a_cached_model_client_works_on_redis(client: redis.Redis) -> None:
    replay = ReplayChatCompletionClient(["Paris", "Madrid"])
    replay.set_cached_bool(False)
    first = ChatCompletionCache(replay, RedisStore[CHAT_CACHE_VALUE_TYPE](client))
    assert (await first.create(QUESTION)).content == "Paris"
    streamed = [item async for item in first.create_stream(STREAMED)]

    # A second process would see the same entries: a new store and client, one server.
    again = ChatCompletionCache(
        ReplayChatCompletionClient([]), RedisStore[CHAT_CACHE_VALUE_TYPE](client)
    )
    hit = await again.create(QUESTION)
    assert (hit.content, hit.cached) == ("Paris", True)
    replayed = [item async for item in again.create_stream(STREAMED)]
    assert replayed[:-1] == streamed[:-1]
    final = replayed[-1]
    assert isinstance(final, CreateResult)
    assert (final.content, final.cached) == ("Madrid", True)
