"""The SQLite state store: the StateStore contract, plus what is specific to a file."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parlay_core.exceptions import StateError
from parlay_core.plugins import STATE_STORES, load_plugin
from parlay_core.state import SQLiteStateStore, StateStore

from ._state_store_contract import StateStoreContract


class TestSQLiteStateStore(StateStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[StateStore]:
        sqlite_store = SQLiteStateStore(tmp_path / "state.db")
        yield sqlite_store
        await sqlite_store.close()


async def test_state_survives_reopening_the_file(tmp_path: Path) -> None:
    first = SQLiteStateStore(tmp_path / "state.db")
    revision = await first.put("counter/a", {"count": 7})
    await first.close()
    second = SQLiteStateStore(tmp_path / "state.db")
    entry = await second.get("counter/a")
    assert entry is not None and entry.value == {"count": 7} and entry.revision == revision
    assert await second.put("counter/b", {}) > revision  # the revision counter is in the file
    await second.close()


async def test_a_closed_store_raises(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.db")
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(StateError, match="closed"):
        await store.get("a/1")


async def test_empty_key_is_refused(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.db")
    with pytest.raises(StateError, match="non-empty"):
        await store.put("", {})
    await store.close()


async def test_calls_do_not_block_the_event_loop(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.db")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    for i in range(20):
        await store.put(f"a/{i}", {"i": i})
    task.cancel()
    await store.close()
    assert ticks > 20  # the loop kept running while SQLite worked on its own thread


def _write_many(path: str, prefix: str, count: int) -> None:
    async def run() -> None:
        store = SQLiteStateStore(path)
        for i in range(count):
            await store.put(f"{prefix}/{i}", {"i": i})
        await store.close()

    asyncio.run(run())


async def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(path, p, 25)) for p in ("x", "y")]
    for worker in workers:
        worker.start()
    for worker in workers:
        await asyncio.to_thread(worker.join, 60)
        assert worker.exitcode == 0
    store = SQLiteStateStore(path)
    keys = await store.keys()
    revisions = {(await store.get(k)).revision for k in keys}  # type: ignore[union-attr]
    await store.close()
    assert len(keys) == 50
    assert len(revisions) == 50  # every write got its own revision across both processes


async def test_registered_as_a_state_store_plugin_and_component(tmp_path: Path) -> None:
    cls = load_plugin(STATE_STORES, "sqlite")
    assert cls is SQLiteStateStore
    store = SQLiteStateStore(tmp_path / "s.db", synchronous="FULL")
    config = store.dump_component()
    assert config.provider == "parlay_core.state.SQLiteStateStore"
    assert config.component_type == "state_store"
    loaded = SQLiteStateStore.load_component(config)
    assert loaded.path == store.path
    await store.close()
    await loaded.close()
