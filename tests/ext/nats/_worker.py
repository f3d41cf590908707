"""A worker process for the fault tests: ``python -m tests.ext.nats._worker URL NAMESPACE [options]``.

It hosts a ``counter`` agent type (optionally with a SQLite state store shared by all workers),
a ``slow`` agent type whose handler sleeps and, with ``--record``, a ``guard`` type that records
its steps; it prints ``ready <worker id>`` once it serves, and runs until it is killed, or closes
cleanly on SIGTERM. With ``--record``, SIGUSR1 makes it freeze itself mid-handler (``Freezer``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parlay_core import MessageContext, RoutedAgent, event, rpc
from parlay_core.state import SQLiteStateStore
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime


@dataclass
class Increment:
    pass


@dataclass
class Count:
    value: int
    worker: str


@dataclass
class Tally:
    """A published increment."""


@dataclass
class Read:
    pass


@dataclass
class Sleep:
    seconds: float


@dataclass
class Slept:
    worker: str


@dataclass
class Die:
    """Makes the ``slow`` agent's worker exit at once, in the middle of handling it."""


class Counter(RoutedAgent):
    """Counts the increments it receives; the state is its count."""

    def __init__(self, worker: str) -> None:
        super().__init__("counter")
        self.count = 0
        self.worker = worker

    @rpc
    async def on_increment(self, message: Increment, ctx: MessageContext) -> Count:
        value = self.count + 1
        await asyncio.sleep(0.002)  # a yield inside the update: concurrent instances would race
        self.count = value
        return Count(value, self.worker)

    @event
    async def on_tally(self, message: Tally, ctx: MessageContext) -> None:
        self.count += 1

    @rpc
    async def on_read(self, message: Read, ctx: MessageContext) -> int:
        return self.count

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])


@dataclass
class Step:
    """A guarded step: the handler records its start and end, with a pause between."""

    seconds: float


_runs = itertools.count()


class Freezer:
    """Stops this process (SIGSTOP, until SIGCONT) once asked to, with a guard handler midway.

    The freeze is an event-loop callback scheduled by a handler that has just started, so it
    falls between two steps while that handler waits: the steps already queued then run after
    the stall, where the fence must stop them. (A SIGSTOP sent from outside may land in the
    middle of a step instead: the rest of that step then runs after the stall, and no check
    inside the process can prevent that.) The time of the freeze is written to ``frozen`` first.
    """

    def __init__(self, frozen: str) -> None:
        self.frozen = frozen
        self.requested = False

    def request(self) -> None:
        self.requested = True

    def handler_started(self) -> None:
        if self.requested:
            self.requested = False
            asyncio.get_running_loop().call_soon(self._freeze)

    def _freeze(self) -> None:
        with open(self.frozen, "w") as file:
            file.write(f"{time.time():.6f}")
        os.kill(os.getpid(), signal.SIGSTOP)


class Guard(RoutedAgent):
    """Appends ``start``/``end`` lines (key, pid, run, wall time) to a file all workers share.

    A handler abandoned midway writes no ``end``: the record shows what each worker really did
    to an agent, and when, so overlapping executions of one key on two workers can be counted.
    """

    def __init__(self, worker: str, record: str, freezer: Freezer) -> None:
        super().__init__("guard")
        self.worker = worker
        self.record = record
        self.freezer = freezer

    def _write(self, what: str, run: int) -> None:
        line = f"{what} {self.id.key} {os.getpid()} {run} {time.time():.6f}\n".encode()
        fd = os.open(self.record, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line)  # one small append: whole lines, whatever the other workers do
        finally:
            os.close(fd)

    @rpc
    async def on_step(self, message: Step, ctx: MessageContext) -> Slept:
        run = next(_runs)
        self._write("start", run)
        self.freezer.handler_started()
        await asyncio.sleep(message.seconds)
        self._write("end", run)
        return Slept(self.worker)


class Slow(RoutedAgent):
    def __init__(self, worker: str) -> None:
        super().__init__("slow")
        self.worker = worker

    @rpc
    async def on_sleep(self, message: Sleep, ctx: MessageContext) -> Slept:
        await asyncio.sleep(message.seconds)
        return Slept(self.worker)

    @rpc
    async def on_die(self, message: Die, ctx: MessageContext) -> Slept:
        os._exit(3)  # no reply, no acknowledgement, no clean-up: as if killed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("namespace")
    parser.add_argument("--state", help="SQLite file shared by the workers")
    parser.add_argument("--lease-ttl", type=float, default=1.5)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--rebalance", action="store_true")
    parser.add_argument("--durable", action="store_true")
    parser.add_argument("--record", help="file the guard agents append their steps to")
    args = parser.parse_args()
    store = SQLiteStateStore(args.state) if args.state else None
    runtime = NatsWorkerAgentRuntime(
        args.url,
        namespace=args.namespace,
        lease_ttl=args.lease_ttl,
        partitions=args.partitions,
        state_store=store,
        rebalance=args.rebalance or None,
        request_timeout=20.0,
        durable=args.durable,
    )
    worker = runtime.worker_id
    await Counter.register(runtime, "counter", lambda: Counter(worker))
    await Slow.register(runtime, "slow", lambda: Slow(worker))
    loop = asyncio.get_running_loop()
    if args.record:
        record = args.record
        freezer = Freezer(f"{record}.frozen")
        loop.add_signal_handler(signal.SIGUSR1, freezer.request)
        await Guard.register(runtime, "guard", lambda: Guard(worker, record, freezer))
    await runtime.start()
    print(f"ready {worker}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runtime.close()
    if store is not None:
        await store.close()
    print(f"closed {worker}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
