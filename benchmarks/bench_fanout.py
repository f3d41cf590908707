"""Publish fan-out: deliveries per second to 10 subscribed agent types.

The workload, written once against the framework module (``parlay_core`` or ``autogen_core``):
ten agent types ``sink0`` ... ``sink9`` each have a ``TypeSubscription`` to the topic type
``fanout``. A batch is the main task awaiting ``runtime.publish_message(Tick, TopicId("fanout",
"default"))`` ``n`` times in a row, then waiting until all ``10 n`` deliveries have run: every
handler increments a shared counter and the one that reaches ``10 n`` resolves a future the main
task awaits. The figure counts deliveries (10 per publish).

Bare-asyncio baseline (the practical ceiling for delivering one message to several concurrent
consumers): ten consumer tasks, each with its own ``asyncio.Queue``; a publish is a
``put_nowait`` of the message into each of the ten queues; each consumer ``get()``s messages and
increments the same shared counter, which resolves the same kind of future. A consumer whose
queue holds several messages takes them without suspending, so this baseline pays no task
switch per delivery.

An extra, informational row shows the floor of a design that gives every delivery a task of its
own (as AutoGen does; Parlay avoids it): a publish calls ``loop.create_task(on_tick(message))``
for each of the ten handlers, keeping each task in a set until its done-callback removes it.

A second table runs the same workload with 10,000 subscribed agent types (1,000 with
``--quick``) against 10,000 consumer tasks: one publish is then 10,000 deliveries.

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import _harness as h

SINKS = 10
WIDE_SINKS = 10_000
TOPIC_TYPE = "fanout"
TASK_PER_DELIVERY = "asyncio task per delivery (info)"


@dataclass
class Tick:
    n: int


class Counter:
    """Counts deliveries and resolves a future once the expected number has arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done: asyncio.Future[None] | None = None

    def expect(self, deliveries: int) -> asyncio.Future[None]:
        """Reset, and return a future resolved after ``deliveries`` more calls to :meth:`hit`."""
        self.count = 0
        self.target = deliveries
        self.done = asyncio.get_running_loop().create_future()
        return self.done

    def hit(self) -> None:
        self.count += 1
        if self.count == self.target and self.done is not None:
            self.done.set_result(None)


def define_sink(fw: Any) -> type[Any]:
    """The subscriber agent class for framework module ``fw``."""

    class Sink(fw.RoutedAgent):  # type: ignore[misc]
        def __init__(self, counter: Counter) -> None:
            super().__init__("Counts the ticks it receives.")  # pyright: ignore[reportUnknownMemberType]
            self._counter = counter

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_tick(self, message: Tick, ctx: Any) -> None:
            self._counter.hit()

    return Sink


async def framework_fanout(
    fw: Any, name: str, key: str, settings: h.Settings, sinks: int = SINKS
) -> h.Measurement:
    sink_cls = define_sink(fw)
    counter = Counter()
    runtime = fw.SingleThreadedAgentRuntime()
    for i in range(sinks):
        await sink_cls.register(runtime, f"sink{i}", lambda: sink_cls(counter))
        await runtime.add_subscription(
            fw.TypeSubscription(topic_type=TOPIC_TYPE, agent_type=f"sink{i}")
        )
    runtime.start()
    topic = fw.TopicId(TOPIC_TYPE, "default")
    publish = runtime.publish_message

    async def batch(n: int) -> None:
        done = counter.expect(n * sinks)
        for i in range(n):
            await publish(Tick(i), topic)
        await done

    result = await h.measure_throughput(
        name, batch, settings, key=key, ops_per_unit=sinks, start_n=_start_n(sinks)
    )
    await runtime.stop_when_idle()
    await runtime.close()
    return result


async def _consumer(queue: asyncio.Queue[Tick], counter: Counter) -> None:
    while True:
        await queue.get()
        counter.hit()


def _start_n(sinks: int) -> int:
    # The first (warm-up) batch: 16 publishes, or one when each publish is thousands of
    # deliveries (AutoGen takes seconds per publish to 10,000 subscribers).
    return 16 if sinks <= SINKS else 1


async def asyncio_fanout(settings: h.Settings, sinks: int = SINKS) -> h.Measurement:
    counter = Counter()
    queues: list[asyncio.Queue[Tick]] = [asyncio.Queue() for _ in range(sinks)]
    tasks = [asyncio.create_task(_consumer(q, counter)) for q in queues]

    async def batch(n: int) -> None:
        done = counter.expect(n * sinks)
        for i in range(n):
            message = Tick(i)
            for queue in queues:
                queue.put_nowait(message)
        await done

    result = await h.measure_throughput(
        h.ASYNCIO, batch, settings, key="asyncio", ops_per_unit=sinks, start_n=_start_n(sinks)
    )
    for task in tasks:
        task.cancel()
    return result


async def task_per_delivery_fanout(settings: h.Settings) -> h.Measurement:
    counter = Counter()
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()

    async def on_tick(message: Tick) -> None:
        counter.hit()

    async def batch(n: int) -> None:
        done = counter.expect(n * SINKS)
        for i in range(n):
            message = Tick(i)
            for _ in range(SINKS):
                task = loop.create_task(on_tick(message))
                running.add(task)
                task.add_done_callback(running.discard)
        await done

    return await h.measure_throughput(
        TASK_PER_DELIVERY, batch, settings, key="task", ops_per_unit=SINKS
    )


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    results = [
        h.run_async(functools.partial(framework_fanout, fw.module, fw.label, fw.key, settings))
        for fw in h.frameworks()
    ]
    results.append(h.run_async(functools.partial(asyncio_fanout, settings)))
    results.append(h.run_async(functools.partial(task_per_delivery_fanout, settings)))
    summary = h.throughput_table(
        f"Publish fan-out (one topic, {SINKS} subscribed agent types; counts deliveries)",
        "delivery",
        results,
        target_vs_autogen=10.0,
    )
    h.emit_summary(settings, summary)

    # One topic with very many subscribers: the cost of one publish grows with them, and a
    # runtime that holds a task (or a coroutine) per delivery holds 10,000 at once.
    wide = 1_000 if settings.quick else WIDE_SINKS
    results = [
        h.run_async(
            functools.partial(framework_fanout, fw.module, fw.label, fw.key, settings, wide)
        )
        for fw in h.frameworks()
    ]
    results.append(h.run_async(functools.partial(asyncio_fanout, settings, wide)))
    summary = h.throughput_table(
        f"Publish to {wide:,} subscribers (one topic, {wide:,} subscribed agent types; counts "
        "deliveries)",
        "delivery",
        results,
        target_vs_autogen=10.0,
    )
    h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
