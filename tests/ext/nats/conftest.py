"""Fixtures of the NATS runtime tests: a real nats-server on loopback, and started runtimes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest

from parlay_core import InterventionHandler
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from tests.conformance import RuntimeFactory, RuntimeUnderTest
from tests.ext.nats._server import NatsServer

# Short leases keep fault tests quick; production defaults are longer (see docs/distributed.md).
LEASE_TTL = 1.5
PARTITIONS = 4


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """One nats-server with JetStream for the session; every test uses its own namespace."""
    server = NatsServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def namespace() -> str:
    """A namespace of its own for each test: its buckets and subjects are not shared."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def runtime(nats_server: NatsServer, namespace: str) -> AsyncIterator[NatsWorkerAgentRuntime]:
    """A started worker that sends even its local messages over NATS (loopback)."""
    worker = NatsWorkerAgentRuntime(
        nats_server.url,
        namespace=namespace,
        lease_ttl=LEASE_TTL,
        partitions=PARTITIONS,
        request_timeout=10.0,
        loopback=True,
    )
    await worker.start()
    yield worker
    await worker.close()


@pytest.fixture
async def make_runtime(nats_server: NatsServer, namespace: str) -> AsyncIterator[RuntimeFactory]:
    """Builds started loopback workers with given intervention handlers; closes them after."""
    made: list[NatsWorkerAgentRuntime] = []

    async def make(intervention_handlers: Sequence[InterventionHandler]) -> RuntimeUnderTest:
        worker = NatsWorkerAgentRuntime(
            nats_server.url,
            namespace=namespace,
            lease_ttl=LEASE_TTL,
            partitions=PARTITIONS,
            request_timeout=10.0,
            loopback=True,
            intervention_handlers=list(intervention_handlers),
        )
        await worker.start()
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.close()
