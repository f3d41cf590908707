"""A process that counts with durable agents; run as a script it counts until it is killed.

``python _durable_worker.py <db-file>``: three concurrent callers each increment one counter
agent in a loop, printing ``ack <key> <value>`` after every acknowledged increment.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parlay_core import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, rpc
from parlay_core.state import SQLiteStateStore


@dataclass
class Increment:
    by: int = 1


@dataclass
class Read:
    pass


class DurableCounter(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("counts")
        self.count = 0
        self.loads = 0

    @rpc
    async def on_increment(self, message: Increment, ctx: MessageContext) -> int:
        self.count += message.by
        return self.count

    @rpc
    async def on_read(self, message: Read, ctx: MessageContext) -> int:
        return self.count

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.loads += 1
        self.count = int(state["count"])


async def _count_forever(path: str) -> None:
    store = SQLiteStateStore(path)
    runtime = SingleThreadedAgentRuntime(state_store=store)
    await DurableCounter.register(runtime, "counter", DurableCounter)
    runtime.start()

    async def caller(key: str) -> None:
        while True:
            value = await runtime.send_message(Increment(), AgentId("counter", key))
            print(f"ack {key} {value}", flush=True)

    await asyncio.gather(*(caller(k) for k in ("a", "b", "c")))


if __name__ == "__main__":
    asyncio.run(_count_forever(sys.argv[1]))
