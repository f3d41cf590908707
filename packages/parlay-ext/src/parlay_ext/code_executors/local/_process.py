"""Running one command in its own process group, with a hard deadline and an output cap."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parlay_ext.code_executors._common import TIMEOUT_EXIT_CODE

__all__ = ["TIMEOUT_EXIT_CODE", "ProcessOutcome", "run_process"]

_DRAIN_GRACE = 0.5
"""Seconds to wait for the output pipe to close once the process group is dead.

Everything the code wrote is already in the pipe by then, so this only matters when a process
that left the group (``setsid``) still holds the pipe open: it must not delay the result."""


@dataclass
class ProcessOutcome:
    """What a finished (or stopped) process produced.

    Attributes:
        exit_code: The process's exit code, or :data:`TIMEOUT_EXIT_CODE` on timeout.
        output: Standard output and error, interleaved as written, decoded as UTF-8.
        timed_out: The deadline passed and the process group was killed.
        truncated: The output passed the cap and the process group was killed.
        stopped_leftovers: The command exited by itself but left processes running (a
            background job, a server); they were killed when it ended.
    """

    exit_code: int
    output: str
    timed_out: bool = False
    truncated: bool = False
    stopped_leftovers: bool = False


class _Collector(asyncio.SubprocessProtocol):
    """Keeps the first ``limit`` bytes of output and signals exit, flood and pipe closure.

    Reading never pauses, so a flood cannot fill the pipe and block the writer while the
    group is being killed; what passes the cap is dropped as it arrives.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.output = bytearray()
        self.flooded = False
        self.ended = asyncio.Event()  # the process exited or the output passed the cap
        self.exited = asyncio.Event()
        self.closed = asyncio.Event()  # the output pipe reached EOF (or the transport closed)

    def pipe_data_received(self, fd: int, data: bytes | bytearray) -> None:
        room = self.limit - len(self.output)
        if room > 0:
            self.output.extend(data[:room])
        if len(data) > room and not self.flooded:
            self.flooded = True
            self.ended.set()

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            self.closed.set()

    def process_exited(self) -> None:
        self.exited.set()
        self.ended.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (not merely awaiting its reaping)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    # Where /proc exists, skip zombies: exited children nobody has reaped yet (for example when
    # this program is a container's first process) are not left running.
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def _kill_group(transport: asyncio.SubprocessTransport, exited: bool) -> bool:
    """Kill the command and everything in its process group; True if anything else was left.

    The code may have started children (a shell pipeline, a background job, a server); they
    share the process group, so killing the group leaves nothing running behind. That holds
    after the command itself has exited too: the group's id stays reserved while any member
    lives, so it cannot name someone else's processes.
    """
    pid = transport.get_pid()
    if sys.platform == "win32":
        if not exited:
            with contextlib.suppress(ProcessLookupError):
                transport.kill()
        return False
    leftovers = exited and _group_alive(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    return leftovers


async def _finished(collector: _Collector) -> None:
    await collector.exited.wait()
    await collector.closed.wait()


async def run_process(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    max_output_bytes: int,
) -> ProcessOutcome:
    """Run ``command`` and collect its output, never waiting much past ``timeout`` seconds.

    The process gets a new session (its own process group). The command is over when its
    process exits, its output passes ``max_output_bytes``, the deadline passes or the caller is
    cancelled; in every case the whole group is then killed, so nothing it started outlives it,
    and the result does not wait for background processes that keep the output pipe open.

    Raises:
        asyncio.CancelledError: The caller was cancelled; the process group is killed first.
        OSError: The command could not be started (for example, the interpreter is missing).
    """
    options: dict[str, Any] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        options["start_new_session"] = True
    loop = asyncio.get_running_loop()
    transport, collector = await loop.subprocess_exec(
        lambda: _Collector(max_output_bytes),
        *command,
        cwd=str(cwd),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **options,
    )
    timed_out = leftovers = False
    try:
        try:
            await asyncio.wait_for(collector.ended.wait(), timeout)
        except asyncio.TimeoutError:
            timed_out = True
        finally:
            # Exit, timeout, flood or cancellation: stop the whole group.
            exited = transport.get_returncode() is not None
            leftovers = _kill_group(transport, exited) and not timed_out
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_finished(collector), _DRAIN_GRACE)
    finally:
        # Closed once the exit has been reported where possible: closing earlier makes asyncio
        # reap the process itself, behind its child watcher's back.
        transport.close()
    output = collector.output.decode("utf-8", errors="replace")
    if timed_out:
        return ProcessOutcome(TIMEOUT_EXIT_CODE, output, timed_out=True)
    if collector.flooded:
        return ProcessOutcome(1, output, truncated=True)
    return ProcessOutcome(transport.get_returncode() or 0, output, stopped_leftovers=leftovers)
