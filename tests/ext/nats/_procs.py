"""Worker subprocesses for the fault tests."""

from __future__ import annotations

import asyncio
import collections
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
        self._stderr_reader: asyncio.Task[None] | None = None
        # The end of the worker's log (its warnings: leases lost, ticks failed), for failure
        # messages; read all along, or a chatty worker would block once the pipe is full.
        self._log: collections.deque[str] = collections.deque(maxlen=200)
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
        self._stderr_reader = asyncio.create_task(self._read_stderr())
        return self

    async def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        async for line in self._process.stderr:
            self._log.append(line.decode(errors="replace").rstrip())

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines the worker wrote to stderr."""
        tail = list(self._log)[-lines:]
        return f"worker {self.worker_id} log:\n" + "\n".join(tail)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no lease released."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)

    def pause(self) -> None:
        """SIGSTOP: the process freezes (its connection stays open) until :meth:`resume`."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGSTOP)

    def freeze(self) -> None:
        """SIGUSR1: a worker run with ``--record`` stops itself at its next guard handler.

        It freezes between two event-loop steps, that handler midway, and writes the time it
        froze to ``<record>.frozen`` first; :meth:`resume` thaws it.
        """
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGUSR1)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause` or :meth:`freeze`."""
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
        reader, self._stderr_reader = self._stderr_reader, None
        if reader is not None:
            # The pipe closes with the process, and the reader ends by itself.
            await asyncio.wait({reader}, timeout=10.0)
            reader.cancel()
