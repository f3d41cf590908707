"""McpWorkbench: the tools, resources and prompts of one MCP server, behind a Workbench."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_core import CancellationToken, Component, ComponentModel, require_code_execution
from parlay_core.exceptions import ToolError, ToolSchemaError
from parlay_core.models import ChatCompletionClient
from parlay_core.tools import TextResultContent, ToolOverride, ToolResult, ToolSchema, Workbench
from parlay_ext.tools.mcp._config import McpServerParams, StdioServerParams
from parlay_ext.tools.mcp._connection import McpConnection, describe
from parlay_ext.tools.mcp._convert import result_parts, sampling_callback, tool_schema
from parlay_ext.tools.mcp._sdk import ClientSession, mcp_types

__all__ = ["McpWorkbench", "McpWorkbenchConfig", "McpWorkbenchState"]


class McpWorkbenchConfig(BaseModel):
    """The component config of a :class:`McpWorkbench`.

    Attributes:
        server_params: Where the server is; its ``type`` names the transport.
        tool_overrides: New names and descriptions, keyed by the server's tool names.
        model_client: The component config of the client that answers sampling requests.
    """

    server_params: McpServerParams
    tool_overrides: dict[str, ToolOverride] = Field(default_factory=dict[str, ToolOverride])
    model_client: ComponentModel | None = None


class McpWorkbenchState(BaseModel):
    """The saved state of a :class:`McpWorkbench`: none, since the server keeps its own."""

    type: Literal["McpWorkBenchState"] = "McpWorkBenchState"


def _list_tools(
    session: ClientSession, params: mcp_types.PaginatedRequestParams | None
) -> Awaitable[mcp_types.ListToolsResult]:
    return session.list_tools(params=params)


def _error(name: str, text: str) -> ToolResult:
    return ToolResult(name=name, result=[TextResultContent(content=text)], is_error=True)


class McpWorkbench(Workbench, Component[McpWorkbenchConfig]):
    """A workbench over the tools of one MCP server, plus its resources and prompts.

    The session starts on :meth:`start` (or on first use) and lasts until :meth:`stop`; use the
    workbench as an async context manager. Every request has a deadline: ``read_timeout_seconds``
    for a stdio server, ``sse_read_timeout`` for an HTTP one. If the server crashes or hangs up,
    the call in flight fails and the next one starts a new session.

    :meth:`call_tool` never raises for a failed call (only cancellation propagates): an unknown
    tool, arguments the server rejects, an error inside the tool, a lost connection or a missed
    deadline all come back as a :class:`ToolResult` with ``is_error=True`` whose text says what
    happened. The other requests raise :class:`~parlay_core.exceptions.ToolServerError` when the
    server is unreachable or silent, and :class:`~parlay_core.exceptions.ToolError` when it
    refuses the request.

    Args:
        server_params: Where the server is: :class:`StdioServerParams`,
            :class:`SseServerParams` or :class:`StreamableHttpServerParams`.
        tool_overrides: New names and descriptions for the model, keyed by the server's tool
            names. Calls may use either name.
        model_client: Answers the server's sampling requests (``sampling/createMessage``).
            Without one, the workbench does not offer sampling to the server.

    Raises:
        ToolSchemaError: Two overrides give the same new name.
    """

    component_provider_override = "parlay_ext.tools.mcp.McpWorkbench"
    component_config_schema = McpWorkbenchConfig

    def __init__(
        self,
        server_params: McpServerParams,
        tool_overrides: Mapping[str, ToolOverride] | None = None,
        model_client: ChatCompletionClient | None = None,
    ) -> None:
        self._server_params = server_params
        self._tool_overrides = dict(tool_overrides or {})
        self._model_client = model_client
        self._own_names: dict[str, str] = {}
        for own, override in self._tool_overrides.items():
            if override.name and override.name != own:
                if override.name in self._own_names:
                    raise ToolSchemaError(
                        f"tool_overrides renames both {self._own_names[override.name]!r} and "
                        f"{own!r} to {override.name!r}. Give each tool a distinct name."
                    )
                self._own_names[override.name] = own
        callback = sampling_callback(model_client) if model_client is not None else None
        self._connection = McpConnection(server_params, callback)
        self._tools: dict[str, mcp_types.Tool] | None = None

    @property
    def server_params(self) -> McpServerParams:
        """Where the server is."""
        return self._server_params

    async def start(self) -> None:
        """Start the server (stdio) or connect to it, and complete the MCP handshake.

        Raises:
            ToolServerError: The server could not be started or reached in time.
        """
        await self._connection.session()

    async def stop(self) -> None:
        """End the session and wait until a stdio server's process has exited."""
        await self._connection.close()
        self._tools = None

    async def reset(self) -> None:
        """Forget the cached tool list; the server keeps its own state."""
        self._tools = None

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "McpWorkBenchState"}``: the state lives in the server."""
        return McpWorkbenchState().model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Nothing to load."""

    async def _server_tools(
        self, token: CancellationToken | None = None
    ) -> dict[str, mcp_types.Tool]:
        tools: dict[str, mcp_types.Tool] = {}
        cursor: str | None = None
        while True:
            params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await self._connection.request(
                "list_tools", partial(_list_tools, params=params), token
            )
            tools.update((tool.name, tool) for tool in page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        self._tools = tools
        return tools

    async def list_tools(self) -> list[ToolSchema]:
        """Return the server's tools as schemas, with the overrides applied.

        Raises:
            ToolServerError: The server is unreachable or did not answer in time.
        """
        schemas: list[ToolSchema] = []
        for tool in (await self._server_tools()).values():
            override = self._tool_overrides.get(tool.name, ToolOverride())
            schemas.append(tool_schema(tool, override.name, override.description))
        return schemas

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Call a tool by its shown name (or its own); failures come back as an error result.

        Args:
            name: The tool name, as listed by :meth:`list_tools`.
            arguments: The arguments; ``None`` means none.
            cancellation_token: Cancels the call; the server is told to stop.
            call_id: The model's id of this call.

        Raises:
            asyncio.CancelledError: The token was cancelled during the call.
        """
        own = self._own_names.get(name, name)
        try:
            tools = self._tools if self._tools is not None and own in self._tools else None
            if tools is None:  # a new session, or a tool the server added since the last list
                tools = await self._server_tools(cancellation_token)
            if own not in tools:
                shown = sorted(self._shown_name(tool) for tool in tools)
                return _error(
                    name, f"Tool {name!r} not found. Available tools: {', '.join(shown) or 'none'}."
                )
            result = await self._connection.request(
                f"call_tool {name!r}",
                lambda session: session.call_tool(own, dict(arguments or {})),
                cancellation_token,
            )
            parts = result_parts(result)
        except ToolError as exc:
            if not self._connection.is_open:  # the next session may offer other tools
                self._tools = None
            return _error(name, str(exc))
        except Exception as exc:  # a malformed result: the model still needs to hear about it
            return _error(name, f"Tool {name!r} failed: {describe(exc)}")
        return ToolResult(name=name, result=parts, is_error=result.is_error)

    def _shown_name(self, own: str) -> str:
        override = self._tool_overrides.get(own)
        return override.name if override is not None and override.name else own

    async def list_resources(self) -> mcp_types.ListResourcesResult:
        """Return the first page of the server's resources.

        Raises:
            ToolServerError: The server is unreachable or did not answer in time.
            ToolError: The server refused (it offers no resources, say).
        """
        return await self._connection.request(
            "list_resources", lambda session: session.list_resources()
        )

    async def list_resource_templates(self) -> mcp_types.ListResourceTemplatesResult:
        """Return the first page of the server's resource templates (URIs with parameters).

        Raises:
            ToolServerError: The server is unreachable or did not answer in time.
            ToolError: The server refused.
        """
        return await self._connection.request(
            "list_resource_templates", lambda session: session.list_resource_templates()
        )

    async def read_resource(self, uri: str) -> mcp_types.ReadResourceResult:
        """Read one resource by URI.

        Raises:
            ToolServerError: The server is unreachable or did not answer in time.
            ToolError: The server refused (an unknown URI, say).
        """
        return await self._connection.request(
            f"read_resource {uri!r}", lambda session: session.read_resource(uri)
        )

    async def list_prompts(self) -> mcp_types.ListPromptsResult:
        """Return the first page of the server's prompt templates.

        Raises:
            ToolServerError: The server is unreachable or did not answer in time.
            ToolError: The server refused.
        """
        return await self._connection.request(
            "list_prompts", lambda session: session.list_prompts()
        )

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> mcp_types.GetPromptResult:
        """Fill in a prompt template.

        Args:
            name: The prompt's name.
            arguments: Its arguments; MCP prompt arguments are strings.

        Raises:
            ToolServerError: The server is unreachable or did not answer in time.
            ToolError: The server refused (an unknown prompt or a missing argument, say).
        """
        return await self._connection.request(
            f"get_prompt {name!r}",
            lambda session: session.get_prompt(name, dict(arguments) if arguments else None),
        )

    def _to_config(self) -> McpWorkbenchConfig:
        return McpWorkbenchConfig(
            server_params=self._server_params,
            tool_overrides=self._tool_overrides,
            model_client=self._model_client.dump_component() if self._model_client else None,
        )

    @classmethod
    def _from_config(cls, config: McpWorkbenchConfig) -> Self:
        params = config.server_params
        if isinstance(params, StdioServerParams):
            # Starting the workbench runs this command: a config must not do that unasked.
            require_code_execution(f"the command {params.command!r} of an MCP stdio server")
        client = (
            ChatCompletionClient.load_component(config.model_client)
            if config.model_client is not None
            else None
        )
        return cls(config.server_params, config.tool_overrides, client)
