"""A tiny MCP server with one tool, for ``examples/tool_mcp.py`` (which starts it over stdio).

It is written with the official ``mcp`` SDK and knows nothing of Parlay. Run it alone with
``python examples/servers/weather_mcp.py``: it then waits for MCP messages on stdin.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("weather", log_level="ERROR")


@server.tool()
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is 21 degrees and sunny in {city}."


if __name__ == "__main__":
    server.run()
