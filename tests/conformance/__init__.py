"""Runtime conformance: the behaviours every runtime must share, written once.

Each module holds test functions that take a started ``runtime`` fixture. A runtime's suite runs
them by importing them into one of its test modules (``from tests.conformance.rpc import *``),
with its own ``runtime`` fixture: ``tests/core`` with the in-process runtime,
``tests/ext/nats`` with the NATS runtime. A behaviour that only one runtime has (queueing before
``start()``, a synchronous cancellation, ...) stays in that runtime's suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from parlay_core import AgentRuntime, InterventionHandler

__all__ = ["RuntimeFactory", "RuntimeUnderTest"]


class RuntimeUnderTest(AgentRuntime, Protocol):
    """What the conformance tests use: the runtime protocol plus idle-stop and close."""

    async def stop_when_idle(self) -> None:
        """Wait until nothing is being delivered, then stop."""
        ...

    async def close(self) -> None:
        """Release everything."""
        ...


class RuntimeFactory(Protocol):
    """The ``make_runtime`` fixture: a started runtime with these intervention handlers, closed
    after the test."""

    async def __call__(
        self, intervention_handlers: Sequence[InterventionHandler], /
    ) -> RuntimeUnderTest:
        """Build and start the runtime."""
        ...
