"""The Parlay demo: what the framework is for, step by step.

Run it on a fresh machine with ``nox -s demo`` (see README.md).
"""

from __future__ import annotations

import asyncio
import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def step(number: int, title: str) -> None:
    print(f"\n=== Step {number}: {title} ===\n", flush=True)


async def main() -> None:
    started = time.perf_counter()
    step(1, "Hello World on the core runtime (the article's example, imports renamed)")
    hello = runpy.run_path(str(HERE / "hello_world.py"))
    await hello["main"]()

    step(
        2, "Publish/subscribe: one event, many subscribers, agents created lazily per topic source"
    )
    pubsub = runpy.run_path(str(HERE / "pubsub.py"))
    await pubsub["main"]()

    step(
        3,
        "An AgentChat team whose assistant calls a tool, streamed in the Console, on the "
        "default model",
    )
    print(
        "Using OpenAI or Anthropic if a key is set, otherwise the embedded offline model "
        "(SmolLM2-135M, loaded in this process on first use; its words make little sense, the "
        "tool call is real).",
        flush=True,
    )
    team = runpy.run_path(str(HERE / "team_tool_use.py"))
    await team["main"]()

    print(f"\nDemo finished in {time.perf_counter() - started:.2f}s.", flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
