"""Import time: ``import parlay_core`` vs ``import autogen_core`` in fresh interpreters.

Each measurement runs a new ``python -c`` child (the same interpreter as this script) that reads
``time.perf_counter()``, imports the module and prints the elapsed seconds; interpreter start-up
is therefore excluded. One untimed warm-up child fills a private bytecode cache first (as an
installed package would have its ``.pyc`` files), then the timed children run one after the other.
We report the best and the median.

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


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    results = [
        h.repeat_subprocess(
            f"{fw.label} (import {fw.module_name})",
            fw.key,
            CHILD.format(module=fw.module_name),
            settings,
            report_inner=True,
        )
        for fw in h.frameworks()
    ]
    results.append(
        h.repeat_subprocess(
            f"{h.ASYNCIO} (import asyncio)",
            "asyncio",
            CHILD.format(module="asyncio"),
            settings,
            report_inner=True,
        )
    )
    summary = h.duration_table(
        "Import time (fresh interpreter, import only)",
        results,
        what="import",
        target_vs_autogen=1 / 3,
    )
    h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
