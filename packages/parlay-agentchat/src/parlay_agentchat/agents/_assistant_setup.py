"""Building an AssistantAgent's tools, handoffs and turn results from its arguments."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Union, cast

from parlay_agentchat._exceptions import AgentConfigurationError
from parlay_agentchat.base import Handoff
from parlay_agentchat.messages import HandoffMessage, ToolCallSummaryMessage
from parlay_core import FunctionCall, Image
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    UserMessage,
)
from parlay_core.tools import BaseTool, FunctionTool, StaticStreamWorkbench, Workbench

__all__ = [
    "SummaryFormatter",
    "ToolLike",
    "build_handoffs",
    "build_tools",
    "build_workbenches",
    "handoff_message",
    "summary_message",
    "without_images",
]

ToolLike = Union[BaseTool[Any, Any], Callable[..., Any]]
SummaryFormatter = Callable[[FunctionCall, FunctionExecutionResult], str]


def build_tools(
    tools: Sequence[ToolLike] | None, function_calling: bool
) -> list[BaseTool[Any, Any]]:
    """The tools given directly to the agent, functions wrapped in :class:`FunctionTool`.

    Raises:
        AgentConfigurationError: The model cannot call functions, a tool is neither a
            ``BaseTool`` nor a function, or two tools share a name.
    """
    if not tools:
        return []
    if not function_calling:
        raise AgentConfigurationError(
            "The model does not support function calling (its model_info['function_calling'] "
            "is False), so the agent cannot use tools. Use a model that can call functions, or "
            "remove the tools."
        )
    built: list[BaseTool[Any, Any]] = []
    for tool in tools:
        if isinstance(tool, BaseTool):
            built.append(tool)  # pyright: ignore[reportUnknownArgumentType]
        elif callable(tool):
            built.append(FunctionTool(tool, description=getattr(tool, "__doc__", None) or ""))
        else:
            raise AgentConfigurationError(
                f"Unsupported tool type: {type(tool).__name__} ({tool!r}). Pass a BaseTool (for "
                "example a FunctionTool) or a function."
            )
    names = [tool.name for tool in built]
    if len(set(names)) != len(names):
        raise AgentConfigurationError(f"Tool names must be unique: {names}.")
    return built


def build_workbenches(
    tools: list[BaseTool[Any, Any]], workbench: Workbench | Sequence[Workbench] | None
) -> list[Workbench]:
    """The agent's workbenches: the given ones, or one holding the given tools.

    Raises:
        AgentConfigurationError: Both tools and workbenches are given.
    """
    if workbench is not None:
        if tools:
            raise AgentConfigurationError(
                "Tools cannot be used with a workbench: put the tools into one of the "
                "workbenches, or pass them without a workbench."
            )
        if isinstance(workbench, Sequence):
            return list(workbench)
        return [workbench]
    return [StaticStreamWorkbench(tools)] if tools else []


def build_handoffs(
    handoffs: Sequence[Handoff | str] | None,
    workbenches: Sequence[Workbench],
    function_calling: bool,
) -> dict[str, Handoff]:
    """The agent's handoffs by tool name.

    A handoff may not share its tool name, nor its target, with a tool the agent has: the model
    would not know which one it is calling.

    Raises:
        AgentConfigurationError: The model cannot call functions, a handoff is neither a
            ``Handoff`` nor a str, two handoffs share a name, or a handoff clashes with a tool.
    """
    if not handoffs:
        return {}
    if not function_calling:
        raise AgentConfigurationError(
            "The model does not support function calling, which is needed for handoffs (its "
            "model_info['function_calling'] is False). Use a model that can call functions, or "
            "remove the handoffs."
        )
    built: list[Handoff] = []
    for given in handoffs:
        # Checked at run time: callers without a type checker pass other things.
        item = cast(object, given)
        if isinstance(item, str):
            built.append(Handoff(target=item))
        elif isinstance(item, Handoff):
            built.append(item)
        else:
            raise AgentConfigurationError(
                f"Unsupported handoff type: {type(item).__name__} ({item!r}). Pass a Handoff or "
                "the name of the target agent."
            )
    names = [handoff.name for handoff in built]
    if len(set(names)) != len(names):
        raise AgentConfigurationError(f"Handoff names must be unique: {names}.")
    tool_names = {
        tool.name
        for workbench in workbenches
        if isinstance(workbench, StaticStreamWorkbench)
        for tool in workbench.tools
    }
    for handoff in built:
        if handoff.name in tool_names or handoff.target in tool_names:
            raise AgentConfigurationError(
                f"Handoff names must be unique from tool names: the handoff to "
                f"{handoff.target!r} ({handoff.name!r}) clashes with a tool; rename one of them."
            )
    return {handoff.name: handoff for handoff in built}


def without_images(messages: list[LLMMessage]) -> list[LLMMessage]:
    """The messages with each image replaced by the text ``[image]``, for models without vision."""
    compatible: list[LLMMessage] = []
    for message in messages:
        if isinstance(message, UserMessage) and isinstance(message.content, list):
            parts = ["[image]" if isinstance(p, Image) else p for p in message.content]
            message = UserMessage(content="\n".join(parts), source=message.source)
        compatible.append(message)
    return compatible


def handoff_message(
    source: str,
    handoffs: dict[str, Handoff],
    calls: list[FunctionCall],
    results: list[FunctionExecutionResult],
    thought: str | None = None,
) -> HandoffMessage | None:
    """The handoff the model asked for among ``calls`` (the first one), or ``None``.

    The other calls of the same step and their results go along as the message's ``context``,
    so the target knows what was done; with no other calls, the model's ``thought`` (if any)
    goes along instead, so the target knows why it got the conversation.

    Warns:
        UserWarning: The model asked for more than one handoff; only the first is made.
    """
    requested = [c for c in calls if c.name in handoffs]
    if not requested:
        return None
    chosen = requested[0]
    if len(requested) > 1:
        warnings.warn(
            f"Multiple handoffs detected in one model reply of agent {source!r}; only the first "
            f"is made: {[c.name for c in requested]}. Disable parallel tool calls in the model "
            "client to avoid this.",
            UserWarning,
            stacklevel=3,
        )
    handoff = handoffs[chosen.name]
    content = next((r.content for r in results if r.call_id == chosen.id), handoff.message)
    other_calls = [c for c in calls if c.name not in handoffs]
    passed: list[LLMMessage] = []
    if other_calls:
        other_ids = {c.id for c in other_calls}
        passed = [
            AssistantMessage(content=other_calls, source=source, thought=thought),
            FunctionExecutionResultMessage(content=[r for r in results if r.call_id in other_ids]),
        ]
    elif thought:
        passed = [AssistantMessage(content=thought, source=source)]
    return HandoffMessage(content=content, target=handoff.target, source=source, context=passed)


def summary_message(
    source: str,
    calls: list[FunctionCall],
    results: list[FunctionExecutionResult],
    template: str,
    formatter: SummaryFormatter | None,
) -> ToolCallSummaryMessage:
    """A :class:`ToolCallSummaryMessage`: one line per call, by ``formatter`` or ``template``."""
    lines: list[str] = []
    for call, result in zip(calls, results, strict=True):
        if formatter is not None:
            lines.append(formatter(call, result))
        else:
            lines.append(
                template.format(
                    tool_name=call.name,
                    arguments=call.arguments,
                    result=result.content,
                    is_error=result.is_error,
                )
            )
    return ToolCallSummaryMessage.model_construct(
        content="\n".join(lines), source=source, tool_calls=calls, results=results
    )
