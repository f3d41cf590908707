"""Membership and partition leases: which worker serves which agents.

Every worker writes a record to the ``<ns>_workers`` bucket (the agent types it hosts, whether it
serves) at every tick, and every worker watches that bucket: a worker whose record has not been
refreshed for one lease time is considered gone. This view answers "does any worker host agent
type T?" without a round trip, so a call to a type nobody hosts fails at once.

Partition ``p`` of agent type ``T`` is served by the worker holding the lease ``<T>.<p>`` in the
``<ns>_leases`` bucket. A lease is taken with a create-if-absent write, renewed with a write that
names the revision it replaces (so a worker that lost its lease cannot renew it by accident), and
expires through the bucket's age limit when its holder stops renewing. A worker treats its lease
as valid only until a safety margin before the server could let it expire (counted from when the
last confirmed renewal was *sent*, on its own monotonic clock), and refuses messages for a
partition whose lease it cannot vouch for: so at no time do two workers deliver to one agent.

A worker can also stall (a frozen process, a blocked event loop) with handlers midway. A timer
callback checks the leases' validity every few hundredths of a lease time; after a stall it runs
in the event loop's first pass, before any waiting task resumes, and drops every partition whose
validity ran out: the handlers still running for it are abandoned (``on_revoke`` cancels them)
before they take another step. A handler step already queued when the process froze runs
before that callback, so the serving side also asks :meth:`Cluster.lease_valid` before each step
of a handler (see ``_fencing``). A watched change that shows this worker's lease deleted or taken
by another worker drops the partition at once too, without waiting for the next renewal.

Which worker *should* hold a partition is decided by rendezvous hashing over the live, serving
workers that host the type: every worker computes the same answer, and a worker joining or
leaving moves only the partitions it gains or loses. A holder hands a partition over (stop
serving it, release its agents, delete the lease) when another live worker is its target and the
partition may move: by default when it holds no live agent (nothing is lost by creating its
agents again elsewhere), with full rebalancing whatever it holds. A partition nobody holds is
claimed by its target, or by anyone after a grace time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, cast

from parlay_core import ROOT_LOGGER_NAME
from parlay_core.exceptions import RuntimeStateError
from parlay_ext.runtimes.nats._aio import cancel_and_wait, cancellable, sleep_or_wake
from parlay_ext.runtimes.nats._kv import KVEvent, KVMirror, open_bucket
from parlay_ext.runtimes.nats._sdk import JetStreamContext, KeyValue, js_errors
from parlay_ext.runtimes.nats._subjects import Subjects
from parlay_ext.runtimes.nats._wire import token

__all__ = ["Cluster"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

# Share of the lease time a lease is trusted after the renewal was sent: the rest absorbs clock
# rate differences and the server's expiry granularity.
_VALIDITY = 0.75
Partition = tuple[str, int]


@dataclass(slots=True)
class _Worker:
    types: frozenset[str]
    serving: bool
    seen: float
    partitions: int
    durable: bool


@dataclass(slots=True)
class _Lease:
    owner: str
    partition: Partition
    seen: float


@dataclass(slots=True)
class _Held:
    revision: int
    valid_until: float
    since: float


class Cluster:
    """One worker's view of the cluster, and the leases it holds.

    Args:
        js: The JetStream context.
        namespace: Prefix of the bucket names.
        worker_id: This worker's id.
        partitions: Partitions per agent type.
        lease_ttl: Seconds a lease lives without renewal.
        rebalance: Which held partitions are handed over to their target worker: all of them
            (True), only those without a live agent (None), or none (False).
        replicas: Replicas of the buckets this worker creates (in a clustered NATS).
        durable: Whether messages travel on the work-queue stream (all workers must agree).
        hosted_types: Returns the agent types this worker hosts now.
        on_gain: Called when this worker starts holding a partition.
        on_lose: Called when it stops (``graceful`` when it hands the partition over itself).
        has_agents: Whether this worker has live agents in a partition.
        on_revoke: Called (synchronously) when this worker loses a partition it did not hand
            over: it must stop every delivery still running for it at once.
        hosts: Whether this worker hosts an agent type now (by default, a look in
            ``hosted_types()``).
    """

    def __init__(
        self,
        js: JetStreamContext,
        *,
        namespace: str,
        worker_id: str,
        partitions: int,
        lease_ttl: float,
        rebalance: bool | None,
        replicas: int,
        durable: bool,
        hosted_types: Callable[[], Collection[str]],
        on_gain: Callable[[str, int], Awaitable[None]],
        on_lose: Callable[[str, int, bool], Awaitable[None]],
        has_agents: Callable[[Partition], bool] = lambda _: False,
        on_revoke: Callable[[Partition], None] = lambda _: None,
        hosts: Callable[[str], bool] | None = None,
    ) -> None:
        self._js = js
        self._namespace = namespace
        self.worker_id = worker_id
        self._partitions = partitions
        self._ttl = lease_ttl
        self._rebalance = rebalance
        self._replicas = replicas
        self._durable = durable
        self._hosted_types = hosted_types
        # Asked on every call: a membership test, not the sorted list of hosted_types.
        self._hosts: Callable[[str], bool] = hosts or (lambda name: name in hosted_types())
        self._on_gain = on_gain
        self._on_lose = on_lose
        self._has_agents = has_agents
        self._on_revoke = on_revoke
        self._fence_timer: asyncio.TimerHandle | None = None
        self.serving = False
        self.held: dict[Partition, _Held] = {}
        self._releasing: dict[Partition, _Held] = {}
        self._background: set[asyncio.Future[None]] = set()
        self._workers: dict[str, _Worker] = {}
        self._leases: dict[str, _Lease] = {}
        self._lease_keys: dict[Partition, str] = {}
        # When each partition was last released by its holder (a deleted lease), monotonic time.
        self._released: dict[Partition, float] = {}
        self._unowned_since: dict[Partition, float] = {}
        self._leases_kv: KeyValue | None = None
        self._workers_kv: KeyValue | None = None
        self._mirrors: list[KVMirror] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._closing = False
        # Until then, the watched views may be stale (this worker was cut off from NATS): an
        # absent record then proves nothing, so nobody is judged gone or missing.
        self._trusted_from = 0.0

    # --- views --------------------------------------------------------------------------------

    def is_hosted(self, agent_type: str) -> bool:
        """Whether this or any live worker hosts ``agent_type`` (True while the view is stale)."""
        if self._hosts(agent_type):
            return True
        now = time.monotonic()
        if now < self._trusted_from:
            return True
        # Asked on every call to another worker: a plain loop, cheaper than any() of a generator.
        for worker in self._workers.values():
            if agent_type in worker.types and now - worker.seen < self._ttl:
                return True
        return False

    def distrust(self) -> None:
        """Mark the views stale (the connection to NATS is lost) until the next :meth:`resync`."""
        self._trusted_from = float("inf")

    def all_hosted_types(self) -> list[str]:
        """Every agent type hosted by this or a live worker, sorted."""
        now = time.monotonic()
        types = set(self._hosted_types())
        for worker in self._workers.values():
            if now - worker.seen < self._ttl:
                types.update(worker.types)
        return sorted(types)

    def holds(self, partition: Partition) -> bool:
        """Whether this worker holds ``partition`` and may deliver to its agents now."""
        held = self.held.get(partition)
        return held is not None and time.monotonic() < held.valid_until

    def lease_valid(self, partition: Partition) -> bool:
        """Whether this worker can still prove it holds ``partition``'s lease (or hands it over).

        Unlike :meth:`holds`, a partition being handed over counts: its running handlers may
        finish, but only while the lease is still this worker's.
        """
        held = self.held.get(partition) or self._releasing.get(partition)
        return held is not None and time.monotonic() < held.valid_until

    def check_validity(self) -> None:
        """Drop every partition whose lease validity ran out now (its handlers are abandoned)."""
        self._check_validity_now()

    def released_since(self, partition: Partition, since: float) -> bool:
        """Whether a holder released ``partition`` (handed it over) after ``since`` (monotonic)."""
        return self._released.get(partition, -1.0) > since

    def owner(self, partition: Partition) -> str | None:
        """The worker believed to hold ``partition``, or None."""
        lease = self._leases.get(self._lease_key(partition))
        return None if lease is None else lease.owner

    def is_alive(self, worker_id: str) -> bool:
        """Whether ``worker_id`` refreshed its record within the last lease time."""
        if worker_id == self.worker_id or time.monotonic() < self._trusted_from:
            return True
        worker = self._workers.get(worker_id)
        return worker is not None and time.monotonic() - worker.seen < self._ttl

    # --- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the buckets and learn the current workers and leases."""
        names = Subjects(self._namespace)
        self._leases_kv = await open_bucket(
            self._js, names.leases_bucket, ttl=self._ttl, replicas=self._replicas
        )
        self._workers_kv = await open_bucket(
            self._js, names.workers_bucket, ttl=self._ttl, replicas=self._replicas
        )
        self._mirrors = [
            KVMirror(self._workers_kv, self._on_worker_event, label="workers"),
            KVMirror(self._leases_kv, self._on_lease_event, label="leases"),
        ]
        for mirror in self._mirrors:
            await mirror.start()
        now = time.monotonic()
        for worker_id, worker in self._workers.items():
            if now - worker.seen >= self._ttl:
                continue
            problem = None
            if worker.partitions != self._partitions:
                problem = (
                    f"uses {worker.partitions} partitions per agent type, this one "
                    f"{self._partitions}: every worker of a namespace must use the same number, "
                    "or agents cannot be found"
                )
            elif worker.durable != self._durable:
                problem = (
                    f"runs with durable={worker.durable}, this one with durable={self._durable}: "
                    "every worker of a namespace must use the same mode, or messages are missed"
                )
            if problem is not None:
                for mirror in self._mirrors:
                    await mirror.stop()
                raise RuntimeStateError(
                    f"Worker {worker_id} of namespace {self._namespace!r} {problem}."
                )
        self._loop_task = asyncio.create_task(self._loop())
        self._check_validity()

    async def resync(self) -> None:
        """Rebuild the watched views (after a reconnect) and run a tick."""
        for mirror in self._mirrors:
            await mirror.restart()
        # Other workers re-announce themselves within a tick of reconnecting; give them a lease
        # time before their absence counts.
        self._trusted_from = time.monotonic() + self._ttl
        self.wake()

    def wake(self) -> None:
        """Run a tick soon instead of at the next interval."""
        self._wake.set()

    async def refresh(self) -> None:
        """Run one tick now: announce, renew, claim and hand over."""
        async with self._lock:
            await self._tick()

    async def leave(self) -> None:
        """Stop the background loop, hand over every partition and remove this worker's record."""
        self._closing = True
        await self.pause()
        async with self._lock:
            for partition in list(self.held):
                self._releasing[partition] = self.held.pop(partition)
                self._spawn(self._finish_hand_over(partition))
        # The hand-overs take the lock for their last step, so they run outside it.
        await asyncio.gather(*list(self._background), return_exceptions=True)
        async with self._lock:
            if self._workers_kv is not None:
                with contextlib.suppress(Exception):
                    await self._workers_kv.delete(token(self.worker_id))
        for mirror in self._mirrors:
            await mirror.stop()

    async def abandon(self) -> None:
        """End every background task (after :meth:`leave`, or instead of it when it timed out)."""
        self._closing = True
        if self._fence_timer is not None:
            self._fence_timer.cancel()
        await self.pause()
        await asyncio.gather(*(cancel_and_wait(task, self._ttl) for task in list(self._background)))
        for mirror in self._mirrors:
            with contextlib.suppress(Exception):
                await mirror.stop()

    # --- the tick -----------------------------------------------------------------------------

    async def _loop(self) -> None:
        interval = self._ttl / 4
        while not self._closing:
            await sleep_or_wake(self._wake, interval)
            self._wake.clear()
            if self._closing:
                return
            try:
                # In a task of its own: the NATS client may turn a cancellation into a timeout
                # error, which this loop would log and go on after.
                await cancellable(self.refresh())
            except Exception as e:
                logger.warning(
                    "Cluster tick of %s failed: %s: %s", self.worker_id, type(e).__name__, e
                )

    def resume(self) -> None:
        """Start the background ticks again after :meth:`pause`."""
        if self._loop_task is None and not self._closing:
            self._loop_task = asyncio.create_task(self._loop())
        if self._fence_timer is None and not self._closing:
            self._check_validity()

    async def pause(self) -> None:
        """Stop the background ticks (the leases this worker holds then expire by themselves)."""
        task, self._loop_task = self._loop_task, None
        await cancel_and_wait(task, self._ttl)

    async def _tick(self) -> None:
        await self._announce()
        await self._renew()
        types = sorted(self._hosted_types())
        now = time.monotonic()
        claims: list[Partition] = []
        for agent_type in types:
            candidates = self._candidates(agent_type, now)
            for p in range(self._partitions):
                partition = (agent_type, p)
                target = max(candidates, key=lambda w: _score(w, agent_type, p))
                held = self.held.get(partition)
                if held is not None:
                    # Held for a lease time at least before moving: two workers whose views
                    # briefly disagree must not pass a partition back and forth.
                    if (
                        target != self.worker_id
                        and now - held.since >= self._ttl
                        and self._may_move(partition)
                    ):
                        self._hand_over(partition)
                    continue
                if not self.serving or partition in self._releasing:
                    continue
                lease = self._leases.get(self._lease_key(partition))
                if lease is not None and now - lease.seen < self._ttl:
                    self._unowned_since.pop(partition, None)
                    continue
                since = self._unowned_since.setdefault(partition, now)
                if target == self.worker_id or now - since >= self._ttl / 2:
                    claims.append(partition)
        if claims:
            await asyncio.gather(*(self._claim(partition) for partition in claims))

    def _may_move(self, partition: Partition) -> bool:
        if self._rebalance is None:
            # An empty partition moves safely: nothing in it would have to start over elsewhere.
            return not self._has_agents(partition)
        return self._rebalance

    def _candidates(self, agent_type: str, now: float) -> list[str]:
        live = [
            worker_id
            for worker_id, w in self._workers.items()
            if w.serving and agent_type in w.types and now - w.seen < self._ttl
        ]
        if self.serving and self.worker_id not in live:
            live.append(self.worker_id)
        return live or [self.worker_id]

    async def _announce(self) -> None:
        assert self._workers_kv is not None
        record = {
            "types": sorted(self._hosted_types()),
            "serving": self.serving,
            "partitions": self._partitions,
            "durable": self._durable,
        }
        await self._workers_kv.put(token(self.worker_id), json.dumps(record).encode())

    def _check_validity(self) -> None:
        # A plain timer callback, not a task: after a stall, the loop runs every callback whose
        # time has come before it resumes any task, so handlers are cancelled before they go on.
        self._fence_timer = None
        self._check_validity_now()
        if not self._closing and (self.held or self.serving):
            self._fence_timer = asyncio.get_running_loop().call_later(
                min(self._ttl / 20, 0.1), self._check_validity
            )

    async def _renew(self) -> None:
        # Concurrently, and never behind slow work: a tick that waited on handlers would let
        # every other lease lapse.
        self._check_validity_now()
        leases = [*self.held.items(), *self._releasing.items()]
        await asyncio.gather(*(self._renew_one(p, held) for p, held in leases))

    async def _renew_one(self, partition: Partition, held: _Held) -> None:
        assert self._leases_kv is not None
        sent = time.monotonic()
        try:
            revision = await self._leases_kv.update(
                self._lease_key(partition), self._lease_value(partition), last=held.revision
            )
        except js_errors.KeyWrongLastSequenceError:
            self._releasing.pop(partition, None)
            if partition in self.held:
                self._drop(partition, "another worker holds its lease now", release=False)
        except Exception as e:
            # Unreachable server: keep serving until the lease's validity runs out.
            logger.debug("Renewing %s failed: %s", partition, e)
        else:
            held.revision = revision
            held.valid_until = sent + self._ttl * _VALIDITY

    async def _claim(self, partition: Partition) -> None:
        assert self._leases_kv is not None
        sent = time.monotonic()
        try:
            revision = await self._leases_kv.create(
                self._lease_key(partition), self._lease_value(partition)
            )
        except js_errors.KeyWrongLastSequenceError:
            return  # somebody holds it
        except Exception as e:
            logger.debug("Claiming %s failed: %s", partition, e)
            return
        self.held[partition] = _Held(revision, sent + self._ttl * _VALIDITY, sent)
        self._unowned_since.pop(partition, None)
        self._leases[self._lease_key(partition)] = _Lease(self.worker_id, partition, sent)
        await self._on_gain(*partition)

    def _hand_over(self, partition: Partition) -> None:
        # Stop delivering now, keep renewing the lease while running handlers finish and the
        # agents' state is written, then release it: the next holder never overlaps this one.
        self._releasing[partition] = self.held.pop(partition)
        self._spawn(self._finish_hand_over(partition))

    async def _finish_hand_over(self, partition: Partition) -> None:
        try:
            await self._on_lose(partition[0], partition[1], True)
        finally:
            async with self._lock:  # not during a tick's renewal of this very lease
                held = self._releasing.pop(partition, None)
                if held is not None and self._leases_kv is not None:
                    with contextlib.suppress(Exception):  # if it fails, the lease expires
                        await self._leases_kv.delete(self._lease_key(partition), last=held.revision)

    def _check_validity_now(self) -> None:
        now = time.monotonic()
        for partition, held in list(self.held.items()):
            if now >= held.valid_until:
                self._drop(partition, "its lease could not be renewed in time (a stall?)")
        for partition, held in list(self._releasing.items()):
            if now >= held.valid_until:
                # Handing over, its handlers finishing: past the lease they must not go on
                # either (the hand-over then completes, and the lease is long gone).
                self._on_revoke(partition)

    def _drop(self, partition: Partition, why: str, *, release: bool = True) -> None:
        logger.warning("%s stops serving %s: %s", self.worker_id, partition, why)
        held = self.held.pop(partition, None)
        self._on_revoke(partition)  # before anything else runs: no handler takes another step
        self._spawn(self._on_lose(partition[0], partition[1], False))
        if release and held is not None:
            # If the lease is still ours on the server, let the next holder claim it now
            # instead of after it expires (naming the revision: never someone else's lease).
            self._spawn(self._release(partition, held.revision))

    async def _release(self, partition: Partition, revision: int) -> None:
        if self._leases_kv is not None:
            with contextlib.suppress(Exception):
                await self._leases_kv.delete(self._lease_key(partition), last=revision)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- watched buckets --------------------------------------------------------------------

    def _on_worker_event(self, event: KVEvent) -> None:
        now = time.monotonic()
        if event.value is None:
            if self._workers.pop(event.key, None) is not None:
                self.wake()
            return
        try:
            data = cast(dict[str, Any], json.loads(event.value))
            worker = _Worker(
                frozenset(data["types"]),
                bool(data["serving"]),
                now,
                int(data["partitions"]),
                bool(data.get("durable", False)),
            )
        except (ValueError, KeyError, TypeError):
            return
        previous = self._workers.get(event.key)
        self._workers[event.key] = worker
        if previous is None or previous.types != worker.types or previous.serving != worker.serving:
            self.wake()

    def _on_lease_event(self, event: KVEvent) -> None:
        if event.value is None:
            released = self._leases.pop(event.key, None)
            if released is not None:
                self._released[released.partition] = time.monotonic()
                if released.partition in self.held:
                    # Our own lease deleted under us: somebody may claim it from now on.
                    self._drop(released.partition, "its lease was deleted", release=False)
                self.wake()  # a released partition: its target claims it now
            return
        try:
            data = cast(dict[str, Any], json.loads(event.value))
            lease = _Lease(str(data["worker"]), (str(data["type"]), int(data["partition"])), 0.0)
        except (ValueError, KeyError, TypeError):
            return
        lease.seen = time.monotonic()
        self._leases[event.key] = lease
        if lease.partition in self.held and lease.owner != self.worker_id:
            # Taken by another worker (ours was deleted or expired unseen): no longer ours.
            self._drop(lease.partition, f"its lease now names {lease.owner}", release=False)

    def _lease_key(self, partition: Partition) -> str:
        # Asked on every call (owner()); partitions are few: types times partitions per type.
        key = self._lease_keys.get(partition)
        if key is None:
            key = self._lease_keys[partition] = f"{token(partition[0])}.{partition[1]}"
        return key

    def _lease_value(self, partition: Partition) -> bytes:
        return json.dumps(
            {"worker": self.worker_id, "type": partition[0], "partition": partition[1]}
        ).encode()


def _score(worker_id: str, agent_type: str, partition: int) -> int:
    digest = hashlib.blake2b(f"{worker_id}|{agent_type}|{partition}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")
