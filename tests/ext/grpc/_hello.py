"""AutoGen's distributed hello world, imports renamed, as separate processes.

``python -m tests.ext.grpc._hello host ADDRESS``: run the host until SIGTERM (``stop_when_signal``);
prints ``ready <nats-server pid>``, then ``stopped``.

``python -m tests.ext.grpc._hello worker ADDRESS NAME [--greet PEER]``: a worker hosting
``MyAgent`` under the type NAME (subscribed to the default topic by ``default_subscription``),
which prints ``ready``; with ``--greet``, it then calls PEER's agent directly (an RPC) and publishes
the first ``MyMessage``. Each agent publishes a reply to every message until it has published
five. The worker runs until SIGTERM (``stop_when_signal``) and prints ``stopped``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


@dataclass
class Ping:
    sender: str


@dataclass
class Pong:
    content: str


@default_subscription
class MyAgent(RoutedAgent):
    def __init__(self, name: str) -> None:
        super().__init__("My agent")
        self._name = name
        self._counter = 0

    @message_handler
    async def my_message_handler(self, message: MyMessage, ctx: MessageContext) -> None:
        self._counter += 1
        if self._counter > 5:
            return
        content = f"{self._name}: Hello x {self._counter}"
        print(content, flush=True)
        await self.publish_message(MyMessage(content=content), DefaultTopicId())

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        return Pong(f"{self._name} (pid {os.getpid()}) answers {message.sender}")


async def run_host(address: str) -> None:
    host = GrpcWorkerAgentRuntimeHost(address=address)
    host.start()
    print(f"ready {host.pid}", flush=True)
    await host.stop_when_signal()
    print("stopped", flush=True)


async def run_worker(address: str, name: str, greet: str | None) -> None:
    worker = GrpcWorkerAgentRuntime(host_address=address)
    await worker.start()
    await MyAgent.register(worker, name, lambda: MyAgent(name))
    print("ready", flush=True)
    if greet is not None:
        pong = await worker.send_message(Ping(name), AgentId(greet, "default"))
        print(f"rpc: {pong.content}", flush=True)
        await worker.publish_message(MyMessage(content="Hello!"), DefaultTopicId())
    await worker.stop_when_signal()
    print("stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["host", "worker"])
    parser.add_argument("address")
    parser.add_argument("name", nargs="?", default="worker")
    parser.add_argument("--greet")
    args = parser.parse_args()
    if args.role == "host":
        asyncio.run(run_host(args.address))
    else:
        asyncio.run(run_worker(args.address, args.name, args.greet))


if __name__ == "__main__":
    main()
