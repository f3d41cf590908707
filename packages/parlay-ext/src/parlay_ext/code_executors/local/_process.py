"""Running one command in its own process group, with a deadline and an output cap."""

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

from parlay_ext.code_executors._common import TIMEOUT_EXIT_CODE

__all__ = ["TIMEOUT_EXIT_CODE", "ProcessOutcome", "run_process"]


_READ_SIZE = 65536


@dataclass
class ProcessOutcome:
    """What a finished (or stopped) process produced.

    Attributes:
        exit_code: The process's exit code, or :data:`TIMEOUT_EXIT_CODE` on timeout.
        output: Standard output and error, interleaved as written, decoded as UTF-8.
        timed_out: The deadline passed and the process group was killed.
        truncated: The output passed the cap and the process group was killed.
    """

    exit_code: int
    output: str
    timed_out: bool = False
    truncated: bool = False


def _kill_group(process: asyncio.subprocess.Process) -> None:
    # The code may have started children (a shell pipeline, a server); they share the process
    # group, so killing the group leaves nothing running behind.
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)


async def _read_capped(process: asyncio.subprocess.Process, limit: int, sink: bytearray) -> bool:
    """Read the merged output into ``sink``; return True if it passed ``limit`` bytes."""
    assert process.stdout is not None
    while True:
        chunk = await process.stdout.read(_READ_SIZE)
        if not chunk:
            return False
        room = limit - len(sink)
        sink.extend(chunk[: max(room, 0)])
        if len(chunk) > room:
            return True


async def run_process(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    max_output_bytes: int,
) -> ProcessOutcome:
    """Run ``command`` and collect its output, never waiting past ``timeout`` seconds.

    The process gets a new session (its own process group) so that a timeout, an output flood
    or a cancellation kills it together with everything it started.

    Raises:
        asyncio.CancelledError: The caller was cancelled; the process group is killed first.
        OSError: The command could not be started (for example, the interpreter is missing).
    """
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        options["start_new_session"] = True
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=str(cwd),
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        **options,  # type: ignore[arg-type]
    )
    sink = bytearray()
    timed_out = truncated = False

    async def read_and_wait() -> bool:
        flooded = await _read_capped(process, max_output_bytes, sink)
        if not flooded:
            await process.wait()  # output closed; the deadline still covers the exit
        return flooded

    try:
        try:
            truncated = await asyncio.wait_for(read_and_wait(), timeout)
        except asyncio.TimeoutError:
            timed_out = True
    finally:
        # Timeout, flood or cancellation: stop the whole group, then reap the process.
        if process.returncode is None:
            _kill_group(process)
        # asyncio reports the exit only once the output pipe is at EOF, and after a flood that
        # pipe sits full with reading paused: drop the rest of the output to get there.
        assert process.stdout is not None
        while await process.stdout.read(_READ_SIZE):
            pass
        await process.wait()
    output = sink.decode("utf-8", errors="replace")
    if timed_out:
        return ProcessOutcome(TIMEOUT_EXIT_CODE, output, timed_out=True)
    if truncated:
        return ProcessOutcome(1, output, truncated=True)
    return ProcessOutcome(process.returncode or 0, output)
