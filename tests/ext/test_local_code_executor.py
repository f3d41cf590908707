"""LocalCommandLineCodeExecutor: real processes, timeouts, floods, cancellation, venvs."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
import venv
from pathlib import Path

import pytest

from parlay_core import CancellationToken
from parlay_core.code_executor import CodeBlock, CodeExecutor
from parlay_core.exceptions import CodeExecutionError, ComponentConfigError, ParlayError
from parlay_ext.code_executors.local import CommandLineCodeResult, LocalCommandLineCodeExecutor

needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="process groups and sh are POSIX")


async def run(executor: LocalCommandLineCodeExecutor, *blocks: CodeBlock) -> CommandLineCodeResult:
    return await executor.execute_code_blocks(list(blocks), CancellationToken())


def exists(path: str) -> bool:
    return Path(path).exists()


def same_path(a: str, b: Path) -> bool:
    return Path(a).resolve() == b.resolve()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed process whose parent is gone stays a zombie until init reaps it; it is dead.
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        return stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    return True


async def test_python_and_shell_blocks_in_the_working_directory(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    result = await run(
        executor,
        CodeBlock(code="import os\nprint('py', 6 * 7, os.getcwd())\n", language="python"),
        CodeBlock(code="echo sh-$((2 + 3))\n", language="sh"),
    )
    assert result.exit_code == 0
    assert f"py 42 {tmp_path}" in result.output
    assert "sh-5" in result.output


async def test_stops_at_the_first_failing_block(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    result = await run(
        executor,
        CodeBlock(code="import sys\nprint('before')\nsys.exit(3)\n", language="python"),
        CodeBlock(code="print('never')\n", language="python"),
    )
    assert result.exit_code == 3
    assert "before" in result.output and "never" not in result.output


async def test_errors_are_in_the_output(tmp_path: Path) -> None:
    result = await run(
        LocalCommandLineCodeExecutor(work_dir=tmp_path), CodeBlock(code="1/0\n", language="python")
    )
    assert result.exit_code != 0
    assert "ZeroDivisionError" in result.output


async def test_unsupported_language_is_a_failed_result(tmp_path: Path) -> None:
    result = await run(
        LocalCommandLineCodeExecutor(work_dir=tmp_path),
        CodeBlock(code="main = 1", language="haskell"),
    )
    assert result.exit_code == 1
    assert "Unsupported language 'haskell'" in result.output


async def test_filename_comment_and_escape_attempt(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, cleanup_temp_files=False)
    ok = await run(
        executor, CodeBlock(code="# filename: hello.py\nprint('hi')\n", language="python")
    )
    assert ok.exit_code == 0 and ok.code_file == str(tmp_path / "hello.py")
    assert (tmp_path / "hello.py").exists()
    bad = await run(
        executor, CodeBlock(code="# filename: ../escape.py\nprint('x')\n", language="python")
    )
    assert bad.exit_code == 1 and "outside the working directory" in bad.output
    assert not (tmp_path.parent / "escape.py").exists()


async def test_code_files_are_cleaned_up_by_default(tmp_path: Path) -> None:
    result = await run(
        LocalCommandLineCodeExecutor(work_dir=tmp_path),
        CodeBlock(code="print(1)\n", language="python"),
    )
    assert result.code_file is not None and not exists(result.code_file)


@needs_posix
async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    executor = LocalCommandLineCodeExecutor(timeout=1.5, work_dir=tmp_path)
    result = await run(executor, CodeBlock(code=code, language="python"))
    assert result.exit_code == 124
    assert "started" in result.output and "Timeout" in result.output
    child = int(pid_file.read_text())
    for _ in range(50):
        if not pid_alive(child):
            break
        await asyncio.sleep(0.1)
    assert not pid_alive(child), "the grandchild process survived the timeout"


async def test_output_flood_is_capped_and_stopped(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(timeout=30, work_dir=tmp_path, max_output_bytes=10_000)
    result = await run(
        executor, CodeBlock(code="while True:\n    print('x' * 1000)\n", language="python")
    )
    assert result.exit_code != 0
    assert "Output limit" in result.output
    assert len(result.output) < 11_000


async def test_flood_is_cut_at_the_cap_and_returns_quickly(tmp_path: Path) -> None:
    from parlay_ext.code_executors.local import _process  # pyright: ignore[reportPrivateUsage]

    started = time.monotonic()
    outcome = await asyncio.wait_for(
        _process.run_process(
            [sys.executable, "-c", "while True: print('x' * 1000)"],
            cwd=tmp_path,
            env=os.environ,
            timeout=30,
            max_output_bytes=10_000,
        ),
        10,
    )
    assert outcome.truncated and len(outcome.output) == 10_000
    assert time.monotonic() - started < 5


async def wait_dead(pid: int) -> bool:
    for _ in range(50):
        if not pid_alive(pid):
            return True
        await asyncio.sleep(0.1)
    return False


@needs_posix
async def test_a_background_job_neither_delays_the_result_nor_outlives_the_block(
    tmp_path: Path,
) -> None:
    # The background sleep inherits the output pipe; the result must not wait for it to close.
    executor = LocalCommandLineCodeExecutor(timeout=2, work_dir=tmp_path)
    started = time.monotonic()
    result = await run(
        executor, CodeBlock(code="sleep 15 &\necho $! > bg.pid\necho started\n", language="sh")
    )
    assert time.monotonic() - started < 2
    assert result.exit_code == 0, result.output
    assert result.output.startswith("started\n")
    assert "left processes running in the background; they were killed" in result.output
    assert await wait_dead(int((tmp_path / "bg.pid").read_text()))


@needs_posix
async def test_the_timeout_is_a_hard_deadline_for_background_jobs_too(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(timeout=2, work_dir=tmp_path)
    started = time.monotonic()
    result = await run(
        executor,
        CodeBlock(code="sleep 15 &\necho $! > bg.pid\necho started\nsleep 15\n", language="sh"),
    )
    assert time.monotonic() - started < 4
    assert result.exit_code == 124
    assert result.output.startswith("started\n")
    assert "killed at the deadline, together with every process it started" in result.output
    assert await wait_dead(int((tmp_path / "bg.pid").read_text()))


@needs_posix
async def test_a_clean_block_has_no_note_and_the_next_block_runs(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(timeout=5, work_dir=tmp_path)
    result = await run(
        executor,
        CodeBlock(code="sleep 30 > /dev/null 2>&1 &\necho one\n", language="sh"),
        CodeBlock(code="echo two\n", language="sh"),
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "one" and lines[-1] == "two" and len(lines) == 3
    clean = await run(executor, CodeBlock(code="echo three\n", language="sh"))
    assert clean.output == "three\n"


@needs_posix
async def test_cancellation_kills_background_jobs_too(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(timeout=60, work_dir=tmp_path)
    token = CancellationToken()
    code = "sleep 30 &\necho $! > bg.pid\nsleep 30\n"
    task = asyncio.create_task(
        executor.execute_code_blocks([CodeBlock(code=code, language="sh")], token)
    )
    pid_file = tmp_path / "bg.pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.05)
    token.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2
    assert await wait_dead(int(pid_file.read_text()))


@needs_posix
async def test_cancellation_kills_the_running_code(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(timeout=60, work_dir=tmp_path)
    token = CancellationToken()
    pid_file = tmp_path / "pid"
    code = (
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    )
    task = asyncio.create_task(
        executor.execute_code_blocks([CodeBlock(code=code, language="python")], token)
    )
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.05)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int(pid_file.read_text())
    for _ in range(50):
        if not pid_alive(pid):
            break
        await asyncio.sleep(0.1)
    assert not pid_alive(pid)


async def test_virtual_environment(tmp_path: Path) -> None:
    builder = venv.EnvBuilder(with_pip=False)
    env_dir = tmp_path / "venv"
    builder.create(env_dir)
    context = builder.ensure_directories(env_dir)
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path / "work", virtual_env_context=context)
    result = await run(
        executor, CodeBlock(code="import sys\nprint(sys.prefix)\n", language="python")
    )
    assert result.exit_code == 0
    assert same_path(result.output.strip(), env_dir)


@needs_posix
@pytest.mark.parametrize("given", ["context", "path"])
async def test_relative_virtual_environment_is_used_for_python_and_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    # AutoGen's documented pattern: a venv named by a path relative to the current directory,
    # while code runs in another directory (the working directory).
    monkeypatch.chdir(tmp_path)
    builder = venv.EnvBuilder(with_pip=False)
    builder.create(".venv")
    context = builder.ensure_directories(Path(".venv"))
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "work",
        virtual_env_context=context if given == "context" else ".venv",
    )
    result = await run(
        executor,
        CodeBlock(code="import sys\nprint(sys.prefix)\n", language="python"),
        CodeBlock(code='echo "$VIRTUAL_ENV"\ncommand -v python\n', language="sh"),
    )
    assert result.exit_code == 0, result.output
    prefix, virtual_env, shell_python = result.output.split()
    assert same_path(prefix, tmp_path / ".venv")
    assert same_path(virtual_env, tmp_path / ".venv")
    assert same_path(str(Path(shell_python).parent.parent), tmp_path / ".venv")
    # The saved config names the environment absolutely, so it loads from any directory.
    assert Path(executor.dump_component().config["virtual_env_dir"]).is_absolute()


@needs_posix
async def test_missing_virtual_environment_fails_shell_blocks_too(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "w", virtual_env_context=tmp_path / "no-venv"
    )
    with pytest.raises(CodeExecutionError, match="no-venv"):
        await run(executor, CodeBlock(code="echo hi\n", language="sh"))


async def test_missing_interpreter_is_a_typed_error(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "w", virtual_env_context=tmp_path / "no-venv"
    )
    with pytest.raises(CodeExecutionError, match="Could not start"):
        await run(executor, CodeBlock(code="print(1)\n", language="python"))


async def test_temporary_directory_lifecycle() -> None:
    async with LocalCommandLineCodeExecutor() as executor:
        work_dir = executor.work_dir
        assert work_dir.is_dir()
        result = await run(
            executor, CodeBlock(code="open('f.txt', 'w').write('x')\n", language="python")
        )
        assert result.exit_code == 0 and (work_dir / "f.txt").exists()
    assert not work_dir.exists()


def test_bad_arguments_and_config_round_trip(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timeout"):
        LocalCommandLineCodeExecutor(timeout=0)
    executor = LocalCommandLineCodeExecutor(timeout=5, work_dir=tmp_path, max_output_bytes=4096)
    dumped = executor.dump_component()
    assert dumped.provider == "parlay_ext.code_executors.local.LocalCommandLineCodeExecutor"
    loaded = CodeExecutor.load_component(dumped, allow_code_execution=True)
    assert isinstance(loaded, LocalCommandLineCodeExecutor)
    assert loaded.dump_component().config == dumped.config


@pytest.mark.parametrize(
    ("field", "value"), [("timeout", 0), ("max_output_bytes", 0), ("functions_module", "a-b")]
)
def test_a_bad_config_value_is_a_typed_error_naming_the_field(field: str, value: object) -> None:
    dumped = LocalCommandLineCodeExecutor().dump_component()
    dumped.config[field] = value
    with pytest.raises(ComponentConfigError, match=f"{field} must be") as caught:
        CodeExecutor.load_component(dumped, allow_code_execution=True)
    # Still the ValueError AutoGen raises, and Parlay's error: both excepts keep working.
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ParlayError)
    assert "LocalCommandLineCodeExecutor" in str(caught.value)


def test_registered_through_entry_points() -> None:
    from parlay_core.plugins import CODE_EXECUTORS, load_plugin

    assert load_plugin(CODE_EXECUTORS, "local") is LocalCommandLineCodeExecutor


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
async def test_shell_failure_exit_code(tmp_path: Path) -> None:
    result = await run(
        LocalCommandLineCodeExecutor(work_dir=tmp_path),
        CodeBlock(code="echo out; exit 7\n", language="bash"),
    )
    assert (result.exit_code, result.output.strip()) == (7, "out")
