"""Worker subprocesses for the fault tests."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

__all__ = ["WorkerProcess"]

ROOT = Path(__file__).resolve().parents[3]


class WorkerProcess:
    """A ``tests.ext.nats._worker`` process; :meth:`start` returns once it serves."""

    def __init__(self, url: str, namespace: str, *args: str) -> None:
        self._command = [sys.executable, "-m", "tests.ext.nats._worker", url, namespace, *args]
        self._process: asyncio.subprocess.Process | None = None
        self.worker_id = ""

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self, timeout: float = 30.0) -> WorkerProcess:
        self._process = await asyncio.create_subprocess_exec(
            *self._command,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), timeout)
        if not line.startswith(b"ready "):
            stderr = await self._process.stderr.read() if self._process.stderr else b""
            raise RuntimeError(f"worker did not start: {line!r} {stderr.decode()[-2000:]}")
        self.worker_id = line.split()[1].decode()
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no lease released."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)

    def pause(self) -> None:
        """SIGSTOP: the process freezes (its connection stays open) until :meth:`resume`."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGCONT)

    async def close(self, timeout: float = 30.0) -> None:
        """SIGTERM: the worker closes its runtime (hands its partitions over) and exits."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self._process.wait(), timeout)

    async def wait(self) -> int:
        assert self._process is not None
        return await self._process.wait()

    async def ensure_dead(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
