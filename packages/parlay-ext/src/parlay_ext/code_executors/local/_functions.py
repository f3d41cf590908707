"""Making functions available to executed code: the module file and its packages."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from parlay_core import CancellationToken
from parlay_core.exceptions import CodeExecutionError
from parlay_ext.code_executors.local._process import ProcessOutcome, run_process

__all__ = ["prepare_functions"]

# Run by the code's interpreter: print each requirement that is not installed (or whose
# installed version does not match, where ``packaging`` is there to tell).
_FIND_MISSING = """
import re, sys
from importlib import metadata
for requirement in sys.argv[1:]:
    name = re.split(r"[\\s\\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0]
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        print(requirement)
        continue
    if requirement.strip() != name:
        try:
            from packaging.requirements import Requirement
        except ImportError:
            print(requirement)
            continue
        if not Requirement(requirement).specifier.contains(version, prereleases=True):
            print(requirement)
"""

_SETUP_TIMEOUT = 600.0
_OUTPUT_CAP = 200_000


async def _run(
    command: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    cancellation_token: CancellationToken,
) -> ProcessOutcome:
    task = asyncio.ensure_future(
        run_process(command, cwd=cwd, env=env, timeout=_SETUP_TIMEOUT, max_output_bytes=_OUTPUT_CAP)
    )
    cancellation_token.link_future(task)
    try:
        return await task
    except OSError as exc:
        raise CodeExecutionError(
            f"Could not start {command[0]!r} to prepare the functions module: {exc}."
        ) from exc


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


async def prepare_functions(
    *,
    python: str,
    work_dir: Path,
    module: str,
    source: str,
    packages: Sequence[str],
    env: Mapping[str, str],
    cancellation_token: CancellationToken,
) -> None:
    """Write ``module`` into ``work_dir``, install missing ``packages``, and check the import.

    Packages already installed for ``python`` are not reinstalled, so nothing is downloaded
    when the environment has them.

    Raises:
        CodeExecutionError: A package could not be installed, or the module fails to import.
    """
    (work_dir / f"{module}.py").write_text(source, encoding="utf-8")
    if packages:
        found = await _run(
            [python, "-c", _FIND_MISSING, *packages],
            cwd=work_dir,
            env=env,
            cancellation_token=cancellation_token,
        )
        if found.exit_code != 0:
            raise CodeExecutionError(
                f"Could not check the packages the functions need ({', '.join(packages)}):\n"
                f"{_tail(found.output)}"
            )
        missing = [line.strip() for line in found.output.splitlines() if line.strip()]
        if missing:
            installed = await _run(
                [python, "-m", "pip", "install", "--disable-pip-version-check", *missing],
                cwd=work_dir,
                env=env,
                cancellation_token=cancellation_token,
            )
            if installed.exit_code != 0:
                raise CodeExecutionError(
                    f"Could not install the packages the functions need "
                    f"({', '.join(missing)}) with {python} -m pip. Install them into the "
                    f"environment the code runs in and try again.\n{_tail(installed.output)}"
                )
    checked = await _run(
        [python, "-c", f"import {module}"],
        cwd=work_dir,
        env=env,
        cancellation_token=cancellation_token,
    )
    if checked.exit_code != 0:
        raise CodeExecutionError(
            f"The functions module {module!r} does not import; check each function's "
            f"global_imports and python_packages:\n{_tail(checked.output)}"
        )
