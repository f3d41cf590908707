"""The one place the ``mcp`` SDK is imported; a missing SDK names the extra to install."""

from __future__ import annotations

from parlay_ext.models._common import missing_sdk

try:
    import httpx2
    from mcp import ClientSession
    from mcp import types as mcp_types
    from mcp.client.session import ClientRequestContext, SamplingFnT
    from mcp.client.sse import sse_client
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError
except ImportError as _error:  # pragma: no cover - exercised in an environment without the SDK
    raise missing_sdk("mcp", "mcp", _error) from _error

__all__ = [
    "ClientRequestContext",
    "ClientSession",
    "MCPError",
    "SamplingFnT",
    "StdioServerParameters",
    "httpx2",
    "mcp_types",
    "sse_client",
    "stdio_client",
    "streamable_http_client",
]
