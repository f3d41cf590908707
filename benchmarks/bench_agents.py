"""Creating 100,000 agents lazily: total time and memory per agent.

The workload, written once against the framework module (``parlay_core`` or ``autogen_core``):
one agent type ``lazy`` is registered with a factory; the main task then awaits
``runtime.send_message(Touch(), AgentId("lazy", str(i)))`` for ``i`` in ``range(N)``, one after
the other, so every message creates a new agent (through the factory) and runs its handler. The
``AgentId`` is built inside the timed loop, as user code would. Each timed run uses a new runtime.

Memory is measured with ``tracemalloc`` in a separate, untimed run (tracing slows Python down):
the bytes still allocated after the run minus those allocated before it, after a
``gc.collect()``, divided by the number of agents. It counts everything the runtime keeps per
agent (the agent object, its attributes, its ``AgentId`` and key string, the registry entries),
but not interpreter overhead outside Python's allocator (RSS would add arena slack and noise).

If an implementation is too slow for 100,000 agents within the time budget of ``run_all.py``,
it runs fewer and its time is scaled linearly to 100,000 (the table says so); lookups are
dictionary operations, so creation cost per agent does not grow with the number of agents.

Bare-asyncio baseline (the practical ceiling): a "runtime" server task reads ``(key, request,
future)`` triples from an ``asyncio.Queue``, looks the key up in a dict of agent objects, creates
the object (a plain class with two attributes: its key and a counter) if missing, calls its
handler method and resolves the future. The main task calls it for ``N`` distinct keys.

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import _harness as h

AGENTS = 100_000
AUTOGEN_AGENTS = 20_000
"""AutoGen creates agents far more slowly; it runs this many and its time is scaled to AGENTS."""
AUTOGEN_MEMORY_AGENTS = 5_000
"""Agents in AutoGen's (slower still) tracemalloc run."""
QUICK_AGENTS = 2_000
QUICK_AUTOGEN_AGENTS = 500
TARGET_BYTES = 500


@dataclass
class Touch:
    n: int


def define_lazy(fw: Any) -> type[Any]:
    """The lazily created agent class for framework module ``fw``."""

    class Lazy(fw.RoutedAgent):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__("Created on its first message.")  # pyright: ignore[reportUnknownMemberType]

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_touch(self, message: Touch, ctx: Any) -> None:
            return None

    return Lazy


Send = Callable[[int], Awaitable[None]]
"""``await send(i)`` delivers one message to the agent of key ``str(i)``."""
Setup = Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]
"""Makes a fresh system; returns its ``send`` and a ``close``."""


def framework_setup(fw: Any) -> Setup:
    lazy_cls = define_lazy(fw)

    async def setup() -> tuple[Send, Callable[[], Awaitable[None]]]:
        runtime = fw.SingleThreadedAgentRuntime()
        await lazy_cls.register(runtime, "lazy", lazy_cls)
        runtime.start()
        agent_id = fw.AgentId
        message = Touch(0)

        async def send(i: int) -> None:
            await runtime.send_message(message, agent_id("lazy", str(i)))

        async def close() -> None:
            await runtime.stop()
            await runtime.close()

        await send(-1)  # warm the code paths (and create one agent) before anything is measured
        return send, close

    return setup


class PlainAgent:
    """The baseline's agent: its key and a counter, as a plain object."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.handled = 0

    def handle(self, message: Touch) -> None:
        self.handled += 1


Triple = tuple[str, Touch, "asyncio.Future[None]"]


async def _runtime_server(queue: asyncio.Queue[Triple], agents: dict[str, PlainAgent]) -> None:
    while True:
        key, message, future = await queue.get()
        agent = agents.get(key)
        if agent is None:
            agent = agents[key] = PlainAgent(key)
        agent.handle(message)
        future.set_result(None)


async def asyncio_setup() -> tuple[Send, Callable[[], Awaitable[None]]]:
    queue: asyncio.Queue[Triple] = asyncio.Queue()
    agents: dict[str, PlainAgent] = {}
    task = asyncio.create_task(_runtime_server(queue, agents))
    loop = asyncio.get_running_loop()
    message = Touch(0)

    async def send(i: int) -> None:
        future: asyncio.Future[None] = loop.create_future()
        queue.put_nowait((str(i), message, future))
        await future

    async def close() -> None:
        task.cancel()
        agents.clear()

    await send(-1)
    return send, close


@dataclass
class Creation:
    name: str
    key: str
    agents: int
    seconds: list[float]
    bytes_per_agent: float
    memory_agents: int

    @property
    def best_per_agent(self) -> float:
        return min(self.seconds) / self.agents

    @property
    def median_per_agent(self) -> float:
        return statistics.median(self.seconds) / self.agents


async def measure_creation(
    name: str, key: str, setup: Setup, agents: int, repeats: int, memory_agents: int
) -> Creation:
    seconds: list[float] = []
    for _ in range(repeats):
        send, close = await setup()
        gc.collect()
        start = time.perf_counter()
        for i in range(agents):
            await send(i)
        seconds.append(time.perf_counter() - start)
        await close()
        del send, close
        gc.collect()

    send, close = await setup()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(memory_agents):
        await send(i)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    await close()
    return Creation(name, key, agents, seconds, (after - before) / memory_agents, memory_agents)


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    full = QUICK_AGENTS if settings.quick else AGENTS
    repeats = 1 if settings.quick else 3
    jobs: list[tuple[str, str, Setup, int, int, int]] = []
    for fw in h.frameworks():
        if fw.key == "parlay":
            jobs.append((fw.label, fw.key, framework_setup(fw.module), full, repeats, full))
        else:
            count = QUICK_AUTOGEN_AGENTS if settings.quick else AUTOGEN_AGENTS
            traced = QUICK_AUTOGEN_AGENTS if settings.quick else AUTOGEN_MEMORY_AGENTS
            jobs.append((fw.label, fw.key, framework_setup(fw.module), count, 1, traced))
    jobs.append((h.ASYNCIO, "asyncio", asyncio_setup, full, repeats, full))

    results = [h.run_async(functools.partial(measure_creation, *job)) for job in jobs]

    rows: list[list[str]] = []
    notes: list[str] = []
    for r in results:
        scaled = r.agents != full
        rows.append(
            [
                r.name,
                f"{r.agents:,}" + (" *" if scaled else ""),
                f"{r.best_per_agent * full:,.3f}",
                f"{r.median_per_agent * full:,.3f}",
                h.fmt_us(r.best_per_agent),
                h.fmt_rate(1 / r.best_per_agent),
                f"{r.bytes_per_agent:,.0f}" + (" *" if r.memory_agents != full else ""),
            ]
        )
        if scaled:
            notes.append(
                f"* {r.name} is slow: it created {r.agents:,} agents in {len(r.seconds)} timed run(s), "
                f"scaled linearly to {full:,}, and {r.memory_agents:,} in its tracemalloc run."
            )
    by_key = {r.key: r for r in results}
    parlay = by_key["parlay"]
    autogen_r = by_key.get("autogen")
    base = by_key["asyncio"]
    ratios = [
        h.Ratio(
            "Parlay/AutoGen creation speed",
            h.ratio(autogen_r.best_per_agent, parlay.best_per_agent) if autogen_r else None,
            True,
            20.0,
        ),
        h.Ratio(
            "Parlay/asyncio creation speed",
            h.ratio(base.best_per_agent, parlay.best_per_agent),
            True,
        ),
    ]
    memory = h.Ratio(
        "Parlay bytes per agent", parlay.bytes_per_agent, False, float(TARGET_BYTES), " B"
    )
    title = f"Creating {full:,} agents lazily (one message to each of {full:,} keys)"
    h.print_table(
        title,
        [
            "implementation",
            "agents run",
            f"s per {full:,} best",
            "s median",
            "us/agent best",
            "agents/s best",
            "bytes/agent",
        ],
        rows,
        [
            "(lower seconds and bytes are better; speed ratios are agents/s, higher is better)",
            "(bytes/agent: tracemalloc, net Python allocations kept after the run, divided by agents)",
            *notes,
            *(ratio.describe() for ratio in [*ratios, memory]),
        ],
    )
    summary = h.Summary(title, [*ratios, memory])
    h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
