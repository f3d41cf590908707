"""AutoGen's distributed-runtime hello world, with its imports renamed, in two processes.

AutoGen's guide starts a ``GrpcWorkerAgentRuntimeHost`` and two ``GrpcWorkerAgentRuntime``
workers, each hosting a ``MyAgent`` subscribed to the default topic; the agents publish to each
other until each has published five messages. Here the host and worker2 run in this process and
worker1 in a second one; under the names, the host is a nats-server and the workers are NATS
workers. Run it with ``python examples/distributed/grpc_hello.py`` (it needs
``pip install "parlay-ext[grpc]"``).

Each part can also run on its own, in its own terminal::

    python examples/distributed/grpc_hello.py --host localhost:50051
    python examples/distributed/grpc_hello.py --worker worker1 localhost:50051
    python examples/distributed/grpc_hello.py --worker worker2 localhost:50051 --greet
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from dataclasses import dataclass

from parlay_core import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    default_subscription,
    message_handler,
)
from parlay_ext.runtimes.grpc import GrpcWorkerAgentRuntime, GrpcWorkerAgentRuntimeHost


@dataclass
class MyMessage:
    content: str


@default_subscription
class MyAgent(RoutedAgent):
    def __init__(self, name: str) -> None:
        super().__init__("My agent")
        self._name = name
        self._counter = 0

    @property
    def finished(self) -> bool:
        """Whether the peer's fifth message has arrived."""
        return self._counter > 5

    @message_handler
    async def my_message_handler(self, message: MyMessage, ctx: MessageContext) -> None:
        self._counter += 1
        if self._counter > 5:
            return
        content = f"{self._name}: Hello x {self._counter}"
        print(content, flush=True)
        await self.publish_message(MyMessage(content=content), DefaultTopicId())


async def run_host(address: str) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    host = GrpcWorkerAgentRuntimeHost(address=address)
    host.start()
    print(f"host serving at {address}", flush=True)
    await host.stop_when_signal()


async def run_worker(name: str, address: str, greet: bool) -> None:
    """Host one MyAgent; with ``greet``, say hello, wait for the exchange, and stop."""
    worker = GrpcWorkerAgentRuntime(host_address=address)
    await worker.start()
    await MyAgent.register(worker, name, lambda: MyAgent(name))
    print(f"{name} ready", flush=True)
    if not greet:
        await worker.stop_when_signal()
        return
    await worker.publish_message(MyMessage(content="Hello!"), DefaultTopicId())
    agent = await worker.try_get_underlying_agent_instance(AgentId(name, "default"), MyAgent)
    for _ in range(600):
        if agent.finished:
            break
        await asyncio.sleep(0.05)
    await worker.stop()


async def run_all() -> None:
    """The guide's program: the host, worker1 in a second process, worker2 here."""
    with socket.socket() as probe:  # a free port, so the example never collides with anything
        probe.bind(("127.0.0.1", 0))
        address = f"localhost:{probe.getsockname()[1]}"
    host = GrpcWorkerAgentRuntimeHost(address=address)
    host.start()
    print(f"host serving at {address}; starting worker1's process", flush=True)
    worker1 = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", "worker1", address, stdout=asyncio.subprocess.PIPE
    )
    assert worker1.stdout is not None
    try:
        print((await asyncio.wait_for(worker1.stdout.readline(), 60)).decode(), end="", flush=True)
        forward = asyncio.create_task(_forward(worker1.stdout))
        await run_worker("worker2", address, greet=True)
        worker1.terminate()  # its stop_when_signal() stops it
        await asyncio.wait_for(worker1.wait(), 30)
        await forward
    finally:
        if worker1.returncode is None:
            worker1.kill()
            await worker1.wait()
        await host.stop()
    print("grpc hello world finished", flush=True)


async def _forward(stream: asyncio.StreamReader) -> None:
    async for line in stream:
        print(line.decode(), end="", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="AutoGen's distributed hello world on Parlay.")
    role = parser.add_mutually_exclusive_group()
    role.add_argument("--host", metavar="ADDRESS", help="run only the host")
    role.add_argument("--worker", nargs=2, metavar=("NAME", "ADDRESS"), help="run one worker")
    parser.add_argument("--greet", action="store_true", help="the worker starts the exchange")
    args = parser.parse_args()
    if args.host:
        asyncio.run(run_host(args.host))
    elif args.worker:
        asyncio.run(run_worker(args.worker[0], args.worker[1], args.greet))
    else:
        asyncio.run(run_all())


if __name__ == "__main__":
    main()
