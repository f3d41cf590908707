"""The benchmark scripts run and print their tables (figures are never asserted).

``run_all.py --quick`` runs every benchmark with tiny sizes, in a subprocess with this
interpreter; without AutoGen installed the AutoGen rows are skipped with a printed note. This
keeps the scripts from rotting as the runtime changes; timings are the scripts' business only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

# The title of every table run_all.py must print, one per benchmark plus the summary.
TABLES = [
    "== RPC agent->agent",
    "== RPC from outside",
    "== RPC concurrent",
    "== Publish fan-out",
    "== Publish to 1,000 subscribers",
    "== Creating 2,000 agents lazily",
    "== Import time",
    "== Cold start of a hello world",
    "== Team overhead, bare model client",
    "== Team overhead, replay client",
    "== Team with peers",
    "== Memory of a team's history",
    "== Summary: Parlay against AutoGen and bare asyncio",
]


def test_run_all_quick_prints_every_table() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    for title in TABLES:
        assert title in result.stdout, (
            f"run_all.py --quick printed no {title!r} table:\n{result.stdout}"
        )
    # Each benchmark table has Parlay and the asyncio baseline as rows, and ratio lines.
    parlay_rows = [line for line in result.stdout.splitlines() if line.startswith("Parlay ")]
    assert len(parlay_rows) >= 7, result.stdout
    assert "asyncio baseline" in result.stdout
    assert "Parlay/asyncio" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_each_script_has_a_quick_mode() -> None:
    scripts = sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))
    run_all = (BENCHMARKS / "run_all.py").read_text(encoding="utf-8")
    assert scripts, "no benchmark scripts found"
    for script in scripts:
        assert f'"{script}"' in run_all, f"run_all.py does not run {script}"
