"""Import time: ``import parlay_core`` vs ``import autogen_core`` in fresh interpreters.

Each measurement runs a new ``python -c`` child (the same interpreter as this script) that reads
``time.perf_counter()``, runs one import statement and prints the elapsed seconds; interpreter
start-up is therefore excluded. One untimed warm-up child per statement fills a private bytecode
cache first (as an installed package would have its ``.pyc`` files). The timed children then run
in rounds, one child per statement in each round, so a burst of load from other processes falls
on every row alike instead of on whichever happened to run then. An import is short, so there
are three times as many runs as ``--runs``. We report the best and the median.

Two tables: the bare ``import`` of each core module (the target is stated on it), and the import
line of a hello world (AutoGen's seed example: ``from autogen_core import AgentId, ...``), the
path a user meets first.

Baseline: ``import asyncio``, which every asyncio program pays anyway (both frameworks import it).

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

from collections.abc import Sequence

import _harness as h

CHILD = """\
import time
start = time.perf_counter()
{statement}
print(time.perf_counter() - start)
"""
IMPORT_RUNS_PER_RUN = 3
"""Timed children per statement for each of ``--runs`` (an import takes well under a second)."""
HELLO_WORLD_NAMES = (
    "AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler"
)
"""What a hello world (AutoGen's seed example) imports from the core module."""


def _interleaved(rows: Sequence[tuple[str, str, str]], runs: int) -> list[h.Measurement]:
    """Time each ``(label, key, statement)`` ``runs`` times, in alternating rounds."""
    codes = [CHILD.format(statement=statement) for _, _, statement in rows]
    for code in codes:  # warm-up: fills the bytecode cache
        h.subprocess_seconds(code, report_inner=True)
    seconds: list[list[float]] = [[] for _ in rows]
    for _ in range(runs):
        for times, code in zip(seconds, codes, strict=True):
            times.append(h.subprocess_seconds(code, report_inner=True))
    return [
        h.Measurement(label, 1, times, key)
        for (label, key, _), times in zip(rows, seconds, strict=True)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    frameworks = h.frameworks()
    bare = [
        (f"{fw.label} (import {fw.module_name})", fw.key, f"import {fw.module_name}")
        for fw in frameworks
    ]
    bare.append((f"{h.ASYNCIO} (import asyncio)", "asyncio", "import asyncio"))
    hello = [
        (
            f"{fw.label} (from {fw.module_name} import ...)",
            fw.key,
            f"from {fw.module_name} import {HELLO_WORLD_NAMES}",
        )
        for fw in frameworks
    ]
    # One set of rounds for both tables, so that their rows share the machine's conditions.
    results = _interleaved([*bare, *hello], IMPORT_RUNS_PER_RUN * settings.runs)
    bare_results, hello_results = results[: len(bare)], results[len(bare) :]
    summary = h.duration_table(
        "Import time (fresh interpreter, import only)",
        bare_results,
        what="import",
        target_vs_autogen=1 / 3,
    )
    hello_summary = h.duration_table(
        "Import time of a hello world's import line (fresh interpreter, import only)",
        [*hello_results, bare_results[-1]],  # the asyncio baseline of the first table
        what="hello-world import",
        notes=[f"(the line: from <core module> import {HELLO_WORLD_NAMES})"],
    )
    h.emit_summary(settings, summary)
    h.emit_summary(settings, hello_summary)


if __name__ == "__main__":
    main()
