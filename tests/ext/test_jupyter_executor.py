"""JupyterCodeExecutor against a real ipykernel: state, output, images, interrupts, death."""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("jupyter_client", reason="needs the jupyter extra")
pytest.importorskip("ipykernel", reason="needs the jupyter extra")

from parlay_core import CancellationToken
from parlay_core.code_executor import CodeBlock, CodeExecutor
from parlay_core.exceptions import ComponentConfigError, ExecutorUnavailableError, ParlayError
from parlay_ext.code_executors.jupyter import JupyterCodeExecutor, JupyterCodeResult


def py(code: str) -> CodeBlock:
    return CodeBlock(code=code, language="python")


async def run(executor: JupyterCodeExecutor, *blocks: CodeBlock) -> JupyterCodeResult:
    return await executor.execute_code_blocks(list(blocks), CancellationToken())


@pytest.fixture
async def executor(tmp_path: Path) -> AsyncIterator[JupyterCodeExecutor]:
    # A kernel starts in well under a second, so each test gets its own: no shared state.
    async with JupyterCodeExecutor(timeout=20, output_dir=tmp_path / "out") as started:
        yield started


def tiny_png() -> bytes:
    """A valid 1x1 grey PNG, built by hand so no imaging library is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


async def test_state_persists_and_output_is_printed_text_and_values(
    executor: JupyterCodeExecutor,
) -> None:
    first = await run(executor, py("total = 40\nprint('hello from the kernel')"), py("total + 2"))
    assert first.exit_code == 0
    assert first.output == "hello from the kernel\n42\n"
    assert first.output_files == []
    second = await run(executor, py("total += 1\nprint(total)"))
    assert (second.exit_code, second.output) == (0, "41\n")


async def test_error_returns_a_plain_traceback_and_stops_at_the_failing_block(
    executor: JupyterCodeExecutor,
) -> None:
    result = await run(
        executor, py("print('before')"), py("def f():\n    return 1 / 0\nf()"), py("print('after')")
    )
    assert result.exit_code == 1
    assert result.output.startswith("before\n")
    assert "ZeroDivisionError" in result.output and "return 1 / 0" in result.output
    assert "\x1b[" not in result.output
    assert "after" not in result.output


async def test_displayed_png_is_saved_into_output_dir(
    executor: JupyterCodeExecutor, tmp_path: Path
) -> None:
    png = tiny_png()
    result = await run(
        executor,
        py(
            "from IPython.display import Image, display\n"
            f"display(Image(data=bytes.fromhex({png.hex()!r})))\nprint('shown')"
        ),
    )
    assert result.exit_code == 0, result.output
    assert len(result.output_files) == 1
    saved = result.output_files[0]
    assert saved.parent == tmp_path / "out" and saved.suffix == ".png"
    assert saved.read_bytes() == png
    assert f"[image/png saved to {saved}]" in result.output and "shown" in result.output


async def test_timeout_interrupts_and_the_kernel_keeps_its_state(tmp_path: Path) -> None:
    async with JupyterCodeExecutor(timeout=1, output_dir=tmp_path) as executor:
        pid = (await run(executor, py("import os, time\nkept = 'still here'\nos.getpid()"))).output
        started = time.monotonic()
        result = await run(executor, py("print('working', flush=True)\ntime.sleep(60)"))
        assert time.monotonic() - started < 10
        assert result.exit_code == 124
        assert result.output.startswith("working\n")
        assert "Timeout:" in result.output and "interrupted" in result.output
        assert "KeyboardInterrupt" not in result.output
        after = await run(executor, py("print(kept)"), py("os.getpid()"))
        # Same process: the kernel was interrupted, not restarted.
        assert after.output == f"still here\n{pid}"


async def test_an_output_flood_is_cut_at_the_cap_and_interrupted(tmp_path: Path) -> None:
    async with JupyterCodeExecutor(
        timeout=30, output_dir=tmp_path, max_output_bytes=10_000
    ) as executor:
        await run(executor, py("kept = 'still here'"))
        started = time.monotonic()
        result = await run(executor, py("while True:\n    print('x' * 999)"), py("print('no')"))
        assert time.monotonic() - started < 15
        assert result.exit_code == 1
        printed, _, note = result.output.rpartition("\n")
        assert len(printed.encode()) <= 10_000 and set(printed) <= {"x", "\n"}
        assert note.startswith("Output limit: the code printed more than 10000 bytes")
        assert "kernel keeps its state" in note and "KeyboardInterrupt" not in result.output
        after = await run(executor, py("print(kept)"))
        assert after.output == "still here\n"


async def test_the_output_cap_cuts_at_a_character_boundary(tmp_path: Path) -> None:
    async with JupyterCodeExecutor(timeout=30, output_dir=tmp_path, max_output_bytes=5) as executor:
        result = await run(executor, py("print('\u00e9' * 10)"))
        assert result.exit_code == 1
        assert result.output.startswith("\u00e9\u00e9\nOutput limit:")


async def test_cancellation_interrupts_the_cell(executor: JupyterCodeExecutor) -> None:
    await run(executor, py("import time\nmarker = 7"))
    token = CancellationToken()
    task = asyncio.ensure_future(executor.execute_code_blocks([py("time.sleep(60)")], token))
    await asyncio.sleep(0.5)
    token.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
    assert time.monotonic() - started < 10
    after = await run(executor, py("print(marker * 6)"))
    assert (after.exit_code, after.output) == (0, "42\n")


async def test_kernel_death_is_a_typed_error_until_restart(executor: JupyterCodeExecutor) -> None:
    await run(executor, py("lost = 1"))
    with pytest.raises(ExecutorUnavailableError, match=r"died.*exit code 3.*restart\(\)"):
        await asyncio.wait_for(run(executor, py("import os\nos._exit(3)")), 20)
    with pytest.raises(ExecutorUnavailableError, match="died earlier"):
        await run(executor, py("print(1)"))
    await executor.restart()
    fresh = await run(executor, py("print('lost' in globals())"))
    assert (fresh.exit_code, fresh.output) == (0, "False\n")
    # stop() also clears the death: the next call starts a fresh kernel.
    with pytest.raises(ExecutorUnavailableError):
        await asyncio.wait_for(run(executor, py("import os\nos._exit(4)")), 20)
    await executor.stop()
    assert (await run(executor, py("print('up')"))).output == "up\n"


async def test_only_python_blocks_run(executor: JupyterCodeExecutor) -> None:
    result = await run(executor, py("print('ran')"), CodeBlock("echo hi", "sh"), py("print('no')"))
    assert result.exit_code == 1
    assert result.output == "ran\nUnsupported language 'sh': this executor runs python blocks."


async def test_missing_kernel_spec_is_executor_unavailable(tmp_path: Path) -> None:
    executor = JupyterCodeExecutor(kernel_name="no-such-kernel-parlay", output_dir=tmp_path)
    with pytest.raises(ExecutorUnavailableError, match="ipykernel install"):
        await asyncio.wait_for(executor.start(), 20)
    await executor.stop()


async def test_default_output_dir_is_temporary_and_removed_by_stop() -> None:
    executor = JupyterCodeExecutor()
    async with executor:
        output_dir = executor.output_dir
        assert output_dir.is_dir()
    assert not output_dir.exists()


def test_bad_timeout_and_config_round_trip(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timeout"):
        JupyterCodeExecutor(timeout=0)
    executor = JupyterCodeExecutor(
        kernel_name="python3", timeout=5, output_dir=tmp_path, max_output_bytes=4096
    )
    dumped = executor.dump_component()
    assert dumped.provider == "parlay_ext.code_executors.jupyter.JupyterCodeExecutor"
    assert dumped.config == {
        "kernel_name": "python3",
        "timeout": 5,
        "output_dir": str(tmp_path),
        "max_output_bytes": 4096,
    }
    loaded = CodeExecutor.load_component(dumped, allow_code_execution=True)
    assert isinstance(loaded, JupyterCodeExecutor)
    assert (loaded.timeout, loaded.output_dir, loaded.max_output_bytes) == (5, tmp_path, 4096)


@pytest.mark.parametrize(("field", "value"), [("timeout", 0), ("max_output_bytes", -1)])
def test_a_bad_config_value_is_a_typed_error_naming_the_field(field: str, value: float) -> None:
    dumped = JupyterCodeExecutor().dump_component()
    dumped.config[field] = value
    with pytest.raises(ComponentConfigError, match=f"{field} must be") as caught:
        CodeExecutor.load_component(dumped, allow_code_execution=True)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ParlayError)


def test_autogen_config_loads() -> None:
    loaded = CodeExecutor.load_component(
        {
            "provider": "autogen_ext.code_executors.jupyter.JupyterCodeExecutor",
            "component_type": "code_executor",
            "config": {"kernel_name": "python3", "timeout": 30, "output_dir": None},
        },
        allow_code_execution=True,
    )
    assert isinstance(loaded, JupyterCodeExecutor)
    assert (loaded.kernel_name, loaded.timeout) == ("python3", 30)
    assert loaded.max_output_bytes == 1_000_000


def test_registered_through_entry_points() -> None:
    from parlay_core.plugins import CODE_EXECUTORS, load_plugin

    assert load_plugin(CODE_EXECUTORS, "jupyter") is JupyterCodeExecutor
