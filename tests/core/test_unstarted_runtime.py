"""A send to a runtime nobody started waits for start() (as in AutoGen), but not silently."""

from __future__ import annotations

import asyncio
import logging

import pytest

from parlay_core import AgentId, SingleThreadedAgentRuntime
from parlay_core import _waiting_room as waiting_room_module

from ._agents import Echo, Ping, Pong

SHORT = 0.05


@pytest.fixture
def short_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real delay is seconds; the behaviour is the same with a shorter one.
    monkeypatch.setattr(waiting_room_module, "NEVER_STARTED_WARNING_DELAY", SHORT)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_a_send_waiting_on_a_never_started_runtime_is_warned_about_once(
    short_delay: None, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    caplog.set_level(logging.WARNING, logger="parlay_core")
    first = asyncio.ensure_future(runtime.send_message(Ping(), AgentId("echo", "a")))
    second = asyncio.ensure_future(runtime.send_message(Ping(), AgentId("echo", "b")))
    await asyncio.sleep(SHORT * 4)
    assert not first.done() and not second.done()
    warned = _warnings(caplog)
    assert len(warned) == 1, warned
    assert "never started" in warned[0] and "runtime.start()" in warned[0]
    assert "echo/a" in warned[0] and "echo/b" in warned[0]
    # Sending before start() still works as in AutoGen: start() delivers what waited.
    runtime.start()
    assert await first == Pong("ping->a")
    assert await second == Pong("ping->b")
    await runtime.stop()


async def test_starting_in_time_means_no_warning(
    short_delay: None, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    caplog.set_level(logging.WARNING, logger="parlay_core")
    pending = asyncio.ensure_future(runtime.send_message(Ping(), AgentId("echo", "a")))
    await asyncio.sleep(0)
    runtime.start()
    assert await pending == Pong("ping->a")
    await asyncio.sleep(SHORT * 3)
    await runtime.stop()
    # Stopped, not "never started": a later send waits for the next start() without a warning.
    later = asyncio.ensure_future(runtime.send_message(Ping(), AgentId("echo", "b")))
    await asyncio.sleep(SHORT * 3)
    assert _warnings(caplog) == []
    runtime.start()
    assert await later == Pong("ping->b")
    await runtime.stop()


async def test_stepping_with_process_next_means_no_warning(
    short_delay: None, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    caplog.set_level(logging.WARNING, logger="parlay_core")
    pending = asyncio.ensure_future(runtime.send_message(Ping(), AgentId("echo", "a")))
    await runtime.process_next()
    assert await pending == Pong("ping->a")
    await asyncio.sleep(SHORT * 3)
    assert _warnings(caplog) == []


async def test_a_started_runtime_arms_no_timer() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    assert runtime.is_running
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    assert runtime._room._timer is None  # pyright: ignore[reportPrivateUsage]
    await runtime.stop()
    assert not runtime.is_running
