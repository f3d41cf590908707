"""A worker process for the fault tests: ``python -m tests.ext.nats._worker URL NAMESPACE [options]``.

It hosts a ``counter`` agent type (optionally with a SQLite state store shared by all workers)
and a ``slow`` agent type whose handler sleeps, prints ``ready <worker id>`` once it serves, and
runs until it is killed, or closes cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
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


class Slow(RoutedAgent):
    def __init__(self, worker: str) -> None:
        super().__init__("slow")
        self.worker = worker

    @rpc
    async def on_sleep(self, message: Sleep, ctx: MessageContext) -> Slept:
        await asyncio.sleep(message.seconds)
        return Slept(self.worker)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("namespace")
    parser.add_argument("--state", help="SQLite file shared by the workers")
    parser.add_argument("--lease-ttl", type=float, default=1.5)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--rebalance", action="store_true")
    parser.add_argument("--durable", action="store_true")
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
    await runtime.start()
    print(f"ready {worker}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runtime.close()
    if store is not None:
        await store.close()
    print(f"closed {worker}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
