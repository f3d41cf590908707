"""Run AutoGen 0.7.5's own test suites against Parlay, with imports renamed.

Nothing of AutoGen is kept in this repository: the run downloads the ``autogen-core`` and
``autogen-agentchat`` source distributions (they carry AutoGen's ``tests/``) from the package
index, copies their tests into a work folder, renames the imports the way a user porting a
project would (``autogen_core`` -> ``parlay_core``, ``autogen_agentchat`` -> ``parlay_agentchat``,
``autogen_ext`` -> ``parlay_ext``), and runs them with pytest against the installed Parlay.

Private import paths: AutoGen's tests sometimes import a public name from a private module
(``from autogen_core._default_subscription import default_subscription``). Each such name is
imported instead from the nearest public Parlay package at or above that module that exports it
(here ``parlay_core``), and the test counts as a public-API test. A name that Parlay does not
export publicly becomes a placeholder: the file still imports, and a test that uses the name fails
with ``PrivateAutoGenName`` and is counted as a private-API test, reported but left out of the
public-API pass rate. So is a test that fails reaching for a private attribute of an object
(``runtime._process_next()``): the names behind an underscore are not part of the promise.

The run prints how many tests ran, passed, failed and were skipped, the public-API pass rate, and
every failure grouped by cause. It exits non-zero when a test fails that is not listed in
``divergences.toml`` (the deliberate, documented differences), so it guards compatibility.

Usage: ``nox -s autogen_compat``, or in its environment
``python compat/autogen/run.py [--suite autogen-agentchat] [--work DIR] [tests/test_x.py] [pytest args]``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VERSION = "0.7.5"
SUITES = ("autogen-core", "autogen-agentchat")
RENAMES = {
    "autogen_core": "parlay_core",
    "autogen_agentchat": "parlay_agentchat",
    "autogen_ext": "parlay_ext",
}
_PRIVATE_ATTRIBUTE = re.compile(r"^AttributeError: .* has no attribute '_[^_']")
_RENAME = re.compile(r"\b(" + "|".join(RENAMES) + r")\b")
# AutoGen's tests do not declare a default asyncio mode; they mark each test.
PYTEST_INI = """\
[pytest]
asyncio_default_fixture_loop_scope = session
timeout = 60
addopts = -p no:cacheprovider -q -rfE
"""


@dataclass
class Outcome:
    """One test's result, as the junit report gives it."""

    nodeid: str
    status: str  # passed | failed | skipped
    cause: str = ""

    @property
    def private(self) -> bool:
        """Whether the test failed because it reached for something private to AutoGen.

        That is a name from a private module with no public home in Parlay, or a private
        attribute (``runtime._process_next``) of an object.
        """
        return "PrivateAutoGenName" in self.cause or bool(_PRIVATE_ATTRIBUTE.search(self.cause))


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self, *, private: bool) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for outcome in self.outcomes:
            if outcome.private == private:
                counts[outcome.status] += 1
        return counts


def fetch(cache: Path) -> dict[str, Path]:
    """Download and unpack the source distributions once; return each suite's folder."""
    cache.mkdir(parents=True, exist_ok=True)
    folders: dict[str, Path] = {}
    for dist in SUITES:
        folder = cache / f"{dist.replace('-', '_')}-{VERSION}"
        if not (folder / "tests").is_dir():
            print(f"Downloading the {dist}=={VERSION} source distribution ...", flush=True)
            subprocess.run(
                [
                    sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", ":all:", f"{dist}=={VERSION}", "--dest", str(cache),
                ],
                check=True,
            )  # fmt: skip
            archive = next(cache.glob(f"{dist.replace('-', '_')}-{VERSION}.tar.gz"))
            with tarfile.open(archive) as tar:
                tar.extractall(cache, filter="data")
        folders[dist] = folder
    return folders


def _public_home(module: str, name: str) -> str | None:
    """The nearest public package at or above ``module`` that exports ``name``."""
    parts = module.split(".")
    first_private = next((i for i, part in enumerate(parts) if part.startswith("_")), len(parts))
    for end in range(first_private, 0, -1):
        candidate = ".".join(parts[:end])
        try:
            package = importlib.import_module(candidate)
        except ImportError:
            continue
        if hasattr(package, name):
            return candidate
    return None


def rewrite(source: str) -> tuple[str, list[str]]:
    """Rename AutoGen's packages and map private imports to public ones.

    Each name imported from a private module is imported from the nearest public package that
    exports it. A name with no public home becomes a placeholder that fails the test using it.

    Returns:
        The rewritten source and the private names that have no public home.
    """
    source = _RENAME.sub(lambda m: RENAMES[m.group(1)], source)
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    unresolved: list[str] = []
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        parts = node.module.split(".")
        if parts[0] not in RENAMES.values() or not any(p.startswith("_") for p in parts):
            continue
        statements: list[str] = []
        for alias in node.names:
            bound = alias.asname or alias.name
            home = _public_home(node.module, alias.name)
            if home is None:
                unresolved.append(f"{node.module}.{alias.name}")
                statements.append(
                    f"{bound} = __import__('_autogen_private').private({node.module!r}, {alias.name!r})"
                )
            else:
                statements.append(f"from {home} import {alias.name} as {bound}")
        indent = lines[node.lineno - 1][: node.col_offset]
        text = "".join(f"{indent}{statement}\n" for statement in statements)
        edits.append((node.lineno, node.end_lineno or node.lineno, text))
    for start, end, text in sorted(edits, reverse=True):
        lines[start - 1 : end] = [text]
    return "".join(lines), unresolved


def prepare(folders: dict[str, Path], work: Path) -> None:
    """Copy each suite's tests into ``work``, rewritten."""
    if work.exists():
        shutil.rmtree(work)
    for dist, folder in folders.items():
        target = work / dist
        shutil.copytree(folder / "tests", target / "tests")
        (target / "pytest.ini").write_text(PYTEST_INI)
        for path in sorted((target / "tests").rglob("*.py")):
            text, unresolved = rewrite(path.read_text())
            path.write_text(text)
            if unresolved:
                relative = path.relative_to(target).as_posix()
                print(f"  {dist}/{relative}: no public home for {', '.join(unresolved)}")


def _count_tests(path: Path) -> int:
    """Test functions in a file (parametrize lists expanded), for files that fail to import."""
    total = 0
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            count = 1
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func).endswith("parametrize")
                    and len(decorator.args) >= 2
                    and isinstance(decorator.args[1], ast.List | ast.Tuple)
                ):
                    count *= max(1, len(decorator.args[1].elts))
            total += count
    return total


def _cause(element: ET.Element) -> str:
    """One line that says why a test failed (or was skipped)."""
    message = element.get("message") or ""
    text = element.text or ""
    if message in ("", "collection failure") or message.startswith("failed on setup"):
        errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
        message = errors[-1] if errors else (message or element.tag)
    first = message.strip().splitlines()[0] if message.strip() else element.tag
    return re.sub(r"0x[0-9a-f]+", "0x..", first)[:160]


def run_suite(dist: str, folder: Path, extra: list[str]) -> list[Outcome]:
    """Run one suite with pytest and read its junit report."""
    report = folder / "report.xml"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    print(f"\nRunning {dist}'s tests ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--continue-on-collection-errors",
            f"--junitxml={report}",
            "-o",
            "junit_family=xunit1",
            *(extra if any(arg.startswith("tests") for arg in extra) else ["tests", *extra]),
        ],
        cwd=folder,
        env=env,
        check=False,
    )
    outcomes: list[Outcome] = []
    for case in ET.parse(report).getroot().iter("testcase"):
        status, cause = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                status, cause = "failed", _cause(child)
                break
            if child.tag == "skipped":
                status, cause = "skipped", _cause(child)
        classname, name = case.get("classname", ""), case.get("name", "")
        if not classname:  # a collection error: the whole file failed to import
            relative = name.replace(".", "/") + ".py"
            count = _count_tests(folder / relative) if (folder / relative).exists() else 1
            outcomes += [
                Outcome(f"{dist}/{relative}::<not collected #{index + 1}>", "failed", cause)
                for index in range(max(1, count))
            ]  # fmt: skip
            continue
        relative = case.get("file") or classname.replace(".", "/") + ".py"
        inner = classname.split(".")[len(Path(relative).with_suffix("").parts) :]
        nodeid = "::".join([f"{dist}/{relative}", *inner, name])
        outcomes.append(Outcome(nodeid, status, cause))
    return outcomes


def load_divergences() -> dict[str, dict[str, str]]:
    data = tomllib.loads((HERE / "divergences.toml").read_text())
    return {entry["test"]: entry for entry in data.get("divergence", [])}


def summarize(report: Report, divergences: dict[str, dict[str, str]]) -> int:
    public = report.counts(private=False)
    private = report.counts(private=True)
    ran = public["passed"] + public["failed"]
    rate = 100.0 * public["passed"] / ran if ran else 0.0
    print("\n==================== AutoGen 0.7.5 test suites on Parlay ====================")
    print(
        f"public-API tests: {ran + public['skipped']} collected, {public['passed']} passed, "
        f"{public['failed']} failed, {public['skipped']} skipped"
    )
    print(f"public-API pass rate: {rate:.1f}% (passed / (passed + failed))")
    print(
        f"private-API tests (not in the rate): {private['passed']} passed, "
        f"{private['failed']} failed, {private['skipped']} skipped"
    )
    failed = [o for o in report.outcomes if o.status == "failed"]
    by_cause: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in failed:
        by_cause[outcome.cause].append(outcome)
    if by_cause:
        print("\nFailures by cause:")
    for cause, outcomes in sorted(by_cause.items(), key=lambda item: -len(item[1])):
        print(f"\n  [{len(outcomes)}] {cause}")
        for outcome in outcomes:
            mark = " (listed divergence)" if outcome.nodeid in divergences else ""
            mark += " (private API)" if outcome.private else ""
            print(f"      {outcome.nodeid}{mark}")
    unexpected = [o for o in failed if o.nodeid not in divergences and not o.private]
    passing = {o.nodeid for o in report.outcomes if o.status == "passed"}
    stale = sorted(set(divergences) & passing)
    for nodeid in stale:
        print(
            f"\nnote: {nodeid} is listed in divergences.toml but passed; remove it from the list."
        )
    print(
        f"\n{public['passed']} passed, {public['failed']} failed, {public['skipped']} skipped "
        f"(public API; {rate:.1f}%)"
    )
    if unexpected:
        print(f"\n{len(unexpected)} public-API failure(s) are not listed in divergences.toml.")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".nox" / "autogen-compat")
    parser.add_argument("--suite", choices=SUITES, action="append", help="run only this suite")
    parser.add_argument("--work", type=Path, help="the folder for the rewritten tests")
    args, extra = parser.parse_known_args()
    folders = fetch(args.cache)
    if args.suite:
        folders = {dist: folders[dist] for dist in args.suite}
    work = args.work or args.cache / "work"
    print("Renaming imports ...")
    prepare(folders, work)
    report = Report()
    for dist in folders:
        report.outcomes += run_suite(dist, work / dist, extra)
    return summarize(report, load_divergences())


if __name__ == "__main__":
    sys.exit(main())
