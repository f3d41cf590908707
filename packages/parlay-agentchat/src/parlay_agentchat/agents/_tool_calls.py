"""Executing a model's tool calls against workbenches and handoffs, never letting a tool crash.

Every failure (unknown tool, arguments that are not a JSON object, a tool that raises, a
workbench that raises) becomes a :class:`FunctionExecutionResult` with ``is_error=True`` whose
text tells the model what went wrong; only cancellation propagates.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, cast

from parlay_agentchat.base import Handoff
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage
from parlay_core import CancellationToken, FunctionCall
from parlay_core.models import FunctionExecutionResult
from parlay_core.tools import StreamWorkbench, ToolResult, ToolSchema, Workbench

__all__ = ["ToolRouter"]

_DONE = object()


def _error(call: FunctionCall, text: str) -> FunctionExecutionResult:
    return FunctionExecutionResult(content=text, name=call.name, call_id=call.id, is_error=True)


def _parse_arguments(call: FunctionCall) -> Mapping[str, Any] | FunctionExecutionResult:
    try:
        arguments: object = json.loads(call.arguments) if call.arguments.strip() else {}
    except json.JSONDecodeError as exc:
        return _error(
            call,
            f"Error: the arguments of {call.name!r} are not valid JSON ({exc}). Call the tool "
            "again with a JSON object of arguments.",
        )
    if not isinstance(arguments, dict):
        return _error(
            call,
            f"Error: the arguments of {call.name!r} must be a JSON object, not "
            f"{type(arguments).__name__}. Call the tool again with an object of arguments.",
        )
    return cast(dict[str, Any], arguments)


class ToolRouter:
    """Knows which workbench serves each tool name, and runs calls.

    Args:
        workbenches: The agent's workbenches.
        handoffs: The agent's handoffs by tool name.
    """

    def __init__(self, workbenches: Sequence[Workbench], handoffs: Mapping[str, Handoff]) -> None:
        self._workbenches = list(workbenches)
        self._handoffs = dict(handoffs)
        self._owner: dict[str, Workbench] = {}
        # Built once: a handoff's tool (and so its schema) never changes.
        self._handoff_schemas = [handoff.handoff_tool.schema for handoff in self._handoffs.values()]

    async def schemas(self) -> list[ToolSchema]:
        """List every tool the model may call (handoffs first), refreshing the routing table."""
        schemas = list(self._handoff_schemas)
        owner: dict[str, Workbench] = {}
        for workbench in self._workbenches:
            for schema in await workbench.list_tools():
                owner.setdefault(schema["name"], workbench)
                schemas.append(schema)
        self._owner = owner
        return schemas

    async def _run_one(
        self, call: FunctionCall, token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | FunctionExecutionResult, None]:
        """Run one call, yielding the events its tool streams, then its result."""
        handoff = self._handoffs.get(call.name)
        if handoff is not None:
            yield FunctionExecutionResult(
                content=handoff.message, name=call.name, call_id=call.id, is_error=False
            )
            return
        workbench = self._owner.get(call.name)
        if workbench is None:
            available = ", ".join(sorted([*self._handoffs, *self._owner])) or "none"
            yield _error(
                call,
                f"Error: tool {call.name!r} not found in any workbench. Available tools: "
                f"{available}.",
            )
            return
        arguments = _parse_arguments(call)
        if isinstance(arguments, FunctionExecutionResult):
            yield arguments
            return
        result: ToolResult | None = None
        try:
            if isinstance(workbench, StreamWorkbench):
                # By keyword, as AutoGen calls them: workbenches written for AutoGen may take
                # these parameters as keyword-only.
                stream = workbench.call_tool_stream(
                    name=call.name, arguments=arguments, cancellation_token=token, call_id=call.id
                )
                async for item in stream:
                    if isinstance(item, ToolResult):
                        result = item
                    elif isinstance(item, (BaseAgentEvent, BaseChatMessage)):
                        yield item
            else:
                result = await workbench.call_tool(
                    name=call.name, arguments=arguments, cancellation_token=token, call_id=call.id
                )
        except Exception as exc:  # a workbench must not crash the agent; the model reads this
            yield _error(call, f"Error: {type(exc).__name__}: {exc}")
            return
        if result is None:
            yield _error(call, f"Error: the tool {call.name!r} returned no result.")
            return
        yield FunctionExecutionResult(
            content=result.to_text(), name=call.name, call_id=call.id, is_error=result.is_error
        )

    async def run(
        self, calls: Sequence[FunctionCall], token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | list[FunctionExecutionResult], None]:
        """Run the calls concurrently; yield events tools stream, then the results in call order.

        Raises:
            asyncio.CancelledError: The token was cancelled.
        """
        if len(calls) == 1:
            # The common case: run the call in this task, with no queue and no extra task.
            async for item in self._run_one(calls[0], token):
                if isinstance(item, FunctionExecutionResult):
                    yield [item]
                else:
                    yield item
            return
        sink: asyncio.Queue[object] = asyncio.Queue()

        async def drain(call: FunctionCall) -> FunctionExecutionResult:
            outcome: FunctionExecutionResult | None = None
            async for item in self._run_one(call, token):
                if isinstance(item, FunctionExecutionResult):
                    outcome = item
                else:
                    sink.put_nowait(item)
            assert outcome is not None  # _run_one always ends with a result
            return outcome

        async def run_all() -> list[FunctionExecutionResult]:
            try:
                return list(await asyncio.gather(*(drain(c) for c in calls)))
            finally:
                sink.put_nowait(_DONE)

        task = asyncio.ensure_future(run_all())
        token.link_future(task)
        try:
            while True:
                queued = await sink.get()
                if queued is _DONE:
                    break
                yield cast(BaseAgentEvent | BaseChatMessage, queued)
            yield await task
        finally:
            if not task.done():
                task.cancel()
