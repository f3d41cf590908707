"""Shared machinery for the benchmark scripts: frameworks, timing loops, tables and the summary.

The scripts in this folder are thin: each defines its workload once, as a function of the
framework module (``parlay_core`` or ``autogen_core``, whose public APIs match), plus a bare
asyncio version of the same work, and hands them to the helpers here.

Timing rules, the same for every implementation:

* A throughput workload is a coroutine ``batch(n)`` that performs ``n`` units of work. The first
  calls warm up the code paths and calibrate ``n`` so that one timed repeat lasts about
  ``min_time`` seconds; then ``repeats`` timed calls follow, each after a ``gc.collect()``. The
  garbage collector stays enabled during the timed calls, as in a real program.
* We report the best repeat (the least disturbed by other processes) and the median. Ratios are
  computed from the best repeats.
* One-shot workloads (a subprocess, or creating 100,000 agents) are run several times and also
  reported as best and median.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import functools
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import TypeVar

ASYNCIO = "asyncio baseline"
INLINE = "asyncio direct await (info)"
INFO_ROWS = {"inline": "direct-await", "task": "task-per-delivery"}
"""Informational extra rows (by :attr:`Measurement.key`): a ratio is printed, with no target."""
T = TypeVar("T")
AUTOGEN_VERSION = "0.7.5"
"""The AutoGen release the performance targets are stated against."""


# --- command line --------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How hard a benchmark run works."""

    quick: bool
    """Small sizes and a single repeat: proves the scripts run, measures nothing reliable."""
    repeats: int
    """Timed repeats per throughput measurement."""
    min_time: float
    """Seconds one timed repeat should last (the batch size is calibrated to it)."""
    runs: int
    """Subprocess runs per import or cold-start measurement."""
    json_path: str | None
    """If set, append one JSON line per benchmark summary to this file (used by run_all.py)."""


def parse_args(doc: str | None, argv: Sequence[str] | None = None) -> Settings:
    """Parse the options every benchmark script accepts (``doc``: the script's docstring)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (a smoke run)")
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed repeats (default 5, quick 1)"
    )
    parser.add_argument(
        "--min-time", type=float, default=None, help="seconds per timed repeat (default 0.25)"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="subprocess runs for import/cold start (default 7)"
    )
    parser.add_argument("--json", default=None, help="append summary records to this file")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    return Settings(
        quick=quick,
        repeats=args.repeats or (1 if quick else 5),
        min_time=args.min_time or (0.01 if quick else 0.25),
        runs=args.runs or (2 if quick else 7),
        json_path=args.json,
    )


# --- frameworks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Framework:
    """One agent framework under test."""

    key: str
    """``"parlay"`` or ``"autogen"``."""
    label: str
    """Name and version, as printed in tables."""
    module_name: str
    """``"parlay_core"`` or ``"autogen_core"``."""

    @property
    def module(self) -> ModuleType:
        """The framework's core module (imported on first use)."""
        return importlib.import_module(self.module_name)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


PARLAY = Framework("parlay", f"Parlay {_version('parlay-core')}", "parlay_core")


def autogen() -> Framework | None:
    """AutoGen's core, or None (with a printed note) when ``autogen_core`` is not importable."""
    if importlib.util.find_spec("autogen_core") is None:
        print(
            f"note: autogen_core is not importable, so the AutoGen column is skipped. Install "
            f"autogen-core=={AUTOGEN_VERSION} (or run `nox -s benchmarks`) to compare."
        )
        return None
    version = _version("autogen-core")
    if version != AUTOGEN_VERSION:
        print(
            f"note: autogen-core {version} is installed; the targets are stated against {AUTOGEN_VERSION}."
        )
    return Framework("autogen", f"AutoGen {version}", "autogen_core")


def frameworks() -> list[Framework]:
    """Parlay, then AutoGen if it is importable."""
    found = autogen()
    return [PARLAY] if found is None else [PARLAY, found]


# --- measurements --------------------------------------------------------------------------


@dataclass
class Measurement:
    """Timed repeats of one implementation doing ``ops`` units of work per repeat."""

    name: str
    """The row label."""
    ops: int
    seconds: list[float]
    key: str = ""
    """``"parlay"``, ``"autogen"`` or ``"asyncio"`` (what the ratios compare); empty for extra rows."""

    @property
    def best(self) -> float:
        """Seconds of the fastest repeat."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        """Median seconds per repeat."""
        return statistics.median(self.seconds)

    @property
    def best_rate(self) -> float:
        """Operations per second in the fastest repeat."""
        return self.ops / self.best

    @property
    def median_rate(self) -> float:
        """Operations per second at the median repeat."""
        return self.ops / self.median


Batch = Callable[[int], Awaitable[None]]


async def _timed(batch: Batch, n: int) -> float:
    start = time.perf_counter()
    await batch(n)
    return time.perf_counter() - start


async def measure_throughput(
    name: str,
    batch: Batch,
    settings: Settings,
    *,
    key: str,
    ops_per_unit: int = 1,
    start_n: int = 16,
    max_n: int = 10_000_000,
) -> Measurement:
    """Warm up, calibrate the batch size to ``settings.min_time`` and time ``settings.repeats`` batches.

    Args:
        name: The implementation's label.
        key: ``"parlay"``, ``"autogen"``, ``"asyncio"`` or ``""`` (see :attr:`Measurement.key`).
        batch: ``await batch(n)`` performs ``n`` units of work.
        settings: Repeats and target duration.
        ops_per_unit: Operations counted per unit (for example 10 deliveries per publish).
        start_n: The first warm-up size.
        max_n: Never run more units than this in one batch.
    """
    n = start_n
    elapsed = await _timed(batch, n)  # first call: code paths warm, agents created
    # Grow the batch until it takes a measurable share of the target, then scale to the target.
    while elapsed < settings.min_time / 8 and n < max_n:
        n = min(max_n, n * 4)
        elapsed = await _timed(batch, n)
    n = max(1, min(max_n, round(n * settings.min_time / max(elapsed, 1e-9))))
    seconds: list[float] = []
    for _ in range(settings.repeats):
        gc.collect()
        seconds.append(await _timed(batch, n))
    return Measurement(name, n * ops_per_unit, seconds, key)


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run one implementation's measurement in a fresh event loop."""

    async def main() -> T:
        return await factory()

    return asyncio.run(main())


# --- tables --------------------------------------------------------------------------------


def fmt_rate(value: float) -> str:
    """Operations per second with thousands separators."""
    return f"{value:,.0f}"


def fmt_us(seconds: float) -> str:
    """Seconds as microseconds."""
    return f"{seconds * 1e6:,.2f}"


def fmt_ms(seconds: float) -> str:
    """Seconds as milliseconds."""
    return f"{seconds * 1e3:,.1f}"


def fmt_ratio(value: float | None, unit: str = "x") -> str:
    """A ratio such as ``12.3x`` (or a value with another unit), or ``n/a``."""
    if value is None:
        return "n/a"
    if unit != "x":
        return f"{value:,.0f}{unit}"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def print_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str] = (),
    *,
    left: int = 1,
) -> None:
    """Print an aligned table: the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    print()
    print(f"== {title} ==")
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    for note in notes:
        print(note)
    sys.stdout.flush()


@dataclass
class Ratio:
    """A comparison of Parlay with another implementation, with the target it is held to."""

    label: str
    """For example ``"Parlay/AutoGen throughput"``."""
    value: float | None
    """None when the other implementation was skipped."""
    higher_is_better: bool
    target: float | None = None
    """The design target, in the same direction as ``value``; None if there is none."""
    unit: str = "x"
    """``"x"`` for a ratio; another suffix (such as ``" B"``) for an absolute figure."""

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None without a target or a value)."""
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def describe(self) -> str:
        """One line: the ratio, its direction and the target verdict."""
        direction = "higher is better" if self.higher_is_better else "lower is better"
        text = f"{self.label} ({direction}): {fmt_ratio(self.value, self.unit)}"
        if self.target is not None:
            sign = ">=" if self.higher_is_better else "<="
            verdict = {True: "met", False: "MISSED", None: "not measured"}[self.met]
            text += f"   [target {sign} {fmt_ratio(self.target, self.unit)}: {verdict}]"
        return text


@dataclass
class Summary:
    """One benchmark's headline, collected by run_all.py into the final table."""

    benchmark: str
    ratios: list[Ratio] = field(default_factory=list[Ratio])


def emit_summary(settings: Settings, summary: Summary) -> None:
    """Append ``summary`` to the JSON file run_all.py reads, if one was given."""
    if settings.json_path is None:
        return
    record = {"benchmark": summary.benchmark, "ratios": [asdict(r) for r in summary.ratios]}
    with open(settings.json_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or None if either is missing."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def throughput_table(
    title: str,
    unit: str,
    results: Sequence[Measurement],
    *,
    target_vs_autogen: float | None = None,
    target_vs_asyncio: float | None = None,
    notes: Sequence[str] = (),
) -> Summary:
    """Print a throughput table (``unit``/s, higher is better) with Parlay's ratios; return its summary."""
    rows = [
        [
            m.name,
            fmt_rate(m.best_rate),
            fmt_rate(m.median_rate),
            fmt_us(m.best / m.ops),
            f"{len(m.seconds)} x {m.ops:,}",
        ]
        for m in results
    ]
    headers = [
        "implementation",
        f"{unit}/s best",
        f"{unit}/s median",
        f"us/{unit} best",
        f"repeats x {unit}",
    ]
    best = {m.key: m.best_rate for m in results if m.key}
    p = best.get("parlay")
    ratios = [
        Ratio("Parlay/AutoGen throughput", ratio(p, best.get("autogen")), True, target_vs_autogen),
        Ratio("Parlay/asyncio throughput", ratio(p, best.get("asyncio")), True, target_vs_asyncio),
    ]
    for key, label in INFO_ROWS.items():
        if key in best:
            ratios.append(Ratio(f"Parlay/{label} throughput (info)", ratio(p, best[key]), True))
    print_table(
        title,
        headers,
        rows,
        [
            f"(higher {unit}/s is better; ratios use the best repeats)",
            *notes,
            *(r.describe() for r in ratios),
        ],
    )
    return Summary(title, ratios)


def duration_table(
    title: str,
    results: Sequence[Measurement],
    *,
    what: str,
    target_vs_autogen: float | None = None,
    notes: Sequence[str] = (),
) -> Summary:
    """Print a table of one-shot durations (ms, lower is better) with Parlay's time ratios."""
    rows = [[m.name, fmt_ms(m.best), fmt_ms(m.median), str(len(m.seconds))] for m in results]
    best = {m.key: m.best for m in results if m.key}
    p = best.get("parlay")
    ratios = [
        Ratio(
            f"Parlay/AutoGen {what} time", ratio(p, best.get("autogen")), False, target_vs_autogen
        ),
        Ratio(f"Parlay/asyncio {what} time", ratio(p, best.get("asyncio")), False),
    ]
    print_table(
        title,
        ["implementation", "ms best", "ms median", "runs"],
        rows,
        ["(lower ms is better; ratios use the best runs)", *notes, *(r.describe() for r in ratios)],
    )
    return Summary(title, ratios)


# --- subprocesses --------------------------------------------------------------------------


@functools.cache
def _pycache_dir() -> str:
    """A private bytecode cache for the timed children, removed when this process exits."""
    path = tempfile.mkdtemp(prefix="parlay-bench-pycache-")
    atexit.register(shutil.rmtree, path, True)
    return path


def child_env() -> dict[str, str]:
    """The environment for timed child interpreters.

    Ours, minus settings that slow a child down (tracing, dev mode), and with bytecode caching
    forced on into a private cache folder: an installed package has its ``.pyc`` files, so import
    times without them (``PYTHONDONTWRITEBYTECODE`` is common in containers) would mostly measure
    the compiler. The warm-up run of each measurement fills the cache.
    """
    env = dict(os.environ)
    for name in (
        "PYTHONTRACEMALLOC",
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONDEVMODE",
        "PYTHONASYNCIODEBUG",
        "PYTHONDONTWRITEBYTECODE",
    ):
        env.pop(name, None)
    env["PYTHONPYCACHEPREFIX"] = _pycache_dir()
    return env


def subprocess_seconds(code: str, *, report_inner: bool, expect: str | None = None) -> float:
    """Run ``code`` in a fresh interpreter (``sys.executable``) and return seconds.

    With ``report_inner`` the child must print one float (seconds it measured itself) as its
    last output line; otherwise the parent's wall time of the whole child is returned.

    Raises:
        RuntimeError: The child failed, or its output lacks ``expect``.
    """
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), check=False
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr}")
    if expect is not None and expect not in done.stdout:
        raise RuntimeError(f"benchmark child printed {done.stdout!r}, expected {expect!r} in it")
    if report_inner:
        return float(done.stdout.strip().splitlines()[-1])
    return wall


def repeat_subprocess(
    name: str,
    key: str,
    code: str,
    settings: Settings,
    *,
    report_inner: bool,
    expect: str | None = None,
) -> Measurement:
    """One warm-up run (fills the bytecode cache), then ``settings.runs`` timed runs."""
    subprocess_seconds(code, report_inner=report_inner, expect=expect)
    seconds = [
        subprocess_seconds(code, report_inner=report_inner, expect=expect)
        for _ in range(settings.runs)
    ]
    return Measurement(name, 1, seconds, key)


def describe_python() -> str:
    """The interpreter and machine, for the header of a run."""
    return f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs"
