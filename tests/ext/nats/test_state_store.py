"""The NATS key-value state store: the StateStore contract, and workers sharing state."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from parlay_core import AgentId
from parlay_core.exceptions import StateError
from parlay_core.plugins import STATE_STORES, load_plugin
from parlay_core.state import StateStore
from parlay_ext.runtimes.nats import NatsKVStateStore, NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._state_store import decode_key, encode_key
from tests.core._durable_worker import DurableCounter, Increment
from tests.core._state_store_contract import StateStoreContract
from tests.ext.nats._server import NatsServer


class TestNatsKVStateStore(StateStoreContract):
    @pytest.fixture
    async def store(self, nats_server: NatsServer) -> AsyncIterator[StateStore]:
        kv_store = NatsKVStateStore(nats_server.url, bucket=f"s{uuid.uuid4().hex[:10]}")
        yield kv_store
        await kv_store.close()


def test_keys_map_to_readable_bucket_keys_and_back() -> None:
    assert encode_key("counter/a") == "counter.a"
    for key in ["counter/a", "a.b/c d", "x/", "/y", "plain", "ü/=3D", "t/k/with/slashes", "*>"]:
        encoded = encode_key(key)
        assert all(c.isalnum() or c in "-_=." for c in encoded), encoded
        assert not encoded.startswith(".") and not encoded.endswith(".")
        assert decode_key(encoded) == key


async def test_registered_as_a_state_store_plugin() -> None:
    assert load_plugin(STATE_STORES, "nats") is NatsKVStateStore


async def test_an_agent_moving_between_workers_keeps_its_state(
    nats_server: NatsServer, namespace: str
) -> None:
    store = NatsKVStateStore(nats_server.url, bucket=f"{namespace}_state")

    async def worker() -> NatsWorkerAgentRuntime:
        runtime = NatsWorkerAgentRuntime(
            nats_server.url, namespace=namespace, partitions=4, lease_ttl=1.5, state_store=store
        )
        await DurableCounter.register(runtime, "counter", DurableCounter)
        await runtime.start()
        return runtime

    first = await worker()
    for expected in (1, 2, 3):
        assert await first.send_message(Increment(), AgentId("counter", "a")) == expected
    second = await worker()
    await first.close()  # hands the counter over; the second worker loads it from the bucket
    assert await second.send_message(Increment(), AgentId("counter", "a")) == 4
    entry = await store.get("counter/a")
    assert entry is not None and entry.value == {"count": 4}
    await second.close()
    await store.close()


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[" * 200_000 + b"]" * 200_000, b"[1, 2]", b"\xff\xfe"],
    ids=["not-json", "deep", "a-list", "bytes"],
)
async def test_a_stored_value_written_outside_parlay_is_a_state_error(
    nats_server: NatsServer, raw: bytes
) -> None:
    store = NatsKVStateStore(nats_server.url, bucket=f"s{uuid.uuid4().hex[:10]}")
    try:
        await store.put("agent/one", {"ok": True})
        bucket = await store._bucket()  # pyright: ignore[reportPrivateUsage]
        await bucket.put(encode_key("agent/one"), raw)  # as another program could
        with pytest.raises(StateError, match="agent/one"):
            await store.get("agent/one")
    finally:
        await store.close()


async def test_state_too_deep_to_store_is_a_state_error(nats_server: NatsServer) -> None:
    store = NatsKVStateStore(nats_server.url, bucket=f"s{uuid.uuid4().hex[:10]}")
    deep: list[object] = []
    for _ in range(200_000):
        deep = [deep]
    try:
        with pytest.raises(StateError, match="too deeply nested"):
            await store.put("agent/one", {"value": deep})
    finally:
        await store.close()
