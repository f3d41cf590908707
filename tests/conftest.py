"""Suite-wide rules: no network beyond loopback, and live provider tests only when asked for.

This file is loaded by every session that runs part of the suite (including the layering and
plugin sessions, which install only some distributions), so it imports nothing of Parlay.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator

import pytest

from tests import _network_guard

# pytester runs a small pytest session inside a test: tests/test_network_guard.py uses it to show
# that the guard fails a test.
pytest_plugins = ["pytester"]

LIVE_HELP = (
    "run the tests marked live: they call paid provider APIs over the internet and also need "
    "the provider's key in the environment (PARLAY_RUN_LIVE=1 does the same)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-live", action="store_true", default=False, help=LIVE_HELP)


def live_opted_in(config: pytest.Config) -> bool:
    """Whether this run asked for the live provider tests."""
    return bool(config.getoption("--run-live")) or os.environ.get("PARLAY_RUN_LIVE") == "1"


def pytest_configure(config: pytest.Config) -> None:
    _network_guard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    _network_guard.uninstall()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if live_opted_in(config):
        return
    skip = pytest.mark.skip(reason="live provider test: run with --run-live and the provider's key")
    for item in items:
        if item.get_closest_marker("live") is not None:
            item.add_marker(skip)


def _guarded(item: pytest.Item) -> Generator[None, object, object]:
    """Run one test phase under the network guard; fail it if it tried to leave the machine.

    The record is read even when the phase passed: a client library may have swallowed the
    refusal (a retry loop, an error value). Live tests that were asked for run unguarded.
    """
    live = item.get_closest_marker("live") is not None and live_opted_in(item.config)
    with _network_guard.allow_network() if live else contextlib.nullcontext():
        try:
            result = yield
        except _network_guard.NetworkAccessBlocked:
            _network_guard.take_blocked()  # the refusal itself failed the phase: say it once
            raise
        except BaseException as error:
            blocked = _network_guard.take_blocked()
            if blocked:
                raise pytest.fail.Exception("\n".join(blocked), pytrace=False) from error
            raise
        blocked = _network_guard.take_blocked()
        if blocked:
            pytest.fail("\n".join(blocked), pytrace=False)
        return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))
