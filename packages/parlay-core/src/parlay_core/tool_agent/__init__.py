"""A tool agent that runs tool calls for other agents, and the caller loop that drives it.

The pattern: an agent asks a model with tools, sends each requested
:class:`~parlay_core.FunctionCall` to a :class:`ToolAgent`, and feeds the results back to the
model until it replies with text; :func:`tool_agent_caller_loop` does all of that.
"""

from parlay_core._exceptions import (
    InvalidToolArgumentsException,
    ToolException,
    ToolExecutionException,
    ToolNotFoundException,
)
from parlay_core.tool_agent._caller_loop import tool_agent_caller_loop
from parlay_core.tool_agent._tool_agent import ToolAgent

__all__ = [
    "InvalidToolArgumentsException",
    "ToolAgent",
    "ToolException",
    "ToolExecutionException",
    "ToolNotFoundException",
    "tool_agent_caller_loop",
]
