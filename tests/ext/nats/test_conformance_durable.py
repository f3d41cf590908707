"""The shared runtime conformance tests, against the NATS runtime in durable mode.

Every message, even one for an agent of the same worker, is stored on the work-queue stream,
pulled by the partition's holder and acknowledged once handled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from tests.conformance.closure import *  # noqa: F403
from tests.conformance.publish import *  # noqa: F403
from tests.conformance.registration import *  # noqa: F403
from tests.conformance.routing import *  # noqa: F403
from tests.conformance.rpc import *  # noqa: F403
from tests.ext.nats._server import NatsServer
from tests.ext.nats.conftest import LEASE_TTL, PARTITIONS


@pytest.fixture
async def runtime(nats_server: NatsServer, namespace: str) -> AsyncIterator[NatsWorkerAgentRuntime]:
    """A started worker in durable mode."""
    worker = NatsWorkerAgentRuntime(
        nats_server.url,
        namespace=namespace,
        lease_ttl=LEASE_TTL,
        partitions=PARTITIONS,
        request_timeout=10.0,
        durable=True,
    )
    await worker.start()
    yield worker
    await worker.close()
