"""RPC round trips (direct messages): Parlay vs AutoGen vs a bare-asyncio baseline.

Three workloads, each written once against the framework module (``parlay_core`` or
``autogen_core``: the same code, only the module differs):

1. **agent -> agent**: a ``Driver`` agent's handler sends ``Ping`` to an ``Echo`` agent ``n``
   times in a row, awaiting each ``Pong``. One ``runtime.send_message(Run(n))`` from the main task
   drives a batch; the figure counts the ``n`` inner round trips.
2. **from outside**: the main task awaits ``runtime.send_message(Ping, echo)`` ``n`` times.
3. **1000 concurrent over 100 keys**: ``asyncio.gather`` of 1000 ``send_message`` calls to the
   echo agents ``echo/0`` ... ``echo/99`` (call ``i`` goes to key ``i % 100``), repeated; the
   figure counts round trips.

Bare-asyncio baseline, the practical ceiling for a request/response between two tasks: an echo
*server* is a task that reads ``(request, future)`` pairs from an ``asyncio.Queue`` and resolves
each future with the response; a *call* creates a future, puts the pair on the queue and awaits
the future.

1. The driver is itself such a server task: the main task calls it with ``Run(n)`` and the
   driver makes ``n`` calls to the echo server.
2. The main task makes ``n`` calls to one echo server.
3. 100 echo server tasks, one queue each; ``asyncio.gather`` of 1000 calls, call ``i`` to server
   ``i % 100``.

Parlay runs an RPC handler inline in the caller's task, so it can come close to (or beat) this
baseline, which pays two task switches per round trip. An extra, informational row therefore
shows the floor for that design, a **direct await** with no runtime at all: the handler is a
coroutine function ``echo(request)`` and a call is ``await echo(Ping(i))`` (for workload 1 inside
a ``driver`` coroutine; for workload 3 gathered, so each call still gets a task of its own).

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import _harness as h

CONCURRENT_CALLS = 1000
CONCURRENT_KEYS = 100


@dataclass
class Ping:
    n: int


@dataclass
class Pong:
    n: int


@dataclass
class Run:
    n: int


def define_agents(fw: Any) -> tuple[type[Any], type[Any]]:
    """The echo and driver agent classes for framework module ``fw``."""

    class Echo(fw.RoutedAgent):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__("Replies to each Ping with a Pong.")  # pyright: ignore[reportUnknownMemberType]

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_ping(self, message: Ping, ctx: Any) -> Pong:
            return Pong(message.n)

    class Driver(fw.RoutedAgent):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__("Sends n Pings to the echo agent, one after the other.")  # pyright: ignore[reportUnknownMemberType]
            self._echo = fw.AgentId("echo", "default")

        @fw.message_handler  # type: ignore[untyped-decorator]
        async def on_run(self, message: Run, ctx: Any) -> int:
            echo = self._echo
            for i in range(message.n):
                await self.send_message(Ping(i), echo)
            return message.n

    return Echo, Driver


async def _start(fw: Any) -> Any:
    echo_cls, driver_cls = define_agents(fw)
    runtime = fw.SingleThreadedAgentRuntime()
    await echo_cls.register(runtime, "echo", echo_cls)
    await driver_cls.register(runtime, "driver", driver_cls)
    runtime.start()
    return runtime


async def framework_agent_to_agent(
    fw: Any, name: str, key: str, settings: h.Settings
) -> h.Measurement:
    runtime = await _start(fw)
    driver = fw.AgentId("driver", "default")

    async def batch(n: int) -> None:
        await runtime.send_message(Run(n), driver)

    result = await h.measure_throughput(name, batch, settings, key=key)
    await runtime.stop_when_idle()
    await runtime.close()
    return result


async def framework_outside(fw: Any, name: str, key: str, settings: h.Settings) -> h.Measurement:
    runtime = await _start(fw)
    echo = fw.AgentId("echo", "default")
    send = runtime.send_message

    async def batch(n: int) -> None:
        for i in range(n):
            await send(Ping(i), echo)

    result = await h.measure_throughput(name, batch, settings, key=key)
    await runtime.stop_when_idle()
    await runtime.close()
    return result


async def framework_concurrent(fw: Any, name: str, key: str, settings: h.Settings) -> h.Measurement:
    runtime = await _start(fw)
    keys = [fw.AgentId("echo", str(k)) for k in range(CONCURRENT_KEYS)]
    send = runtime.send_message

    async def batch(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(
                *(send(Ping(i), keys[i % CONCURRENT_KEYS]) for i in range(CONCURRENT_CALLS))
            )

    result = await h.measure_throughput(
        name, batch, settings, key=key, ops_per_unit=CONCURRENT_CALLS, start_n=1
    )
    await runtime.stop_when_idle()
    await runtime.close()
    return result


# --- bare asyncio --------------------------------------------------------------------------

Request = tuple[Any, "asyncio.Future[Any]"]


async def _echo_server(queue: asyncio.Queue[Request]) -> None:
    while True:
        request, future = await queue.get()
        future.set_result(Pong(request.n))


async def _call(queue: asyncio.Queue[Request], request: Any) -> Any:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    queue.put_nowait((request, future))
    return await future


async def _driver_server(queue: asyncio.Queue[Request], echo: asyncio.Queue[Request]) -> None:
    while True:
        request, future = await queue.get()
        for i in range(request.n):
            await _call(echo, Ping(i))
        future.set_result(request.n)


async def asyncio_agent_to_agent(settings: h.Settings) -> h.Measurement:
    echo: asyncio.Queue[Request] = asyncio.Queue()
    driver: asyncio.Queue[Request] = asyncio.Queue()
    tasks = [
        asyncio.create_task(_echo_server(echo)),
        asyncio.create_task(_driver_server(driver, echo)),
    ]

    async def batch(n: int) -> None:
        await _call(driver, Run(n))

    result = await h.measure_throughput(h.ASYNCIO, batch, settings, key="asyncio")
    for task in tasks:
        task.cancel()
    return result


async def asyncio_outside(settings: h.Settings) -> h.Measurement:
    echo: asyncio.Queue[Request] = asyncio.Queue()
    task = asyncio.create_task(_echo_server(echo))

    async def batch(n: int) -> None:
        for i in range(n):
            await _call(echo, Ping(i))

    result = await h.measure_throughput(h.ASYNCIO, batch, settings, key="asyncio")
    task.cancel()
    return result


async def asyncio_concurrent(settings: h.Settings) -> h.Measurement:
    queues: list[asyncio.Queue[Request]] = [asyncio.Queue() for _ in range(CONCURRENT_KEYS)]
    tasks = [asyncio.create_task(_echo_server(q)) for q in queues]

    async def batch(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(
                *(_call(queues[i % CONCURRENT_KEYS], Ping(i)) for i in range(CONCURRENT_CALLS))
            )

    result = await h.measure_throughput(
        h.ASYNCIO, batch, settings, key="asyncio", ops_per_unit=CONCURRENT_CALLS, start_n=1
    )
    for task in tasks:
        task.cancel()
    return result


# --- direct await (informational) ---------------------------------------------------------


async def _echo(request: Ping) -> Pong:
    return Pong(request.n)


async def _driver(request: Run) -> int:
    for i in range(request.n):
        await _echo(Ping(i))
    return request.n


async def inline_agent_to_agent(settings: h.Settings) -> h.Measurement:
    async def batch(n: int) -> None:
        await _driver(Run(n))

    return await h.measure_throughput(h.INLINE, batch, settings, key="inline")


async def inline_outside(settings: h.Settings) -> h.Measurement:
    async def batch(n: int) -> None:
        for i in range(n):
            await _echo(Ping(i))

    return await h.measure_throughput(h.INLINE, batch, settings, key="inline")


async def inline_concurrent(settings: h.Settings) -> h.Measurement:
    async def batch(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(*(_echo(Ping(i)) for i in range(CONCURRENT_CALLS)))

    return await h.measure_throughput(
        h.INLINE, batch, settings, key="inline", ops_per_unit=CONCURRENT_CALLS, start_n=1
    )


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    fws = h.frameworks()
    cases = [
        (
            "RPC agent->agent (a handler awaits another agent, sequential)",
            framework_agent_to_agent,
            asyncio_agent_to_agent,
            inline_agent_to_agent,
        ),
        (
            "RPC from outside (runtime.send_message from the main task, sequential)",
            framework_outside,
            asyncio_outside,
            inline_outside,
        ),
        (
            f"RPC concurrent ({CONCURRENT_CALLS} gathered send_message calls over {CONCURRENT_KEYS} keys)",
            framework_concurrent,
            asyncio_concurrent,
            inline_concurrent,
        ),
    ]
    for title, on_framework, on_asyncio, on_inline in cases:
        results = [
            h.run_async(functools.partial(on_framework, fw.module, fw.label, fw.key, settings))
            for fw in fws
        ]
        results.append(h.run_async(functools.partial(on_asyncio, settings)))
        results.append(h.run_async(functools.partial(on_inline, settings)))
        summary = h.throughput_table(
            title, "rpc", results, target_vs_autogen=10.0, target_vs_asyncio=0.5
        )
        h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
