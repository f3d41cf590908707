from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from parlay_core import InterventionHandler, SingleThreadedAgentRuntime
from tests.conformance import RuntimeFactory, RuntimeUnderTest


@pytest.fixture
async def runtime() -> AsyncIterator[SingleThreadedAgentRuntime]:
    """A started in-process runtime, closed after the test."""
    rt = SingleThreadedAgentRuntime()
    rt.start()
    yield rt
    await rt.close()


@pytest.fixture
async def make_runtime() -> AsyncIterator[RuntimeFactory]:
    """Builds started in-process runtimes with given intervention handlers; closes them after."""
    made: list[SingleThreadedAgentRuntime] = []

    async def make(intervention_handlers: Sequence[InterventionHandler]) -> RuntimeUnderTest:
        rt = SingleThreadedAgentRuntime(intervention_handlers=list(intervention_handlers))
        rt.start()
        made.append(rt)
        return rt

    yield make
    for rt in made:
        await rt.close()
