"""StaticWorkbench: a fixed list of tools, optionally renamed for the model."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import Component, ComponentModel
from parlay_core._exceptions import ToolError, ToolSchemaError
from parlay_core.tools._base import BaseTool, StreamTool
from parlay_core.tools._result import (
    TextResultContent,
    ToolOverride,
    ToolResult,
    result_content_from_value,
)
from parlay_core.tools._schema import ToolSchema
from parlay_core.tools._workbench import StreamWorkbench, Workbench

__all__ = [
    "StaticStreamWorkbench",
    "StaticWorkbench",
    "StaticWorkbenchConfig",
    "StaticWorkbenchState",
]

# ExceptionGroup exists from Python 3.11 on; on 3.10 nothing can be a group.
_EXCEPTION_GROUP: Any = getattr(builtins, "BaseExceptionGroup", ())


class StaticWorkbenchConfig(BaseModel):
    """The component config of a :class:`StaticWorkbench`.

    Attributes:
        tools: The component configs of the tools.
        tool_overrides: New names and descriptions, keyed by the tools' own names.
    """

    tools: list[ComponentModel] = Field(default_factory=list[ComponentModel])
    tool_overrides: dict[str, ToolOverride] = Field(default_factory=dict[str, ToolOverride])


class StaticWorkbenchState(BaseModel):
    """The saved state of a :class:`StaticWorkbench`: each tool's state by its own name."""

    type: Literal["StaticWorkbenchState"] = "StaticWorkbenchState"
    tools: dict[str, Mapping[str, Any]] = Field(default_factory=dict[str, Mapping[str, Any]])


def _describe_error(error: BaseException) -> str:
    if isinstance(error, _EXCEPTION_GROUP):
        nested: Sequence[BaseException] = getattr(error, "exceptions", ())
        return "\n".join(_describe_error(item) for item in nested)
    text = str(error).strip()
    # An exception without a message (raise KeyError()) would otherwise give the model nothing.
    return text or type(error).__name__


class StaticWorkbench(Workbench, Component[StaticWorkbenchConfig]):
    """A workbench over a fixed list of tools.

    ``tool_overrides`` renames tools or rewrites their descriptions for the model, keyed by the
    tool's own name; calls may use the new name. A failed call returns a
    :class:`ToolResult` with ``is_error=True``: an unknown name lists the available tools,
    invalid arguments list the field errors, and an exception raised by a tool gives its
    message. Cancelling the token cancels the call and raises ``CancelledError``.

    Args:
        tools: The tools.
        tool_overrides: New names and descriptions, keyed by the tools' own names.

    Raises:
        ToolSchemaError: Two tools would be shown to the model under the same name.
    """

    component_provider_override = "parlay_core.tools.StaticWorkbench"
    component_config_schema = StaticWorkbenchConfig

    def __init__(
        self,
        tools: Sequence[BaseTool[Any, Any]],
        tool_overrides: Mapping[str, ToolOverride] | None = None,
    ) -> None:
        self._tools = list(tools)
        self._tool_overrides = dict(tool_overrides or {})
        own_names = [tool.name for tool in self._tools]
        self._by_name: dict[str, BaseTool[Any, Any]] = {}
        # Like AutoGen, a renamed tool still answers to its own name when code calls it directly.
        self._by_own_name = {tool.name: tool for tool in self._tools}
        for tool in self._tools:
            shown = self._shown_name(tool.name)
            if shown in self._by_name:
                raise ToolSchemaError(
                    f"Two tools are shown to the model as {shown!r}. Give each a distinct name, "
                    "or rename one with tool_overrides."
                )
            self._by_name[shown] = tool
        for original in self._tool_overrides:
            if original not in own_names:
                raise ToolSchemaError(
                    f"tool_overrides names {original!r}, which is not one of the tools "
                    f"{own_names}. Key overrides by the tools' own names."
                )

    def _shown_name(self, name: str) -> str:
        override = self._tool_overrides.get(name)
        return override.name if override is not None and override.name else name

    @property
    def tools(self) -> list[BaseTool[Any, Any]]:
        """The tools, under their own names."""
        return list(self._tools)

    async def list_tools(self) -> list[ToolSchema]:
        """Return each tool's schema, with overridden names and descriptions applied."""
        schemas: list[ToolSchema] = []
        for tool in self._tools:
            schema = tool.schema
            override = self._tool_overrides.get(tool.name)
            if override is not None:
                if override.name is not None:
                    schema["name"] = override.name
                if override.description is not None:
                    schema["description"] = override.description
            schemas.append(schema)
        return schemas

    def _find(self, name: str) -> BaseTool[Any, Any] | ToolResult:
        tool = self._by_name.get(name) or self._by_own_name.get(name)
        if tool is not None:
            return tool
        available = ", ".join(sorted(self._by_name)) or "none"
        return ToolResult(
            name=name,
            result=[
                # AutoGen's wording first ("Tool x not found."), so code matching it still works.
                TextResultContent(content=f"Tool {name} not found. Available tools: {available}.")
            ],
            is_error=True,
        )

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Call a tool by its shown name; failures come back as an error result.

        Raises:
            asyncio.CancelledError: The token was cancelled during the call.
        """
        found = self._find(name)
        if isinstance(found, ToolResult):
            return found
        token = cancellation_token or CancellationToken()
        try:
            call = asyncio.ensure_future(found.run_json(arguments or {}, token, call_id=call_id))
            token.link_future(call)
            value = await call
            content = result_content_from_value(value, found.return_value_as_string(value))
        except Exception as exc:
            return ToolResult(
                name=name, result=[TextResultContent(content=_describe_error(exc))], is_error=True
            )
        return ToolResult(name=name, result=content, is_error=False)

    async def start(self) -> None:
        """Nothing to start: the tools are plain objects."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def reset(self) -> None:
        """Nothing to reset: tools keep their own state."""

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "StaticWorkbenchState", "tools": {name: state}}``."""
        state = StaticWorkbenchState()
        for tool in self._tools:
            state.tools[tool.name] = await tool.save_state_json()
        return state.model_dump(mode="json")

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load each tool's state; tools missing from ``state`` are left as they are."""
        parsed = StaticWorkbenchState.model_validate(dict(state))
        for tool in self._tools:
            if tool.name in parsed.tools:
                await tool.load_state_json(parsed.tools[tool.name])

    def _to_config(self) -> StaticWorkbenchConfig:
        return StaticWorkbenchConfig(
            tools=[tool.dump_component() for tool in self._tools],
            tool_overrides=self._tool_overrides,
        )

    @classmethod
    def _from_config(cls, config: StaticWorkbenchConfig) -> Self:
        tools: list[BaseTool[Any, Any]] = [BaseTool.load_component(tool) for tool in config.tools]
        return cls(tools=tools, tool_overrides=config.tool_overrides)


class StaticStreamWorkbench(StaticWorkbench, StreamWorkbench):
    """A :class:`StaticWorkbench` that streams the progress items of stream tools.

    :meth:`call_tool_stream` yields each item a :class:`StreamTool` produces before its result,
    then one :class:`ToolResult`. Plain tools yield only the :class:`ToolResult`.
    """

    component_provider_override = "parlay_core.tools.StaticStreamWorkbench"

    async def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any | ToolResult, None]:
        """Call a tool by its shown name, yielding progress items and then the result.

        Raises:
            asyncio.CancelledError: The token was cancelled during the call.
        """
        found = self._find(name)
        if isinstance(found, ToolResult):
            yield found
            return
        token = cancellation_token or CancellationToken()
        # The last item is the result, so each item is held back until the next one arrives.
        pending: list[Any] = []
        try:
            if isinstance(found, StreamTool):
                stream = found.run_json_stream(arguments or {}, token, call_id=call_id)
                try:
                    while True:
                        step = asyncio.ensure_future(stream.__anext__())
                        # A token cancelled while the tool waits interrupts it; one cancelled
                        # between items is left for the tool to notice, as AutoGen's stream
                        # tools do by checking it and finishing early with their result.
                        if not token.is_cancelled():
                            token.link_future(step)
                        try:
                            item = await step
                        except StopAsyncIteration:
                            break
                        if pending:
                            yield pending.pop()
                        pending.append(item)
                finally:
                    await stream.aclose()
                if not pending:
                    raise ToolError(
                        f"Stream tool {found.name!r} yielded nothing; it must yield its result last."
                    )
                value = pending.pop()
            else:
                call = asyncio.ensure_future(
                    found.run_json(arguments or {}, token, call_id=call_id)
                )
                token.link_future(call)
                value = await call
            content = result_content_from_value(value, found.return_value_as_string(value))
        except Exception as exc:
            if pending:
                yield pending.pop()
            yield ToolResult(
                name=name, result=[TextResultContent(content=_describe_error(exc))], is_error=True
            )
            return
        yield ToolResult(name=name, result=content, is_error=False)
