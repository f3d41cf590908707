"""Memory of a long conversation: what a team holds per 1,000 messages of history.

A ``RoundRobinGroupChat`` of three ``AssistantAgent``s on the team benchmark's scripted model
client (it answers ``"ok"`` at once) runs one task for 3,000 turns (300 with ``--quick``), and the
team and its ``TaskResult`` stay alive: the history is the manager's message thread, each
agent's model context and the result's message list, as after any long run. The same program
runs on ``parlay_agentchat`` and ``autogen_agentchat``, each in a fresh interpreter, so nothing
else the process did shows in the figure.

Two figures per framework, both per 1,000 messages of history:

* **RSS**: the growth of the process's resident memory over the long run (read from
  ``/proc/self/statm``; on systems without it, the growth of the peak RSS). It is what the
  operating system sees, including allocator slack and arenas the run left partly used.
* **Python heap**: the net size of the Python objects the run allocated and still holds, from
  ``tracemalloc`` (in a separate child: tracing slows a run down and itself takes memory). It is
  the precise figure; RSS is the practical one.

Before the measured run, each child runs a short conversation on another team, so the one-time
costs (imports, caches, the first agents) are paid before the first reading. Baseline: the bare
asyncio team of ``bench_team.py`` (a list of dataclass messages as the thread and each agent's
context), with its history kept the same way.

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import _harness as h

HERE = Path(__file__).resolve().parent

CHILD = """\
import asyncio, gc, json, os, resource, sys, tracemalloc
sys.path.insert(0, {here!r})
import bench_team

TURNS = {turns}
TRACE = {trace}


def rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def framework(turns):
    import importlib
    agentchat = {module!r}.replace("_core", "_agentchat")
    agents_mod = importlib.import_module(agentchat + ".agents")
    teams_mod = importlib.import_module(agentchat + ".teams")
    client = bench_team._scripted_client_class(importlib.import_module({module!r} + ".models"))
    agents = [agents_mod.AssistantAgent(f"agent{{i}}", client()) for i in range(3)]
    team = teams_mod.RoundRobinGroupChat(agents, max_turns=turns)
    result = await team.run(task="Take turns.")
    assert len(result.messages) == turns + 1
    return team, result


async def baseline(turns):
    # bench_team's bare asyncio team, keeping its thread and its agents' contexts.
    agents = [bench_team._Agent(f"agent{{i}}", asyncio.Queue()) for i in range(3)]
    tasks = [asyncio.create_task(bench_team._serve(agent)) for agent in agents]
    thread = [bench_team._Message("user", "Take turns.")]
    buffers = {{agent.name: list(thread) for agent in agents}}
    loop = asyncio.get_running_loop()
    for turn in range(turns):
        agent = agents[turn % 3]
        delta = list(buffers[agent.name])
        buffers[agent.name].clear()
        reply = loop.create_future()
        await agent.queue.put((delta, reply))
        answer = await reply
        thread.append(answer)
        for other in agents:
            if other is not agent:
                buffers[other.name].append(answer)
    for task in tasks:
        task.cancel()
    return agents, thread


run = baseline if {module!r} == "asyncio" else framework


async def main():
    warm = await run(30)
    gc.collect()
    if TRACE:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = rss()
    kept = await run(TURNS)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0] if TRACE else rss()
    print(json.dumps(after - before))


asyncio.run(main())
"""


def _child(module: str, turns: int, trace: bool) -> int:
    code = CHILD.format(here=str(HERE), module=module, turns=turns, trace=trace)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=h.child_env(),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory benchmark child failed ({done.returncode}):\n{done.stderr}")
    return int(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    turns = 300 if settings.quick else 3_000
    implementations = [(fw.label, fw.key, fw.module_name) for fw in h.frameworks()]
    implementations.append((h.ASYNCIO, "asyncio", "asyncio"))
    rows: list[list[str]] = []
    per_k: dict[str, tuple[float, float]] = {}
    for label, key, module in implementations:
        # RSS moves in pages and arenas: the smallest growth of a few runs is the least noisy.
        rss = min(_child(module, turns, trace=False) for _ in range(1 if settings.quick else 3))
        heap = _child(module, turns, trace=True)
        scale = 1000 / turns
        per_k[key] = (rss * scale, heap * scale)
        rows.append(
            [label, f"{rss * scale / 1e6:,.2f}", f"{heap * scale / 1e6:,.2f}", f"{turns:,}"]
        )
    notes = [
        "(lower is better; MB = 10^6 bytes; history = the team, its agents' model contexts and "
        "the TaskResult, kept alive)"
    ]
    ratios = [
        h.Ratio(
            "Parlay/AutoGen RSS per 1,000 messages",
            h.ratio(per_k["parlay"][0], per_k["autogen"][0]) if "autogen" in per_k else None,
            False,
        ),
        h.Ratio(
            "Parlay/AutoGen Python heap per 1,000 messages",
            h.ratio(per_k["parlay"][1], per_k["autogen"][1]) if "autogen" in per_k else None,
            False,
        ),
    ]
    title = "Memory of a team's history (3 AssistantAgents in turn, per 1,000 messages)"
    h.print_table(
        title,
        ["implementation", "RSS MB/1k msg", "Python heap MB/1k msg", "messages"],
        rows,
        [*notes, *(r.describe() for r in ratios)],
    )
    h.emit_summary(settings, h.Summary(title, ratios))


if __name__ == "__main__":
    main()
