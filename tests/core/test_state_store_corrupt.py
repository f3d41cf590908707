"""A corrupt or hostile SQLite state file gives StateError, as the store promises, never a crash.

The file outlives the process and anyone with access to the disk can change it, so what it holds
is input like any other: a file that is not a database, a row that is not JSON, JSON nested too
deep to decode, or a value that is not a mapping.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlay_core.exceptions import ParlayError, StateError
from parlay_core.state import SQLiteStateStore
from tests._fuzz import DEEP, FUZZ, deep_json_text, deeply_nested, json_values, odd_values


async def _store_with_raw_value(path: Path, raw: str | bytes) -> SQLiteStateStore:
    store = SQLiteStateStore(path)
    await store.put("agent/one", {"ok": True})
    await store.close()
    # The connection's own context manager only commits; closing() also closes it (Python 3.13
    # warns about a connection left to the garbage collector).
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE parlay_state SET value = ? WHERE key = 'agent/one'", (raw,))
    return SQLiteStateStore(path)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStateStore]:
    sqlite_store = SQLiteStateStore(tmp_path / "state.db")
    yield sqlite_store
    await sqlite_store.close()


async def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a SQLite database" * 200)
    store = SQLiteStateStore(path)
    try:
        calls = (lambda: store.get("a/b"), lambda: store.put("a/b", {"x": 1}), store.keys)
        for call in calls:
            with pytest.raises(StateError, match=r"state\.db") as caught:
                await call()
            assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    finally:
        await store.close()


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        deep_json_text(DEEP).decode(),
        deep_json_text(DEEP, "dict").decode(),
        "[1, 2]",
        "null",
        b"\xff\xfe binary",
    ],
    ids=["not-json", "deep-list", "deep-object", "a-list", "null", "bytes"],
)
async def test_a_stored_value_that_cannot_be_read(tmp_path: Path, raw: str | bytes) -> None:
    store = await _store_with_raw_value(tmp_path / "state.db", raw)
    try:
        with pytest.raises(StateError, match="agent/one"):
            await store.get("agent/one")
    finally:
        await store.close()


async def test_state_too_deep_to_store(store: SQLiteStateStore) -> None:
    with pytest.raises(StateError, match="deep/one"):
        await store.put("deep/one", {"value": deeply_nested(DEEP)})


@settings(FUZZ, max_examples=50)  # a new store (and its thread) per example
@given(value=odd_values)
async def test_any_state_is_stored_and_read_back_or_refused_typed(value: Any) -> None:
    store = SQLiteStateStore(":memory:")
    try:
        try:
            await store.put("fuzz/one", {"value": value})
        except StateError:
            return
        entry = await store.get("fuzz/one")
        assert entry is not None and set(entry.value) == {"value"}
    finally:
        await store.close()


@settings(FUZZ, max_examples=20)  # a new file per example: about 50 ms each
@given(stored=st.one_of(json_values.map(lambda v: json.dumps(v)), st.text(max_size=40)))
async def test_any_stored_text_reads_as_a_mapping_or_fails_typed(stored: str) -> None:
    # A fresh file per example: hypothesis runs every example in the one test call.
    with tempfile.TemporaryDirectory() as folder:
        await _read_back(Path(folder) / "fuzz.db", stored)


async def _read_back(path: Path, stored: str) -> None:
    store = await _store_with_raw_value(path, stored)
    try:
        try:
            entry = await store.get("agent/one")
        except ParlayError as e:
            assert isinstance(e, StateError)
        else:
            assert entry is not None and isinstance(entry.value, dict)
    finally:
        await store.close()
