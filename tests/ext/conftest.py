from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.ext._wire import WireServer


@pytest.fixture
def wire() -> Iterator[WireServer]:
    """A scripted HTTP server on 127.0.0.1, stopped after the test."""
    server = WireServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_key(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Return a provider key for a live test, or skip the test.

    Live tests call paid APIs over the internet, so they run only when asked for twice: with
    ``PARLAY_RUN_LIVE=1`` (or a ``--run-live`` option, where one is registered) and with the
    provider's key in the environment.
    """

    def get(variable: str) -> str:
        opted_in = os.environ.get("PARLAY_RUN_LIVE") == "1" or bool(
            request.config.getoption("--run-live", default=False)
        )
        key = os.environ.get(variable)
        if not opted_in or not key:
            pytest.skip(f"live provider test: set PARLAY_RUN_LIVE=1 and {variable} to run it")
        return key

    return get
