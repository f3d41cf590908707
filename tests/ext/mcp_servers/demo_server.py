"""A small MCP server for the tests: ``python demo_server.py [stdio|streamable-http|sse] [port]``.

Its tools cover what a client must handle: plain text, structured JSON, an image, a tool that
raises, one that kills its own process, one that never answers, one that freezes the whole
server, and one that asks the client's model a question (sampling). It also offers resources
and a prompt.
"""

from __future__ import annotations

import base64
import os
import sys
import time
import warnings

import anyio
from mcp import types
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

# A 1x1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

# CRITICAL: the tests provoke errors on purpose, and the server would log each one to stderr.
server = MCPServer("demo", log_level="CRITICAL")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def weather(city: str) -> dict[str, object]:
    """Report the weather in a city as JSON."""
    return {"city": city, "temperature_c": 21, "sky": "sunny"}


@server.tool()
def pixel() -> Image:
    """Return a one-pixel PNG image."""
    return Image(data=PIXEL, format="png")


@server.tool()
def fail(reason: str) -> str:
    """Always fail, with the given reason."""
    raise ToolError(f"refused: {reason}")


@server.tool()
def crash() -> str:
    """Kill the server process in the middle of the call."""
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Never answer."""
    await anyio.sleep_forever()
    return "unreachable"


@server.tool()
async def freeze() -> str:
    """Block the whole server: it stops answering anything, pings included."""
    time.sleep(600)  # noqa: ASYNC251 - blocking the event loop is the point
    return "unreachable"


@server.tool()
def pid() -> int:
    """Return the server's process id."""
    return os.getpid()


@server.tool()
async def ask_model(question: str, ctx: Context) -> str:
    """Ask the client's model a question and return its answer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sampling is deprecated in the newest protocol revision
        answer = await ctx.session.create_message(
            messages=[types.SamplingMessage(role="user", content=types.TextContent(text=question))],
            max_tokens=50,
            system_prompt="Answer briefly.",
        )
    content = answer.content
    return f"model said: {content.text if isinstance(content, types.TextContent) else content}"


@server.resource("note://greeting", mime_type="text/plain")
def greeting() -> str:
    """A fixed greeting."""
    return "Hello from the demo server"


@server.resource("note://{name}")
def note(name: str) -> str:
    """A note by name."""
    return f"note about {name}"


@server.prompt()
def review(code: str) -> str:
    """Ask for a code review."""
    return f"Please review this code:\n{code}"


if __name__ == "__main__":
    transport = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if transport == "stdio":
        server.run()
    else:
        port = int(sys.argv[2])
        server.run(transport, host="127.0.0.1", port=port)  # type: ignore[call-overload]
