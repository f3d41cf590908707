from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import live_opted_in
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
    ``--run-live`` (or ``PARLAY_RUN_LIVE=1``; see tests/conftest.py) and with the provider's key
    in the environment. Only such tests run outside the suite's network guard.
    """

    def get(variable: str) -> str:
        key = os.environ.get(variable)
        if not live_opted_in(request.config) or not key:
            pytest.skip(f"live provider test: pass --run-live and set {variable} to run it")
        return key

    return get
