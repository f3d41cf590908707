"""Tools a model can call, and workbenches that group them.

A :class:`FunctionTool` turns a Python function into a tool whose JSON schema comes from the
signature. A :class:`Workbench` (such as :class:`StaticWorkbench`) lists tools and calls them
by name, turning every failure into a :class:`ToolResult` the model can read.
"""

from parlay_core.tools._base import BaseStreamTool, BaseTool, BaseToolWithState, StreamTool, Tool
from parlay_core.tools._function_tool import FunctionTool, FunctionToolConfig
from parlay_core.tools._result import (
    ImageResultContent,
    ResultContent,
    TextResultContent,
    ToolOverride,
    ToolResult,
)
from parlay_core.tools._schema import ParametersSchema, ToolSchema
from parlay_core.tools._static_workbench import (
    StaticStreamWorkbench,
    StaticWorkbench,
    StaticWorkbenchConfig,
    StaticWorkbenchState,
)
from parlay_core.tools._workbench import StreamWorkbench, Workbench

__all__ = [
    "BaseStreamTool",
    "BaseTool",
    "BaseToolWithState",
    "FunctionTool",
    "FunctionToolConfig",
    "ImageResultContent",
    "ParametersSchema",
    "ResultContent",
    "StaticStreamWorkbench",
    "StaticWorkbench",
    "StaticWorkbenchConfig",
    "StaticWorkbenchState",
    "StreamTool",
    "StreamWorkbench",
    "TextResultContent",
    "Tool",
    "ToolOverride",
    "ToolResult",
    "ToolSchema",
    "Workbench",
]
