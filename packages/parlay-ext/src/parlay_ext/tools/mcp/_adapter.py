"""One MCP tool as a Parlay tool, and ``mcp_server_tools`` that lists a server's tools as such."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from typing_extensions import Self

from parlay_core import CancellationToken, Component, Image, require_code_execution
from parlay_core.exceptions import ToolError, ToolServerError
from parlay_core.tools import BaseTool, ImageResultContent, TextResultContent, ToolSchema
from parlay_ext.tools.mcp._config import (
    McpServerParams,
    SseServerParams,
    StdioServerParams,
    StreamableHttpServerParams,
    request_timeout,
)
from parlay_ext.tools.mcp._connection import McpConnection, describe
from parlay_ext.tools.mcp._convert import result_parts, tool_schema
from parlay_ext.tools.mcp._sdk import ClientSession, mcp_types

__all__ = [
    "McpToolAdapter",
    "McpToolAdapterConfig",
    "SseMcpToolAdapter",
    "StdioMcpToolAdapter",
    "StreamableHttpMcpToolAdapter",
    "mcp_server_tools",
]

T = TypeVar("T")


class McpToolAdapterConfig(BaseModel):
    """The component config of an MCP tool adapter.

    Attributes:
        server_params: Where the server is.
        tool: The tool's MCP definition, as the server listed it (JSON).
    """

    server_params: McpServerParams
    tool: dict[str, Any]


class _Arguments(BaseModel):
    # The server validates against its own JSON schema; the adapter passes arguments through.
    model_config = ConfigDict(extra="allow")


async def _on_session(
    session: ClientSession,
    what: str,
    timeout: float,
    send: Callable[[ClientSession], Awaitable[T]],
    token: CancellationToken | None,
) -> T:
    call = asyncio.ensure_future(send(session))
    if token is not None:
        token.link_future(call)
    try:
        return await asyncio.wait_for(call, timeout)
    except asyncio.TimeoutError:
        raise ToolServerError(
            f"The MCP server did not answer {what} within {timeout:g} s."
        ) from None


class McpToolAdapter(BaseTool[BaseModel, Any], Component[McpToolAdapterConfig]):
    """One tool of an MCP server, usable wherever a Parlay tool is (``AssistantAgent(tools=...)``).

    Without a ``session``, every call opens a session of its own and closes it afterwards (for a
    stdio server, a new process per call); give one shared ``ClientSession`` to avoid that, or
    use :class:`McpWorkbench`, which keeps one session for all the server's tools.

    A call returns the result's text (parts joined by newlines), or a list of text and
    :class:`~parlay_core.Image` parts when the result has images. It raises
    :class:`~parlay_core.exceptions.ToolError` with the server's message when the tool
    failed, and :class:`~parlay_core.exceptions.ToolServerError` when the server could not
    be reached or did not answer within the deadline.

    Args:
        server_params: Where the server is.
        tool: The tool's MCP definition, as listed by the server.
        session: A started ``mcp.ClientSession`` to send calls on; you keep it open and close it.
    """

    component_config_schema = McpToolAdapterConfig
    component_provider_override = "parlay_ext.tools.mcp.McpToolAdapter"

    def __init__(
        self,
        server_params: McpServerParams,
        tool: mcp_types.Tool,
        session: ClientSession | None = None,
    ) -> None:
        self._server_params = server_params
        self._tool = tool
        self._session = session
        super().__init__(_Arguments, object, tool.name, tool.description or "")

    @property
    def schema(self) -> ToolSchema:
        """The server's own JSON schema of the arguments."""
        return tool_schema(self._tool)

    @property
    def server_params(self) -> McpServerParams:
        """Where the server is."""
        return self._server_params

    def return_value_as_string(self, value: Any) -> str:
        """Text as it is; images as ``[image]``."""
        if isinstance(value, list):
            parts: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
            return "\n".join("[image]" if isinstance(part, Image) else str(part) for part in parts)
        return str(value)

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        """Call the tool on the server.

        Raises:
            ToolError: The tool reported an error.
            ToolServerError: The server was unreachable, went away or did not answer in time.
        """
        what = f"call_tool {self.name!r}"
        arguments = args.model_dump()

        def send(session: ClientSession) -> Awaitable[mcp_types.CallToolResult]:
            return session.call_tool(self._tool.name, arguments)

        if self._session is not None:
            timeout = request_timeout(self._server_params)
            result = await _on_session(self._session, what, timeout, send, cancellation_token)
        else:
            connection = McpConnection(self._server_params)
            try:
                result = await connection.request(what, send, cancellation_token)
            finally:
                await connection.close()
        parts = result_parts(result)
        if result.is_error:
            text = "\n".join(p.content for p in parts if isinstance(p, TextResultContent))
            raise ToolError(f"Tool {self.name!r} failed: {text or 'no details given'}")
        if any(isinstance(part, ImageResultContent) for part in parts):
            return [part.content for part in parts]
        return "\n".join(p.content for p in parts if isinstance(p, TextResultContent))

    def _to_config(self) -> McpToolAdapterConfig:
        return McpToolAdapterConfig(
            server_params=self._server_params,
            tool=self._tool.model_dump(by_alias=True, mode="json", exclude_none=True),
        )

    @classmethod
    def _from_config(cls, config: McpToolAdapterConfig) -> Self:
        if isinstance(config.server_params, StdioServerParams):
            # Calling the tool runs this command: a config must not do that unasked.
            require_code_execution(f"the command {config.server_params.command!r} of an MCP server")
        return cls(config.server_params, mcp_types.Tool.model_validate(config.tool))


class StdioMcpToolAdapter(McpToolAdapter):
    """An :class:`McpToolAdapter` for a server run over stdio (AutoGen's class name)."""

    component_provider_override = "parlay_ext.tools.mcp.StdioMcpToolAdapter"


class SseMcpToolAdapter(McpToolAdapter):
    """An :class:`McpToolAdapter` for a server reached over HTTP+SSE (AutoGen's class name)."""

    component_provider_override = "parlay_ext.tools.mcp.SseMcpToolAdapter"


class StreamableHttpMcpToolAdapter(McpToolAdapter):
    """An :class:`McpToolAdapter` for a server reached over Streamable HTTP (AutoGen's name)."""

    component_provider_override = "parlay_ext.tools.mcp.StreamableHttpMcpToolAdapter"


_ADAPTERS: dict[type[BaseModel], type[McpToolAdapter]] = {
    StdioServerParams: StdioMcpToolAdapter,
    SseServerParams: SseMcpToolAdapter,
    StreamableHttpServerParams: StreamableHttpMcpToolAdapter,
}


def _list_tools(session: ClientSession) -> Awaitable[mcp_types.ListToolsResult]:
    return session.list_tools()


async def mcp_server_tools(
    server_params: McpServerParams, session: ClientSession | None = None
) -> list[McpToolAdapter]:
    """List an MCP server's tools as Parlay tools.

    Args:
        server_params: Where the server is.
        session: A started ``mcp.ClientSession`` that the tools will share; without one, the
            listing and every later call open sessions of their own.

    Returns:
        One adapter per tool, of the class matching the transport.

    Raises:
        ToolServerError: The server could not be reached or did not answer in time.
        ToolError: The server refused to list its tools.
    """
    if session is not None:
        timeout = request_timeout(server_params)
        try:
            listing = await _on_session(session, "list_tools", timeout, _list_tools, None)
        except ToolServerError:
            raise
        except Exception as exc:
            raise ToolServerError(f"Cannot list the MCP server's tools: {describe(exc)}") from exc
    else:
        connection = McpConnection(server_params)
        try:
            listing = await connection.request("list_tools", _list_tools)
        finally:
            await connection.close()
    adapter = _ADAPTERS[type(server_params)]
    return [adapter(server_params, tool, session) for tool in listing.tools]
