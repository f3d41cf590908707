"""ChromaDBVectorMemory on a real persistent ChromaDB (and a real Chroma server), offline."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parlay_core import CancellationToken, load_component
from parlay_core.memory import Memory, MemoryContent, MemoryMimeType
from parlay_core.model_context import UnboundedChatCompletionContext
from parlay_core.models import SystemMessage, UserMessage
from parlay_core.plugins import MEMORIES, load_plugin
from parlay_ext.memory.chromadb import (
    ChromaDBVectorMemory,
    ChromaDBVectorMemoryConfig,
    CustomEmbeddingFunctionConfig,
    DefaultEmbeddingFunctionConfig,
    HashingEmbeddingFunction,
    HashingEmbeddingFunctionConfig,
    HttpChromaDBVectorMemoryConfig,
    PersistentChromaDBVectorMemoryConfig,
)

FACTS = [
    "The weather in Paris is rainy in November",
    "Cats like to eat fish",
    "Python lists keep their insertion order",
]


def text(value: str, **metadata: Any) -> MemoryContent:
    return MemoryContent(content=value, mime_type=MemoryMimeType.TEXT, metadata=metadata or None)


def persistent(path: Path, **options: Any) -> ChromaDBVectorMemory:
    return ChromaDBVectorMemory(
        PersistentChromaDBVectorMemoryConfig(
            persistence_path=str(path),
            embedding_function_config=HashingEmbeddingFunctionConfig(),
            **options,
        )
    )


@pytest.fixture
async def memory(tmp_path: Path) -> Any:
    store = persistent(tmp_path / "chroma", k=2)
    for fact in FACTS:
        await store.add(text(fact, source="test"))
    yield store
    await store.close()


async def test_query_returns_the_closest_items_first_with_score_and_id(
    memory: ChromaDBVectorMemory,
) -> None:
    found = await memory.query("What is the weather like in Paris?")
    assert len(found.results) == 2  # k
    best = found.results[0]
    assert best.content == FACTS[0]
    assert best.mime_type == MemoryMimeType.TEXT
    assert best.metadata is not None
    assert best.metadata["source"] == "test"
    assert isinstance(best.metadata["id"], str)
    scores = [item.metadata["score"] for item in found.results if item.metadata]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


async def test_query_options_pass_through_to_chromadb(memory: ChromaDBVectorMemory) -> None:
    found = await memory.query(
        "cats", n_results=3, where={"source": "test"}, cancellation_token=CancellationToken()
    )
    assert len(found.results) == 3
    assert found.results[0].content == FACTS[1]
    assert (await memory.query("cats", where={"source": "elsewhere"})).results == []


async def test_score_threshold_drops_distant_items(tmp_path: Path) -> None:
    store = persistent(tmp_path, k=3, score_threshold=0.75)
    for fact in FACTS:
        await store.add(text(fact))
    found = await store.query("Cats like to eat fish")
    assert [item.content for item in found.results] == [FACTS[1]]


async def test_items_survive_a_new_memory_on_the_same_folder(tmp_path: Path) -> None:
    first = persistent(tmp_path)
    await first.add(text("Use metric units"))
    await first.close()
    again = persistent(tmp_path)
    assert [item.content for item in (await again.query("units")).results] == ["Use metric units"]


async def test_update_context_adds_the_relevant_items_as_a_system_message(
    memory: ChromaDBVectorMemory,
) -> None:
    context = UnboundedChatCompletionContext()
    await context.add_message(UserMessage(content="Do cats eat fish?", source="user"))
    result = await memory.update_context(context)
    assert result.memories.results[0].content == FACTS[1]
    added = (await context.get_messages())[-1]
    assert isinstance(added, SystemMessage)
    assert added.content.startswith("\nRelevant memory content:\n1. Cats like to eat fish\n2. ")


async def test_update_context_with_an_empty_context_adds_nothing(
    memory: ChromaDBVectorMemory,
) -> None:
    context = UnboundedChatCompletionContext()
    assert (await memory.update_context(context)).memories.results == []
    assert await context.get_messages() == []


async def test_json_items_come_back_as_dicts_and_binary_items_are_refused(tmp_path: Path) -> None:
    store = persistent(tmp_path)
    await store.add(MemoryContent(content={"unit": "metric"}, mime_type=MemoryMimeType.JSON))
    found = await store.query("metric unit")
    assert found.results[0].content == {"unit": "metric"}
    assert found.results[0].mime_type == MemoryMimeType.JSON
    with pytest.raises(ValueError, match="stores text, markdown and JSON"):
        await store.add(MemoryContent(content=b"\x00", mime_type=MemoryMimeType.BINARY))


async def test_non_scalar_metadata_is_kept_as_json_text(tmp_path: Path) -> None:
    store = persistent(tmp_path)
    await store.add(text("tagged", tags=["a", "b"], count=2))
    found = (await store.query("tagged")).results[0]
    assert found.metadata is not None
    assert (found.metadata["tags"], found.metadata["count"]) == ('["a", "b"]', 2)


async def test_clear_empties_the_collection_and_reset_needs_permission(
    memory: ChromaDBVectorMemory, tmp_path: Path
) -> None:
    await memory.clear()
    assert (await memory.query("cats")).results == []
    with pytest.raises(RuntimeError, match="allow_reset"):
        await memory.reset()
    resettable = persistent(tmp_path / "other", allow_reset=True)
    await resettable.add(text("temporary"))
    await resettable.reset()
    assert (await resettable.query("temporary")).results == []


async def test_component_round_trip_keeps_the_persistent_settings(tmp_path: Path) -> None:
    store = persistent(tmp_path, collection_name="notes", k=1, distance_metric="l2")
    await store.add(text("Use metric units"))
    model = store.dump_component()
    assert model.provider == "parlay_ext.memory.chromadb.ChromaDBVectorMemory"
    assert model.component_type == "memory"
    assert model.config["persistence_path"] == str(tmp_path)
    assert model.config["embedding_function_config"] == {
        "function_type": "hashing",
        "dimensions": 384,
    }
    loaded = Memory.load_component(model)
    assert isinstance(loaded, ChromaDBVectorMemory)
    assert loaded.collection_name == "notes"
    found = (await loaded.query("metric")).results
    assert [item.content for item in found] == ["Use metric units"]
    assert found[0].metadata is not None
    assert 0.0 < found[0].metadata["score"] <= 1.0  # l2 scores as 1 / (1 + distance)


async def test_loads_an_autogen_style_config_by_provider_path_and_plugin_name(
    tmp_path: Path,
) -> None:
    config = {
        "client_type": "persistent",
        "persistence_path": str(tmp_path),
        "collection_name": "prefs",
        "embedding_function_config": {"function_type": "hashing"},
    }
    for provider in ("autogen_ext.memory.chromadb.ChromaDBVectorMemory", "chromadb"):
        loaded = load_component(
            {"provider": provider, "component_type": "memory", "config": config}
        )
        assert isinstance(loaded, ChromaDBVectorMemory)
        await loaded.add(text("Prefers tea"))
        assert (await loaded.query("tea")).results[0].content == "Prefers tea"
    assert load_plugin(MEMORIES, "ChromaDBVectorMemory") is ChromaDBVectorMemory


def test_config_defaults_follow_autogen() -> None:
    persistent_config = PersistentChromaDBVectorMemoryConfig()
    assert (persistent_config.client_type, persistent_config.persistence_path) == (
        "persistent",
        "./chroma_db",
    )
    assert (persistent_config.collection_name, persistent_config.k) == ("memory_store", 3)
    assert persistent_config.distance_metric == "cosine"
    assert isinstance(persistent_config.embedding_function_config, DefaultEmbeddingFunctionConfig)
    http = HttpChromaDBVectorMemoryConfig()
    assert (http.client_type, http.host, http.port, http.ssl) == ("http", "localhost", 8000, False)
    assert isinstance(ChromaDBVectorMemoryConfig.model_validate({"client_type": "http"}), object)


async def test_custom_embedding_functions_work_in_python_but_not_from_a_dump(
    tmp_path: Path,
) -> None:
    config = PersistentChromaDBVectorMemoryConfig(
        persistence_path=str(tmp_path),
        embedding_function_config=CustomEmbeddingFunctionConfig(
            function=HashingEmbeddingFunction, params={"dimensions": 64}
        ),
    )
    store = ChromaDBVectorMemory(config)
    await store.add(text("custom"))
    assert (await store.query("custom")).results[0].content == "custom"
    dumped = store.dump_component()
    assert dumped.config["embedding_function_config"]["function"].endswith(
        "HashingEmbeddingFunction"
    )
    with pytest.raises(Exception, match="not imported from a config"):
        Memory.load_component(dumped)


def test_hashing_embedding_is_deterministic_and_unit_length() -> None:
    function = HashingEmbeddingFunction(dimensions=32)
    first, second, empty = function(["same words", "same words", ""])
    assert list(first) == list(second)
    assert abs(sum(float(x) * float(x) for x in first) - 1.0) < 1e-6
    assert abs(sum(float(x) * float(x) for x in empty) - 1.0) < 1e-6
    with pytest.raises(ValueError, match="at least 8"):
        HashingEmbeddingFunction(dimensions=4)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Chroma server (chromadb's own ``chroma run``) on a free loopback port."""
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if binary is None:
        pytest.skip("the chroma command of the chromadb package is not installed")
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [binary, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_http_memory_talks_to_a_chroma_server(chroma_server: int) -> None:
    config = HttpChromaDBVectorMemoryConfig(
        host="127.0.0.1",
        port=chroma_server,
        embedding_function_config=HashingEmbeddingFunctionConfig(),
    )
    store = ChromaDBVectorMemory(config)
    for fact in FACTS:
        await store.add(text(fact))
    found = await store.query("Paris weather")
    assert found.results[0].content == FACTS[0]
    loaded = Memory.load_component(store.dump_component())
    assert isinstance(loaded, ChromaDBVectorMemory)
    assert (await loaded.query("Paris weather")).results[0].content == FACTS[0]
    await loaded.clear()
    assert (await store.query("Paris")).results == []
