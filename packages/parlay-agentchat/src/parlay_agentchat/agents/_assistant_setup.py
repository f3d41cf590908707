"""Building an AssistantAgent's tools, handoffs and turn results from its arguments."""

from __future__ import annotations

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
    "build_workbenches",
    "handoff_message",
    "summary_message",
    "without_images",
]

ToolLike = Union[BaseTool[Any, Any], Callable[..., Any]]
SummaryFormatter = Callable[[FunctionCall, FunctionExecutionResult], str]


def _as_tool(tool: ToolLike) -> BaseTool[Any, Any]:
    if isinstance(tool, BaseTool):
        return cast(BaseTool[Any, Any], tool)
    if callable(tool):
        return FunctionTool(tool, description=getattr(tool, "__doc__", None) or "")
    raise AgentConfigurationError(
        f"Unsupported tool {tool!r}: pass a BaseTool (for example FunctionTool) or a function."
    )


def build_workbenches(
    tools: Sequence[ToolLike] | None, workbench: Workbench | Sequence[Workbench] | None
) -> list[Workbench]:
    """The agent's workbenches: the given ones, or one holding the given tools.

    Raises:
        AgentConfigurationError: Both are given, or two tools share a name.
    """
    if tools and workbench is not None:
        raise AgentConfigurationError(
            "Pass tools or workbench, not both: put the tools into one of the workbenches."
        )
    if tools:
        built = [_as_tool(tool) for tool in tools]
        names = [tool.name for tool in built]
        if len(set(names)) != len(names):
            raise AgentConfigurationError(f"Tool names must be unique: {names}.")
        return [StaticStreamWorkbench(built)]
    if workbench is None:
        return []
    if isinstance(workbench, Workbench):
        return [workbench]
    return list(workbench)


def build_handoffs(
    handoffs: Sequence[Handoff | str] | None, workbenches: Sequence[Workbench]
) -> dict[str, Handoff]:
    """The agent's handoffs by tool name.

    Raises:
        AgentConfigurationError: Two handoffs, or a handoff and a tool, share a name.
    """
    built: dict[str, Handoff] = {}
    tool_names = {
        tool.name
        for workbench in workbenches
        if isinstance(workbench, StaticStreamWorkbench)
        for tool in workbench.tools
    }
    for item in handoffs or ():
        handoff = Handoff(target=item) if isinstance(item, str) else item
        if handoff.name in built:
            raise AgentConfigurationError(f"Handoff names must be unique: {handoff.name!r}.")
        if handoff.name in tool_names:
            raise AgentConfigurationError(
                f"Handoff {handoff.name!r} has the name of a tool; rename one of them."
            )
        built[handoff.name] = handoff
    return built


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
) -> HandoffMessage | None:
    """The handoff the model asked for among ``calls`` (the first one), or ``None``.

    The other calls of the same step and their results go along as the message's ``context``,
    so the target knows what was done.
    """
    chosen = next((c for c in calls if c.name in handoffs), None)
    if chosen is None:
        return None
    handoff = handoffs[chosen.name]
    other_calls = [c for c in calls if c.name not in handoffs]
    passed: list[LLMMessage] = []
    if other_calls:
        other_ids = {c.id for c in other_calls}
        passed = [
            AssistantMessage(content=other_calls, source=source),
            FunctionExecutionResultMessage(content=[r for r in results if r.call_id in other_ids]),
        ]
    return HandoffMessage(
        content=handoff.message, target=handoff.target, source=source, context=passed
    )


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
