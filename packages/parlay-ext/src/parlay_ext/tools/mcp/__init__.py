"""Model Context Protocol servers as Parlay tools (extra ``mcp``).

:class:`McpWorkbench` keeps one session with a server and offers its tools to an agent, along
with its resources and prompts, and answers the server's sampling requests with a Parlay model
client. :func:`mcp_server_tools` turns a server's tools into separate Parlay tools instead.
Servers are reached over stdio (:class:`StdioServerParams`), Streamable HTTP
(:class:`StreamableHttpServerParams`) or the older HTTP+SSE transport (:class:`SseServerParams`).
"""

from parlay_ext.tools.mcp._adapter import (
    McpToolAdapter,
    McpToolAdapterConfig,
    SseMcpToolAdapter,
    StdioMcpToolAdapter,
    StreamableHttpMcpToolAdapter,
    mcp_server_tools,
)
from parlay_ext.tools.mcp._config import (
    McpServerParams,
    SseServerParams,
    StdioServerParams,
    StreamableHttpServerParams,
)
from parlay_ext.tools.mcp._workbench import McpWorkbench, McpWorkbenchConfig, McpWorkbenchState

__all__ = [
    "McpServerParams",
    "McpToolAdapter",
    "McpToolAdapterConfig",
    "McpWorkbench",
    "McpWorkbenchConfig",
    "McpWorkbenchState",
    "SseMcpToolAdapter",
    "SseServerParams",
    "StdioMcpToolAdapter",
    "StdioServerParams",
    "StreamableHttpMcpToolAdapter",
    "StreamableHttpServerParams",
    "mcp_server_tools",
]
