"""Let a model run Python code on any code executor, as a tool."""

from parlay_ext.tools.code_execution._tool import (
    CodeExecutionInput,
    CodeExecutionResult,
    PythonCodeExecutionTool,
    PythonCodeExecutionToolConfig,
)

__all__ = [
    "CodeExecutionInput",
    "CodeExecutionResult",
    "PythonCodeExecutionTool",
    "PythonCodeExecutionToolConfig",
]
