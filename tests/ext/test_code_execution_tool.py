"""PythonCodeExecutionTool on the local executor (in a temporary folder) and on any executor."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from parlay_core import CancellationToken
from parlay_core.code_executor import CodeBlock, CodeExecutor, CodeResult
from parlay_core.exceptions import ToolArgumentsError
from parlay_core.tools import StaticWorkbench
from parlay_ext.code_executors.local import LocalCommandLineCodeExecutor
from parlay_ext.tools.code_execution import CodeExecutionResult, PythonCodeExecutionTool


def local_tool(work_dir: Path, timeout: float = 20) -> PythonCodeExecutionTool:
    return PythonCodeExecutionTool(LocalCommandLineCodeExecutor(timeout=timeout, work_dir=work_dir))


async def test_runs_code_and_the_model_reads_its_output(tmp_path: Path) -> None:
    tool = local_tool(tmp_path)
    result = await tool.run_json({"code": "print(6 * 7)"}, CancellationToken())
    assert result == CodeExecutionResult(success=True, output="42\n", exit_code=0)
    assert tool.return_value_as_string(result) == "42\n"
    assert tool.schema["name"] == "CodeExecutor"
    assert tool.schema.get("parameters", {}).get("required") == ["code"]


async def test_code_that_prints_nothing_still_says_it_ran(tmp_path: Path) -> None:
    tool = local_tool(tmp_path)
    result = await tool.run_json({"code": "x = 1"}, CancellationToken())
    assert tool.return_value_as_string(result) == "(the code ran and printed nothing)"


async def test_a_failing_exit_code_is_reported(tmp_path: Path) -> None:
    tool = local_tool(tmp_path)
    result = await tool.run_json({"code": "print('before')\n1 / 0"}, CancellationToken())
    assert isinstance(result, CodeExecutionResult)
    assert not result.success
    assert result.exit_code == 1
    text = tool.return_value_as_string(result)
    assert text.startswith("before\n")
    assert "ZeroDivisionError" in text
    assert text.endswith("\nThe code failed with exit code 1.")


async def test_code_running_past_the_executor_timeout_is_stopped(tmp_path: Path) -> None:
    tool = local_tool(tmp_path, timeout=1)
    started = time.monotonic()
    result = await tool.run_json({"code": "import time\ntime.sleep(30)"}, CancellationToken())
    assert time.monotonic() - started < 15
    assert isinstance(result, CodeExecutionResult)
    assert result.exit_code == 124
    text = tool.return_value_as_string(result)
    assert "Timeout" in text
    assert text.endswith("exit code 124.")


async def test_cancellation_passes_through_to_the_executor(tmp_path: Path) -> None:
    tool = local_tool(tmp_path)
    token = CancellationToken()
    marker = tmp_path / "finished"
    code = f"import time\ntime.sleep(1.5)\nopen({str(marker)!r}, 'w').close()"
    call = asyncio.ensure_future(tool.run_json({"code": code}, token))
    await asyncio.sleep(0.5)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, 5)
    await asyncio.sleep(1.8)
    assert not marker.exists()  # the code was killed, not left running


class RecordingExecutor(CodeExecutor):
    """An executor that runs nothing and answers from a script: the tool needs no more."""

    component_type = "code_executor"

    def __init__(self) -> None:
        self.blocks: list[CodeBlock] = []

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        self.blocks.extend(code_blocks)
        return CodeResult(exit_code=2, output="usage: nothing")

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def restart(self) -> None:
        pass

    def _to_config(self) -> BaseModel:
        return BaseModel()  # it has no settings


async def test_any_code_executor_receives_one_python_block() -> None:
    executor = RecordingExecutor()
    tool = PythonCodeExecutionTool(executor, description="Run Python.", name="python")
    result = await tool.run_json({"code": "print(1)"}, CancellationToken())
    assert executor.blocks == [CodeBlock(code="print(1)", language="python")]
    assert (
        tool.return_value_as_string(result) == "usage: nothing\nThe code failed with exit code 2."
    )


async def test_missing_code_is_refused_before_running() -> None:
    executor = RecordingExecutor()
    tool = PythonCodeExecutionTool(executor)
    with pytest.raises(ToolArgumentsError, match="code: Field required"):
        await tool.run_json({"source": "print(1)"}, CancellationToken())
    assert executor.blocks == []
    failed = await StaticWorkbench([tool]).call_tool("CodeExecutor", {"code": "x"})
    assert failed.is_error is False
    assert failed.to_text().endswith("exit code 2.")


async def test_component_round_trip_keeps_the_local_executor(tmp_path: Path) -> None:
    tool = PythonCodeExecutionTool(
        LocalCommandLineCodeExecutor(timeout=7, work_dir=tmp_path),
        description="Run Python here.",
        name="run_python",
    )
    dumped = tool.dump_component()
    assert dumped.provider == "parlay_ext.tools.code_execution.PythonCodeExecutionTool"
    executor_config = dumped.config["executor"]
    assert (
        executor_config["provider"]
        == "parlay_ext.code_executors.local.LocalCommandLineCodeExecutor"
    )
    loaded = PythonCodeExecutionTool.load_component(
        json.loads(dumped.model_dump_json()), allow_code_execution=True
    )
    assert loaded.name == "run_python"
    assert loaded.description == "Run Python here."
    assert isinstance(loaded.executor, LocalCommandLineCodeExecutor)
    assert loaded.executor.timeout == 7
    assert loaded.dump_component() == dumped
    await loaded.run_json({"code": "open('made.txt', 'w').write('yes')"}, CancellationToken())
    assert (tmp_path / "made.txt").read_text() == "yes"


async def test_an_autogen_config_loads() -> None:
    config = {
        "provider": "autogen_ext.tools.code_execution.PythonCodeExecutionTool",
        "component_type": "tool",
        "config": {
            "executor": {
                "provider": "autogen_ext.code_executors.local.LocalCommandLineCodeExecutor",
                "component_type": "code_executor",
                "config": {"timeout": 9},
            },
            "description": "Execute Python code blocks.",
        },
    }
    tool = PythonCodeExecutionTool.load_component(config, allow_code_execution=True)
    assert tool.name == "CodeExecutor"
    by_entry_point = PythonCodeExecutionTool.load_component(
        {**config, "provider": "python_code_execution"}, allow_code_execution=True
    )
    assert by_entry_point.dump_component() == tool.dump_component()
    assert isinstance(tool.executor, LocalCommandLineCodeExecutor)
    assert tool.executor.timeout == 9
    try:
        result = await tool.run_json({"code": "print('ok')"}, CancellationToken())
    finally:
        await tool.executor.stop()
    assert tool.return_value_as_string(result) == "ok\n"
