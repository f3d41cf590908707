"""Load spreading and faults beyond a killed worker, with real processes and a real nats-server.

Each test prints its figures with ``-s``: how long recovery took, how many executions overlapped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import Counter as Tally
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import nats
import nats.js.errors
import pytest

from parlay_core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    rpc,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import ParlayError, WorkerUnavailableError
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._cluster import _score
from parlay_ext.runtimes.nats._wire import partition_of
from tests.ext.nats._procs import WorkerProcess
from tests.ext.nats._server import NatsServer
from tests.ext.nats._worker import Count, Increment, Sleep, Slept, Step
from tests.ext.nats.conftest import LEASE_TTL


async def _client(
    url: str, namespace: str, *, partitions: int, lease: float, timeout: float, durable: bool
) -> NatsWorkerAgentRuntime:
    client = NatsWorkerAgentRuntime(
        url,
        namespace=namespace,
        lease_ttl=lease,
        partitions=partitions,
        request_timeout=timeout,
        durable=durable,
    )
    client.add_message_serializer(try_get_known_serializers_for_type(Slept))
    client.add_message_serializer(try_get_known_serializers_for_type(Count))
    await client.start()
    return client


@pytest.fixture
async def workers() -> AsyncIterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        await worker.ensure_dead()
        # Shown with a failing test's report: what each worker logged (leases lost, and why).
        print(worker.log_tail())


async def _until(condition: Callable[[], Awaitable[bool]], limit: float) -> bool:
    # A bound on waiting, not a timing assertion: how long it takes depends on the machine's load.
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def _lease_map(url: str, namespace: str) -> dict[str, str]:
    """Every partition lease now in the bucket: ``<type>.<partition>`` -> holding worker."""
    nc = await nats.connect(url)
    try:
        kv = await nc.jetstream().key_value(f"{namespace}_leases")
        leases: dict[str, str] = {}
        for key in await kv.keys():
            with contextlib.suppress(nats.js.errors.KeyNotFoundError):
                lease = json.loads((await kv.get(key)).value or b"{}")
                leases[f"{lease['type']}.{lease['partition']}"] = lease["worker"]
        return leases
    except nats.js.errors.NoKeysError:
        return {}
    finally:
        await nc.close()


async def _lease_holders(url: str, namespace: str, agent_type: str | None = None) -> set[str]:
    """The workers that hold partition leases (of ``agent_type``) now, read from the bucket."""
    leases = await _lease_map(url, namespace)
    return {
        worker
        for key, worker in leases.items()
        if agent_type is None or key.rpartition(".")[0] == agent_type
    }


async def _wait_until_both_hold(url: str, namespace: str, *procs: WorkerProcess) -> None:
    # Before any traffic: a partition whose agents exist does not move without a state store.
    expected = {p.worker_id for p in procs}

    async def both_hold() -> bool:
        return await _lease_holders(url, namespace) == expected

    assert await _until(both_hold, 30.0), await _lease_holders(url, namespace)


async def test_two_workers_started_together_share_the_partitions_by_default(
    nats_server: NatsServer, namespace: str, workers: list[WorkerProcess]
) -> None:
    """No flag, no state store: both workers end up serving, without any call failing."""
    args = ("--lease-ttl", "1.5", "--partitions", "16")
    first, second = await asyncio.gather(
        WorkerProcess(nats_server.url, namespace, *args).start(),
        WorkerProcess(nats_server.url, namespace, *args).start(),
    )
    workers += [first, second]
    client = await _client(
        nats_server.url, namespace, partitions=16, lease=1.5, timeout=15.0, durable=False
    )
    await _wait_until_both_hold(nats_server.url, namespace, first, second)
    replies = await asyncio.gather(
        *(client.send_message(Sleep(0), AgentId("slow", f"k{i}")) for i in range(64))
    )
    served = Tally(r.worker for r in replies)
    print(f"\n64 calls to new agents, served per worker: {dict(served)}")
    assert set(served) == {first.worker_id, second.worker_id}
    await client.close()


async def test_partitions_with_live_agents_stay_without_a_state_store(
    nats_server: NatsServer, namespace: str, workers: list[WorkerProcess]
) -> None:
    """A newcomer takes empty partitions only: counters that exist keep their count."""
    # A 3 s lease: on a loaded machine, a worker starved of CPU past 0.75 x 1.5 s loses its
    # leases (as it must), and its counters then start over elsewhere: a stall, not this test.
    args = ("--lease-ttl", "3", "--partitions", "16")
    first = await WorkerProcess(nats_server.url, namespace, *args).start()
    workers.append(first)
    client = await _client(
        nats_server.url, namespace, partitions=16, lease=3.0, timeout=15.0, durable=False
    )
    keys = ["a", "b"]
    counts = {key: 0 for key in keys}

    async def increment_all() -> set[str]:
        by: set[str] = set()
        for key in keys:
            count = await client.send_message(Increment(), AgentId("counter", key))
            counts[key] += 1
            assert count.value == counts[key], f"{key} started over on another worker"
            by.add(count.worker)
        return by

    assert await increment_all() == {first.worker_id}
    second = await WorkerProcess(nats_server.url, namespace, *args).start()
    workers.append(second)
    await _wait_until_both_hold(nats_server.url, namespace, first, second)
    replies = await asyncio.gather(
        *(client.send_message(Sleep(0), AgentId("slow", f"n{i}")) for i in range(64))
    )
    assert {r.worker for r in replies} == {first.worker_id, second.worker_id}
    assert await increment_all() == {first.worker_id}
    print(f"\ncounters after the newcomer took empty partitions: {counts}")
    await client.close()


def _send_malformed_frame(port: int, subjects: list[str]) -> None:
    """As a raw client: an HPUB whose header block lacks the ``NATS/1.0`` line."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.recv(4096)  # INFO
        sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nPING\r\n')
        received = b""
        while b"PONG" not in received:
            received += sock.recv(4096)
        headers = b"\r\n\r\n"
        payload = b"{}"
        for subject in subjects:
            frame = f"HPUB {subject} {len(headers)} {len(headers) + len(payload)}\r\n".encode()
            sock.sendall(frame + headers + payload + b"\r\n")
        sock.sendall(b"PING\r\n")  # the server has routed the frames once it answers
        received = b""
        while b"PONG" not in received:
            received += sock.recv(4096)


async def test_a_worker_deafened_by_a_malformed_frame_reconnects(
    nats_server: NatsServer, namespace: str, workers: list[WorkerProcess]
) -> None:
    """A frame nats-py cannot parse ends its read loop while the connection stays up."""
    args = ("--lease-ttl", "1.5", "--partitions", "8")
    first, second = await asyncio.gather(
        WorkerProcess(nats_server.url, namespace, *args).start(),
        WorkerProcess(nats_server.url, namespace, *args).start(),
    )
    workers += [first, second]
    client = await _client(
        nats_server.url, namespace, partitions=8, lease=1.5, timeout=3.0, durable=False
    )

    # Two keys in every partition, so a batch reaches every worker that holds any partition.
    keys: dict[int, list[str]] = {p: [] for p in range(8)}
    for i in range(1000):
        slot = keys[partition_of(AgentId("slow", f"k{i}"), 8)]
        if len(slot) < 2:
            slot.append(f"k{i}")
    assert all(len(slot) == 2 for slot in keys.values())

    async def batch() -> Tally[str]:
        replies = await asyncio.gather(
            *(
                client.send_message(Sleep(0), AgentId("slow", key))
                for slot in keys.values()
                for key in slot
            ),
            return_exceptions=True,
        )
        outcome = Tally[str]()
        for reply in replies:
            if isinstance(reply, BaseException):
                assert isinstance(reply, ParlayError), repr(reply)
                outcome[type(reply).__name__] += 1
            else:
                outcome[reply.worker] += 1
        return outcome

    await _wait_until_both_hold(nats_server.url, namespace, first, second)
    # Both serve before the frame: the partitions may still be moving when both hold a lease.
    both = {first.worker_id, second.worker_id}
    served: set[str] = set()

    async def both_serve() -> bool:
        served.update(both.intersection(await batch()))
        return served == both

    assert await _until(both_serve, 30.0), served
    # Every partition's subject: whichever worker serves it reads the frame.
    subjects = [f"{namespace}.agent.slow.{p}.x" for p in range(8)]
    await asyncio.to_thread(_send_malformed_frame, nats_server.port, subjects)
    sent = time.monotonic()
    failed = Tally[str]()
    recovered_after: float | None = None
    clean_batches = 0
    while time.monotonic() - sent < 60.0:
        outcome = await batch()
        errors = {k: v for k, v in outcome.items() if k not in (first.worker_id, second.worker_id)}
        failed.update(errors)
        if errors:
            clean_batches, recovered_after = 0, None
        else:
            if recovered_after is None:
                recovered_after = time.monotonic() - sent
            clean_batches += 1
            if clean_batches == 5:
                break
        await asyncio.sleep(0.2)
    print(
        f"\nmalformed frame: every call succeeds again after {recovered_after}s; "
        f"failures until then: {dict(failed)}"
    )
    assert clean_batches == 5, dict(failed)
    await client.close()


def _spans(record: Path) -> dict[tuple[str, str, str], list[float]]:
    """Each execution (key, pid, run) and its [start, end] wall times."""
    spans: dict[tuple[str, str, str], list[float]] = {}
    for line in record.read_text().splitlines():
        what, key, pid, run, at = line.split()
        if what == "start":
            spans[key, pid, run] = [float(at), float(at)]  # abandoned midway: nothing after
        else:
            spans[key, pid, run][1] = float(at)
    return spans


def _frozen_at(frozen: Path) -> float | None:
    """When a worker froze itself (see ``_worker.Freezer``), wall time; None if not yet."""
    try:
        return float(frozen.read_text())
    except (FileNotFoundError, ValueError):
        return None  # not frozen yet, or caught between the file's creation and its write


def _overlaps(spans: dict[tuple[str, str, str], list[float]]) -> tuple[int, Tally[str]]:
    """Pairs of executions of one key on two workers that overlap in time; executions by pid."""
    by_key: dict[str, list[tuple[str, list[float]]]] = {}
    for (key, pid, _), span in spans.items():
        by_key.setdefault(key, []).append((pid, span))
    overlaps = 0
    executions = Tally[str]()
    for runs in by_key.values():
        for i, (pid, (start, end)) in enumerate(runs):
            executions[pid] += 1
            for other_pid, (other_start, other_end) in runs[i + 1 :]:
                if other_pid != pid and start < other_end and other_start < end:
                    overlaps += 1
    return overlaps, executions


@pytest.mark.parametrize("durable", [False, True], ids=["default", "durable"])
async def test_a_stalled_worker_never_overlaps_the_next_holder(
    nats_server: NatsServer,
    namespace: str,
    workers: list[WorkerProcess],
    tmp_path: Path,
    durable: bool,
) -> None:
    """A worker frozen mid-handler for longer than its lease, then resumed.

    While it is frozen, the other worker takes its partitions over and runs the same agents;
    once it resumes, none of its handlers takes another step.
    """
    record = tmp_path / "steps"
    args = ["--lease-ttl", "2", "--partitions", "4", "--record", str(record)]
    if durable:
        args.append("--durable")
    first, second = await asyncio.gather(
        WorkerProcess(nats_server.url, namespace, *args).start(),
        WorkerProcess(nats_server.url, namespace, *args).start(),
    )
    workers += [first, second]
    # A short deadline in default mode: calls stuck with the frozen worker are made again, and
    # some reach the next holder (durable mode needs no retry: the stream hands messages on).
    client = await _client(
        nats_server.url,
        namespace,
        partitions=4,
        lease=2.0,
        timeout=20.0 if durable else 1.0,
        durable=durable,
    )

    def targets() -> dict[str, str]:
        # Where rendezvous hashing puts each partition of the workers' types (see _cluster).
        ids = (first.worker_id, second.worker_id)
        return {
            f"{agent_type}.{p}": max(ids, key=lambda w: _score(w, agent_type, p))
            for agent_type in ("counter", "guard", "slow")
            for p in range(4)
        }

    def guards_split() -> bool:
        return {w for k, w in targets().items() if k.startswith("guard.")} == {
            first.worker_id,
            second.worker_id,
        }

    # The hashing gives all four guard partitions to one worker one time in eight: the other
    # would then never serve a guard. Two workers of new ids hash afresh. (Restarting only one
    # would not: a first worker whose four scores are all high beats most second ones, and six
    # restarts in a row then failed about one run in two thousand.)
    for _ in range(8):
        if guards_split():
            break
        await asyncio.gather(first.close(), second.close())
        first, second = await asyncio.gather(
            WorkerProcess(nats_server.url, namespace, *args).start(),
            WorkerProcess(nats_server.url, namespace, *args).start(),
        )
        workers += [first, second]
    assert guards_split(), targets()

    # Before any traffic, every lease at its target: a partition whose agents exist no longer
    # moves, so traffic sent mid-hand-over could leave all guards with one worker.
    async def settled() -> bool:
        return await _lease_map(nats_server.url, namespace) == targets()

    assert await _until(settled, 30.0), (
        f"lease holders {await _lease_map(nats_server.url, namespace)}, "
        f"rendezvous targets {targets()}"
    )
    keys = [f"g{i}" for i in range(8)]
    served_by: dict[str, set[str]] = {key: set() for key in keys}
    outcomes = Tally[str]()
    stop = asyncio.Event()

    async def keep_calling(key: str) -> None:
        while not stop.is_set():
            try:
                reply = await client.send_message(Step(0.05), AgentId("guard", key))
            except ParlayError as e:
                outcomes[type(e).__name__] += 1
                continue
            outcomes["ok"] += 1
            served_by[key].add(reply.worker)

    callers = [asyncio.create_task(keep_calling(key)) for key in keys for _ in range(3)]

    async def both_serve() -> bool:
        return {w for s in served_by.values() for w in s} == {first.worker_id, second.worker_id}

    assert await _until(both_serve, 30.0), (
        f"served by {served_by}, calls {dict(outcomes)}, "
        f"lease holders {await _lease_map(nats_server.url, namespace)}"
    )

    # Frozen mid-handler, between two steps of the event loop (see _worker.Freezer): a SIGSTOP
    # sent from here could land in the middle of a step, whose rest runs after the stall.
    frozen = Path(f"{record}.frozen")
    first.freeze()

    async def first_is_frozen() -> bool:
        return _frozen_at(frozen) is not None

    assert await _until(first_is_frozen, 10.0), "the first worker started no guard handler"
    paused_at = _frozen_at(frozen) or 0.0
    await asyncio.sleep(5.0)
    resumed_at = time.time()
    first.resume()
    await asyncio.sleep(4.0)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*callers), 30.0)
    spans = _spans(record)
    overlaps, by_pid = _overlaps(spans)
    first_pid = str(first.pid)
    frozen_midway = {
        k
        for (k, pid, _), (start, end) in spans.items()
        if pid == first_pid and start < paused_at and (end == start or end > paused_at)
    }
    taken_over = [
        k
        for (k, pid, _), (start, _) in spans.items()
        if pid != first_pid and k in frozen_midway and paused_at < start < resumed_at
    ]
    print(
        f"\nstall of 5s with lease_ttl 2s ({'durable' if durable else 'default'} mode): "
        f"{sum(by_pid.values())} executions, keys frozen midway {sorted(frozen_midway)}, "
        f"{len(taken_over)} runs of those keys on the other worker during the stall; "
        f"{overlaps} overlapping pairs; calls: {dict(outcomes)}"
    )
    assert frozen_midway  # the stall caught handlers midway...
    assert taken_over  # ...and the other worker served their agents meanwhile
    assert overlaps == 0
    await client.close()


@dataclass
class Gated:
    """A call to the gated agent: its handler waits for the test to open a gate midway."""


class GatedAgent(RoutedAgent):
    def __init__(self, gate: asyncio.Future[None], steps: list[str]) -> None:
        super().__init__("gated")
        self.gate = gate
        self.steps = steps

    @rpc
    async def on_gated(self, message: Gated, ctx: MessageContext) -> None:
        self.steps.append("start")
        await self.gate
        self.steps.append("after the gate")


async def test_a_step_queued_when_the_worker_stalls_is_not_taken_after_the_lease(
    runtime: NatsWorkerAgentRuntime,
) -> None:
    """A handler resumed by a step queued just before a stall longer than the lease.

    The stall blocks the event loop right after the gate opens: the handler's next step is then
    already queued, ahead of the fence's timer. Its partition's next holder may be running the
    same agent by then, so the handler must not take that step.
    """
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[None] = loop.create_future()
    steps: list[str] = []
    await GatedAgent.register(runtime, "gated", lambda: GatedAgent(gate, steps))
    call = asyncio.ensure_future(runtime.send_message(Gated(), AgentId("gated", "k")))

    async def started() -> bool:
        return steps == ["start"]

    assert await _until(started, 10.0)

    def open_and_stall() -> None:
        gate.set_result(None)  # queues the handler's next step...
        time.sleep(LEASE_TTL * 1.2)  # ...then the worker stalls for longer than its lease

    loop.call_soon(open_and_stall)
    with pytest.raises(WorkerUnavailableError, match="lost its partition lease"):
        await asyncio.wait_for(call, 20.0)
    assert steps == ["start"]


@dataclass
class Nested:
    """Asks a nester to call itself (an agent in its own partition) ``depth`` times over."""

    depth: int


class Nester(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("nester")

    @rpc
    async def on_nested(self, message: Nested, ctx: MessageContext) -> int:
        if message.depth == 0:
            return 0
        inner: int = await self.send_message(Nested(message.depth - 1), self.id)
        return inner + 1


async def test_durable_handlers_calling_their_own_partition_do_not_deadlock(
    nats_server: NatsServer, namespace: str
) -> None:
    """More handlers wait on calls into their own partition than a partition runs at once.

    1200 calls: more than the worker handles of one partition at once (256), and more than a
    JetStream consumer lets wait for acknowledgement by default (1000).
    """
    # A 5 s lease: 1200 handlers share this process's event loop with the lease renewals; on a
    # loaded machine a 2 s lease lapsed again and again, each time abandoning every handler.
    worker = NatsWorkerAgentRuntime(
        nats_server.url, namespace=namespace, lease_ttl=5.0, partitions=4, durable=True
    )
    await Nester.register(worker, "nester", Nester)
    await worker.start()
    client = await _client(
        nats_server.url, namespace, partitions=4, lease=5.0, timeout=20.0, durable=True
    )
    try:
        results = await asyncio.gather(
            *(client.send_message(Nested(1), AgentId("nester", "one")) for _ in range(1200)),
            return_exceptions=True,
        )
        outcomes = Tally(r if isinstance(r, int) else type(r).__name__ for r in results)
        print(f"\n1200 durable calls whose handler calls its own agent: {dict(outcomes)}")
        assert outcomes == {1: 1200}
    finally:
        await client.close()
        await worker.close()


@dataclass
class Hold:
    seconds: float


_HOLDER_STEPS: list[str] = []


class Holder(RoutedAgent):
    """Records each step of its handler, so a test sees whether an abandoned one went on."""

    def __init__(self) -> None:
        super().__init__("holder")

    @rpc
    async def on_hold(self, message: Hold, ctx: MessageContext) -> str:
        _HOLDER_STEPS.append("start")
        await asyncio.sleep(message.seconds)
        _HOLDER_STEPS.append("end")
        return "held"


async def test_a_worker_whose_lease_is_deleted_abandons_the_partition_at_once(
    nats_server: NatsServer, namespace: str
) -> None:
    """Its lease deleted under it, a worker stops its handlers there and claims it again."""
    worker = NatsWorkerAgentRuntime(
        nats_server.url, namespace=namespace, lease_ttl=2.0, partitions=1
    )
    await Holder.register(worker, "holder", Holder)
    await worker.start()
    client = await _client(
        nats_server.url, namespace, partitions=1, lease=2.0, timeout=20.0, durable=False
    )
    _HOLDER_STEPS.clear()
    try:
        call = asyncio.ensure_future(client.send_message(Hold(3.0), AgentId("holder", "h")))
        assert await _until(lambda: _true(_HOLDER_STEPS == ["start"]), 10.0)
        nc = await nats.connect(nats_server.url)
        try:
            kv = await nc.jetstream().key_value(f"{namespace}_leases")
            for key in await kv.keys():
                await kv.delete(key)
        finally:
            await nc.close()
        with pytest.raises(WorkerUnavailableError, match="lost its partition lease"):
            await call
        # The worker claims the partition again and serves; the abandoned run never went on.
        assert await client.send_message(Hold(0), AgentId("holder", "h")) == "held"
        await asyncio.sleep(3.0)  # past the abandoned handler's sleep
        print(f"\nsteps of the holder's handlers: {_HOLDER_STEPS}")
        assert _HOLDER_STEPS == ["start", "start", "end"]
    finally:
        await client.close()
        await worker.close()


async def _true(value: bool) -> bool:
    return value
