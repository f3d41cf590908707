"""Import time: ``import parlay_core`` vs ``import autogen_core`` in fresh interpreters.

Each measurement runs a new ``python -c`` child (the same interpreter as this script) that reads
``time.perf_counter()``, imports the module and prints the elapsed seconds; interpreter start-up
is therefore excluded. One untimed warm-up child per module fills a private bytecode cache first
(as an installed package would have its ``.pyc`` files). The timed children then run in rounds,
one child per module in each round, so a burst of load from other processes falls on every
module alike instead of on whichever happened to run then. An import is short, so there are
three times as many runs as ``--runs``. We report the best and the median.

Baseline: ``import asyncio``, which every asyncio program pays anyway (both frameworks import it).

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

from collections.abc import Sequence

import _harness as h

CHILD = """\
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""
IMPORT_RUNS_PER_RUN = 3
"""Timed children per module for each of ``--runs`` (an import takes well under a second)."""


def _interleaved(rows: Sequence[tuple[str, str, str]], runs: int) -> list[h.Measurement]:
    """Time ``import`` of each ``(label, key, module)`` ``runs`` times, in alternating rounds."""
    codes = [CHILD.format(module=module) for _, _, module in rows]
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
    rows = [
        (f"{fw.label} (import {fw.module_name})", fw.key, fw.module_name) for fw in h.frameworks()
    ]
    rows.append((f"{h.ASYNCIO} (import asyncio)", "asyncio", "asyncio"))
    results = _interleaved(rows, IMPORT_RUNS_PER_RUN * settings.runs)
    summary = h.duration_table(
        "Import time (fresh interpreter, import only)",
        results,
        what="import",
        target_vs_autogen=1 / 3,
    )
    h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
