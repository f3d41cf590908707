"""LocalCommandLineCodeExecutor(functions=[...]): functions that executed code can import."""

from __future__ import annotations

import json
import sys
import venv
from collections.abc import Callable
from pathlib import Path
from statistics import mean

import pytest

from parlay_core import CancellationToken
from parlay_core.code_executor import (
    CodeBlock,
    FunctionWithRequirements,
    ImportFromModule,
    build_python_functions_file,
    function_stub,
    with_requirements,
)
from parlay_core.exceptions import CodeExecutionError, FunctionSourceError
from parlay_ext.code_executors.local import CommandLineCodeResult, LocalCommandLineCodeExecutor


def add_tax(amount: float, rate: float = 0.2) -> float:
    """Return ``amount`` with tax at ``rate`` added.

    Args:
        amount: The net amount.
        rate: The tax rate.
    """
    return round(amount * (1 + rate), 2)


@with_requirements(
    python_packages=["pydantic"],
    global_imports=["json", ImportFromModule("statistics", ["mean"])],
)
def summarise(values: list[float]) -> str:
    """Summarise ``values`` as JSON."""
    return json.dumps({"n": len(values), "mean": mean(values)})


def shout(text: str) -> str:
    return text.upper() + "!"


async def run(executor: LocalCommandLineCodeExecutor, *codes: str) -> CommandLineCodeResult:
    blocks = [CodeBlock(code=code, language="python") for code in codes]
    return await executor.execute_code_blocks(blocks, CancellationToken())


async def test_code_blocks_call_the_functions(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, functions=[add_tax, summarise])
    assert executor.functions == ["add_tax", "summarise"]
    result = await run(
        executor,
        "from functions import add_tax, summarise\nprint(add_tax(100), summarise([1, 2, 3]))\n",
        "# filename: sub/later.py\nimport functions\nprint(functions.add_tax(10, rate=0.5))\n",
    )
    assert result.exit_code == 0, result.output
    assert '120.0 {"n": 3, "mean": 2}' in result.output
    assert "15.0" in result.output
    module = (tmp_path / "functions.py").read_text()
    assert "with_requirements" not in module  # the decorator is not written out
    assert module.startswith("import json\nfrom statistics import mean\n")


async def test_decorated_function_still_works_in_the_host() -> None:
    assert isinstance(summarise, FunctionWithRequirements)
    assert vars(summarise)["__name__"] == "summarise"  # functools.update_wrapper
    assert summarise([2.0, 4.0]) == '{"n": 2, "mean": 3.0}'


async def test_a_function_given_as_source_and_a_module_name(tmp_path: Path) -> None:
    square = FunctionWithRequirements.from_str(
        '''
        def square(x: int) -> int:
            """Square x."""
            return int(pow(x, 2))
        '''
    )
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path, functions=[square], functions_module="helpers"
    )
    result = await run(executor, "from helpers import square\nprint(square(12))\n")
    assert (result.exit_code, result.output.strip()) == (0, "144")
    assert executor.functions_module == "helpers"


def closure_factory() -> object:
    base = 3

    def inner(x: int) -> int:
        return x + base

    return inner


def test_functions_without_usable_source_are_typed_errors() -> None:
    namespace: dict[str, object] = {}
    exec("def made_at_runtime(x):\n    return x\n", namespace)
    twice: Callable[[int], int] = lambda x: 2 * x  # noqa: E731
    cases: list[tuple[object, str]] = [
        (namespace["made_at_runtime"], "cannot be read"),
        (twice, "lambda"),
        (len, "not a Python function"),
        (closure_factory(), "enclosing function"),
    ]
    for func, reason in cases:
        with pytest.raises(FunctionSourceError, match=reason) as caught:
            LocalCommandLineCodeExecutor(functions=[func])  # type: ignore[list-item]
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, CodeExecutionError)
    with pytest.raises(FunctionSourceError, match="exactly one function"):
        FunctionWithRequirements.from_str("x = 1\n")
    with pytest.raises(FunctionSourceError, match="Two functions are named 'add_tax'"):
        build_python_functions_file([add_tax, add_tax])


def test_prompt_lists_signatures_and_docstrings() -> None:
    executor = LocalCommandLineCodeExecutor(functions=[add_tax, summarise])
    prompt = executor.format_functions_for_prompt()
    assert "`functions`" in prompt
    assert "def add_tax(amount: float, rate: float=0.2) -> float:" in prompt
    assert "Return ``amount`` with tax at ``rate`` added." in prompt
    assert "        rate: The tax rate." in prompt
    assert "def summarise(values: list[float]) -> str:" in prompt
    assert "Summarise ``values`` as JSON." in prompt
    assert "round(" not in prompt and "json.dumps" not in prompt  # bodies are left out
    custom = executor.format_functions_for_prompt("Module $module_name offers:\n$functions")
    assert custom.startswith("Module functions offers:\ndef add_tax(")
    assert function_stub(shout) == "def shout(text: str) -> str:\n    ..."


async def test_a_bad_import_is_reported_before_the_code_runs(tmp_path: Path) -> None:
    broken = with_requirements(global_imports=["parlay_module_that_does_not_exist"])(shout)
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, functions=[broken])
    with pytest.raises(CodeExecutionError, match="does not import") as caught:
        await run(executor, "print('never')\n")
    assert "parlay_module_that_does_not_exist" in str(caught.value)


async def test_a_missing_package_that_cannot_be_installed(tmp_path: Path) -> None:
    # A virtual environment without pip: the missing package cannot be installed, offline.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    needy = with_requirements(python_packages=["parlay-package-that-does-not-exist"])(add_tax)
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "w", virtual_env_context=env_dir, functions=[needy]
    )
    with pytest.raises(CodeExecutionError, match="parlay-package-that-does-not-exist") as caught:
        await run(executor, "print('never')\n")
    assert "Could not install" in str(caught.value)


async def test_installed_packages_are_not_reinstalled(tmp_path: Path) -> None:
    # The virtual environment has no pip, so the call only succeeds if nothing is installed.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = env_dir / "lib" / version / "site-packages"
    info = site / "parlay_fake_dep-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: parlay-fake-dep\nVersion: 1.0\n")
    needy = with_requirements(python_packages=["parlay-fake-dep"])(add_tax)
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "w", virtual_env_context=env_dir, functions=[needy]
    )
    result = await run(executor, "from functions import add_tax\nprint(add_tax(5.0))\n")
    assert (result.exit_code, result.output.strip()) == (0, "6.0")


async def test_restart_writes_the_module_again() -> None:
    executor = LocalCommandLineCodeExecutor(functions=[add_tax])
    first = await run(executor, "from functions import add_tax\nprint(add_tax(1.0, 1))\n")
    old_dir = executor.work_dir
    await executor.restart()
    assert not old_dir.exists()
    second = await run(executor, "from functions import add_tax\nprint(add_tax(2.0, 1))\n")
    assert (first.output.strip(), second.output.strip()) == ("2.0", "4.0")
    await executor.stop()


def test_config_keeps_the_module_name_and_warns_about_functions(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path, functions=[add_tax], functions_module="tools_for_code"
    )
    with pytest.warns(UserWarning, match="add_tax"):
        dumped = executor.dump_component()
    assert dumped.config["functions_module"] == "tools_for_code"
    loaded = LocalCommandLineCodeExecutor.load_component(dumped, allow_code_execution=True)
    assert (loaded.functions_module, loaded.functions) == ("tools_for_code", [])
    with pytest.raises(ValueError, match="functions_module"):
        LocalCommandLineCodeExecutor(functions_module="not-a-module")
