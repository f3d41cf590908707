from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from parlay_core import SingleThreadedAgentRuntime


@pytest.fixture
async def runtime() -> AsyncIterator[SingleThreadedAgentRuntime]:
    """A started in-process runtime, closed after the test."""
    rt = SingleThreadedAgentRuntime()
    rt.start()
    yield rt
    await rt.close()
