"""Run every benchmark (core runtime and AgentChat teams), one script after the other, then print a summary of the ratios.

Each script runs in its own interpreter (so that, for example, the 100,000 agents of one
benchmark do not weigh on the garbage collector of the next) and prints its own table; the
summary at the end collects Parlay's ratios against AutoGen and bare asyncio with the targets of
the design brief. Options (``--quick``, ``--repeats``, ``--min-time``, ``--runs``) are passed on
to every script. Exits non-zero if a script fails (never because a target is missed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import _harness as h

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_rpc.py",
    "bench_fanout.py",
    "bench_agents.py",
    "bench_import.py",
    "bench_cold_start.py",
    "bench_team.py",
    "bench_memory.py",
    "bench_nats.py",
]


def _load_summaries(path: str) -> list[h.Summary]:
    summaries: list[h.Summary] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            summaries.append(
                h.Summary(record["benchmark"], [h.Ratio(**r) for r in record["ratios"]])
            )
    return summaries


def print_summary(summaries: Sequence[h.Summary]) -> None:
    """One row per ratio: which benchmark, which ratio, its value and the target verdict."""
    rows: list[list[str]] = []
    for summary in summaries:
        for r in summary.ratios:
            if "(info)" in r.label:
                continue
            sign = ">=" if r.higher_is_better else "<="
            target = "" if r.target is None else f"{sign} {h.fmt_ratio(r.target, r.unit)}"
            verdict = {
                True: "met",
                False: "MISSED",
                None: "-" if r.target is None else "not measured",
            }[r.met]
            rows.append(
                [
                    summary.benchmark.split(" (")[0],
                    r.label,
                    "higher" if r.higher_is_better else "lower",
                    h.fmt_ratio(r.value, r.unit),
                    target,
                    verdict,
                ]
            )
    h.print_table(
        "Summary: Parlay against AutoGen and bare asyncio",
        ["benchmark", "figure", "better", "value", "target", "verdict"],
        rows,
        left=3,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    h.parse_args(__doc__, args)  # validates the options (and answers --help)
    print(f"Parlay core-runtime benchmarks: {h.describe_python()}")
    print("implementations: " + ", ".join([fw.label for fw in h.frameworks()] + [h.ASYNCIO]))
    if hasattr(os, "getloadavg"):
        print(
            f"load average before the run: {os.getloadavg()[0]:.2f} (other work on the machine skews figures)"
        )
    sys.stdout.flush()
    started = time.perf_counter()
    failed: list[str] = []
    fd, json_path = tempfile.mkstemp(prefix="parlay-bench-", suffix=".jsonl")
    os.close(fd)
    try:
        for script in SCRIPTS:
            print(f"\n### {script}")
            sys.stdout.flush()
            done = subprocess.run(
                [sys.executable, str(HERE / script), *args, "--json", json_path], check=False
            )
            if done.returncode != 0:
                failed.append(script)
        print_summary(_load_summaries(json_path))
    finally:
        os.unlink(json_path)
    print(f"\nTotal time: {time.perf_counter() - started:.1f} s")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
