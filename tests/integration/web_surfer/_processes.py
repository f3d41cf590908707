"""Finding the Chromium processes this test process started (Linux ``/proc``), to kill one."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

__all__ = ["browser_processes", "kill", "wait_until_gone"]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; the parent id follows it.
    return int(stat.rpartition(")")[2].split()[1])


def _command(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def browser_processes() -> set[int]:
    """The main browser processes (not their renderers) descended from this process."""
    if not sys.platform.startswith("linux"):
        pytest.skip("finding the browser's process reads /proc, which only Linux has")
    me = os.getpid()
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        command = _command(pid)
        if "--remote-debugging-pipe" not in command or any(
            part.startswith("--type=") for part in command
        ):
            continue
        ancestor: int | None = pid
        while ancestor not in (None, 0, 1):
            ancestor = _parent(ancestor)  # type: ignore[arg-type]
            if ancestor == me:
                found.add(pid)
                break
    return found


def kill(pids: set[int]) -> None:
    """Kill the processes outright, as a crash would end them."""
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def wait_until_gone(pids: set[int], within: float = 30.0) -> set[int]:
    """Wait (bounded) for the processes to exit; return those still running."""
    deadline = time.monotonic() + within
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _running(pid)}
        if alive:
            time.sleep(0.1)
    return alive


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent has not collected it yet
