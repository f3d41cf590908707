"""PythonCodeExecutionTool: let a model run Python on any code executor."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_core import CancellationToken, Component, ComponentModel, require_code_execution
from parlay_core.code_executor import CodeBlock, CodeExecutor
from parlay_core.tools import BaseTool

__all__ = [
    "CodeExecutionInput",
    "CodeExecutionResult",
    "PythonCodeExecutionTool",
    "PythonCodeExecutionToolConfig",
]


class CodeExecutionInput(BaseModel):
    """The tool's argument: the code to run.

    Attributes:
        code: A complete Python program; what it prints is the result.
    """

    code: str = Field(description="Python source code to run; print what you want to see.")


class CodeExecutionResult(BaseModel):
    """What running the code gave.

    Attributes:
        success: Whether the code exited with status 0.
        output: What the code printed (and its traceback, if it failed).
        exit_code: The exit status (124 when the executor stopped the code at its timeout).
    """

    success: bool
    output: str
    exit_code: int = 0


class PythonCodeExecutionToolConfig(BaseModel):
    """The component config of a :class:`PythonCodeExecutionTool`.

    Attributes:
        executor: The code executor's own component config.
        description: The tool description.
        name: The tool name (an addition to AutoGen's config, with AutoGen's name as default).
    """

    executor: ComponentModel
    description: str = "Execute Python code blocks."
    name: str = "CodeExecutor"


class PythonCodeExecutionTool(
    BaseTool[CodeExecutionInput, CodeExecutionResult], Component[PythonCodeExecutionToolConfig]
):
    """A tool that runs the Python code a model writes on a code executor.

    Each call runs ``code`` as one ``python`` :class:`~parlay_core.code_executor.CodeBlock` on
    ``executor`` (any :class:`~parlay_core.code_executor.CodeExecutor`: local, Docker,
    Jupyter). The model reads what the code printed; when the code fails, the text ends with
    its exit code, so a traceback is never mistaken for a result. Cancelling the call cancels
    the execution (the executor stops the code). The executor is not started or stopped here:
    executors start themselves on first use, and the caller owns their lifetime.

    The code runs with the executor's privileges. With
    :class:`~parlay_ext.code_executors.local.LocalCommandLineCodeExecutor` that is the current
    user on this machine: give a model this tool only with an executor you would trust with
    code you have not read, such as a container.

    Args:
        executor: Where the code runs.
        description: What the tool does, for the model.
        name: The tool name the model uses.

    Example::

        executor = LocalCommandLineCodeExecutor(timeout=30)
        tool = PythonCodeExecutionTool(executor)
        result = await tool.run_json({"code": "print(6 * 7)"}, CancellationToken())
        tool.return_value_as_string(result)  # "42\\n"
    """

    component_provider_override = "parlay_ext.tools.code_execution.PythonCodeExecutionTool"
    component_config_schema = PythonCodeExecutionToolConfig

    def __init__(
        self,
        executor: CodeExecutor,
        description: str = "Execute Python code blocks.",
        name: str = "CodeExecutor",
    ) -> None:
        super().__init__(CodeExecutionInput, CodeExecutionResult, name, description)
        self._executor = executor

    @property
    def executor(self) -> CodeExecutor:
        """The executor the code runs on."""
        return self._executor

    async def run(
        self, args: CodeExecutionInput, cancellation_token: CancellationToken
    ) -> CodeExecutionResult:
        """Run ``args.code`` as a Python block.

        Raises:
            CodeExecutionError: The executor could not run the code at all.
            asyncio.CancelledError: The token was cancelled; the executor stopped the code.
        """
        block = CodeBlock(code=args.code, language="python")
        result = await self._executor.execute_code_blocks([block], cancellation_token)
        return CodeExecutionResult(
            success=result.exit_code == 0, output=result.output, exit_code=result.exit_code
        )

    def return_value_as_string(self, value: Any) -> str:
        """The output for the model; a failure ends with a line that gives the exit code."""
        if not isinstance(value, CodeExecutionResult):
            return super().return_value_as_string(value)
        if value.success:
            # An empty string would leave the model wondering whether anything ran.
            return value.output or "(the code ran and printed nothing)"
        return (
            f"{value.output.rstrip()}\nThe code failed with exit code {value.exit_code}.".lstrip()
        )

    def _to_config(self) -> PythonCodeExecutionToolConfig:
        return PythonCodeExecutionToolConfig(
            executor=self._executor.dump_component(),
            description=self._description,
            name=self._name,
        )

    @classmethod
    def _from_config(cls, config: PythonCodeExecutionToolConfig) -> Self:
        # Asked here too, not only by the executor: a third-party executor may not ask.
        require_code_execution(f"Python code a model writes, through the tool {config.name!r}")
        executor = CodeExecutor.load_component(config.executor)
        return cls(executor, description=config.description, name=config.name)
