"""How to reach an MCP server: the three transports' parameters, shaped like AutoGen's.

These models import nothing from the ``mcp`` SDK, so a config can be read, validated and dumped
where the SDK is not installed; only connecting needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "McpServerParams",
    "SseServerParams",
    "StdioServerParams",
    "StreamableHttpServerParams",
    "request_timeout",
    "startup_timeout",
]


class StdioServerParams(BaseModel):
    """Run an MCP server as a local subprocess and talk to it over its stdin and stdout.

    The process runs with your privileges. It inherits only a few safe variables of your
    environment (``PATH``, ``HOME``, ``USER``, ...); pass whatever else it needs in ``env``.

    Attributes:
        command: The executable to run.
        args: Its command-line arguments.
        env: Extra environment variables, added to the safe inherited ones.
        cwd: The working directory; the current one when ``None``.
        encoding: The text encoding of the messages.
        encoding_error_handler: What to do with bytes that do not decode.
        read_timeout_seconds: How long to wait for the answer to each request (a tool call,
            a listing) before giving up on it.
        startup_timeout_seconds: How long starting the process and completing the MCP
            handshake may take, in seconds. Never shorter than ``read_timeout_seconds``: in
            AutoGen the handshake is one more request, so a config that raised
            ``read_timeout_seconds`` for a slow server keeps working. A server started with
            ``npx``/``uvx`` may download packages first, and an interpreter importing the
            ``mcp`` SDK can take seconds on a busy machine; raise it for such servers.
    """

    type: Literal["StdioServerParams"] = "StdioServerParams"
    command: str
    args: list[str] = Field(default_factory=list[str])
    env: dict[str, str] | None = None
    cwd: str | Path | None = None
    encoding: str = "utf-8"
    encoding_error_handler: Literal["strict", "ignore", "replace"] = "strict"
    read_timeout_seconds: float = 5
    startup_timeout_seconds: float = 30


class SseServerParams(BaseModel):
    """Connect to an MCP server over the older HTTP+SSE transport.

    Attributes:
        url: The SSE endpoint, for example ``http://127.0.0.1:8000/sse``.
        headers: Headers sent with every request (authorization, for example).
        timeout: The HTTP timeout of ordinary requests, in seconds.
        sse_read_timeout: How long to wait for the answer to each request, in seconds.
    """

    type: Literal["SseServerParams"] = "SseServerParams"
    url: str
    headers: dict[str, Any] | None = None
    timeout: float = 5
    sse_read_timeout: float = 300


class StreamableHttpServerParams(BaseModel):
    """Connect to an MCP server over the Streamable HTTP transport.

    Attributes:
        url: The endpoint, for example ``http://127.0.0.1:8000/mcp``.
        headers: Headers sent with every request (authorization, for example).
        timeout: The HTTP timeout of ordinary requests, in seconds.
        sse_read_timeout: How long to wait for the answer to each request, in seconds.
        terminate_on_close: End the server-side session when the connection closes.
    """

    type: Literal["StreamableHttpServerParams"] = "StreamableHttpServerParams"
    url: str
    headers: dict[str, Any] | None = None
    timeout: float = 30.0
    sse_read_timeout: float = 300.0
    terminate_on_close: bool = True


McpServerParams = Annotated[
    StdioServerParams | SseServerParams | StreamableHttpServerParams, Field(discriminator="type")
]
"""Any of the three, told apart in a config by its ``type``."""


def request_timeout(
    params: StdioServerParams | SseServerParams | StreamableHttpServerParams,
) -> float:
    """The per-request deadline: AutoGen reads it from these two fields, and so do we."""
    if isinstance(params, StdioServerParams):
        return params.read_timeout_seconds
    return params.sse_read_timeout


def startup_timeout(
    params: StdioServerParams | SseServerParams | StreamableHttpServerParams,
) -> float:
    """The deadline of opening a session: starting a stdio server and the handshake."""
    if isinstance(params, StdioServerParams):
        # Never below the request deadline, which bounded the handshake in AutoGen.
        return max(params.startup_timeout_seconds, params.read_timeout_seconds)
    return params.sse_read_timeout
