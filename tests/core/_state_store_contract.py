"""Behaviour every StateStore must have; each store's test module subclasses the contract.

A subclass provides an async ``store`` fixture yielding an empty store.
"""

from __future__ import annotations

import asyncio

import pytest

from parlay_core.exceptions import StateConflictError, StateError
from parlay_core.state import StateStore


class StateStoreContract:
    """Tests of the StateStore protocol, run against a ``store`` fixture."""

    async def test_is_a_state_store(self, store: StateStore) -> None:
        assert isinstance(store, StateStore)

    async def test_put_get_round_trip(self, store: StateStore) -> None:
        assert await store.get("counter/a") is None
        value = {"count": 3, "nested": {"items": [1, "two", None, True]}, "text": "é✓"}
        revision = await store.put("counter/a", value)
        entry = await store.get("counter/a")
        assert entry is not None
        assert entry.value == value
        assert entry.revision == revision > 0

    async def test_revisions_grow_with_every_write(self, store: StateStore) -> None:
        first = await store.put("a/1", {"n": 1})
        second = await store.put("b/1", {"n": 1})
        third = await store.put("a/1", {"n": 2})
        assert first < second < third

    async def test_expected_revision_zero_creates_only(self, store: StateStore) -> None:
        revision = await store.put("a/1", {"n": 1}, expected_revision=0)
        with pytest.raises(StateConflictError) as info:
            await store.put("a/1", {"n": 2}, expected_revision=0)
        assert info.value.key == "a/1"
        assert info.value.expected_revision == 0
        assert isinstance(info.value, StateError)
        entry = await store.get("a/1")
        assert entry is not None and entry.value == {"n": 1} and entry.revision == revision

    async def test_compare_and_set_refuses_a_stale_revision(self, store: StateStore) -> None:
        old = await store.put("a/1", {"n": 1})
        new = await store.put("a/1", {"n": 2}, expected_revision=old)
        with pytest.raises(StateConflictError, match="a/1"):
            await store.put("a/1", {"n": 99}, expected_revision=old)  # a stale writer
        newest = await store.put("a/1", {"n": 3}, expected_revision=new)
        entry = await store.get("a/1")
        assert entry is not None and entry.value == {"n": 3} and entry.revision == newest

    async def test_expecting_a_revision_of_a_missing_key_conflicts(self, store: StateStore) -> None:
        with pytest.raises(StateConflictError):
            await store.put("a/1", {"n": 1}, expected_revision=5)
        assert await store.get("a/1") is None

    async def test_delete(self, store: StateStore) -> None:
        revision = await store.put("a/1", {"n": 1})
        with pytest.raises(StateConflictError):
            await store.delete("a/1", expected_revision=revision + 1000)
        assert await store.delete("a/1", expected_revision=revision) is True
        assert await store.get("a/1") is None
        assert await store.delete("a/1") is False
        # re-created after a delete: a new revision, never an old one again
        assert await store.put("a/1", {"n": 2}, expected_revision=0) > revision

    async def test_keys_by_prefix(self, store: StateStore) -> None:
        for key in ["writer/b", "writer/a", "reader/x", "writer.v2/c"]:
            await store.put(key, {})
        assert await store.keys() == ["reader/x", "writer.v2/c", "writer/a", "writer/b"]
        assert await store.keys("writer/") == ["writer/a", "writer/b"]
        assert await store.keys("nobody/") == []

    async def test_keys_keep_any_characters(self, store: StateStore) -> None:
        key = "chat/user 7: ünïcode/with/slashes.and.dots*>"
        await store.put(key, {"ok": True})
        entry = await store.get(key)
        assert entry is not None and entry.value == {"ok": True}
        assert await store.keys("chat/") == [key]

    async def test_value_that_is_not_json_is_a_state_error(self, store: StateStore) -> None:
        with pytest.raises(StateError, match="JSON"):
            await store.put("a/1", {"when": object()})
        assert await store.get("a/1") is None

    async def test_concurrent_compare_and_set_lets_exactly_one_win(self, store: StateStore) -> None:
        base = await store.put("a/1", {"n": 0})
        results = await asyncio.gather(
            *(store.put("a/1", {"n": i}, expected_revision=base) for i in range(1, 6)),
            return_exceptions=True,
        )
        wins = [r for r in results if isinstance(r, int)]
        assert len(wins) == 1
        assert all(isinstance(r, StateConflictError) for r in results if not isinstance(r, int))
