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

    print(f"\nDemo finished in {time.perf_counter() - started:.2f}s.", flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
