"""An assistant that uses the tools of a local MCP server through :class:`McpWorkbench`.

``servers/weather_mcp.py`` is a small MCP server with a ``get_weather`` tool. The workbench
starts it as a subprocess (the stdio transport), lists its tools for the model and runs the
model's tool call on it; the server stops when the ``async with`` block ends. The assistant
runs on ``default_model_client()``; even the embedded 135M model decides by itself to call the
tool.

Needs the ``mcp`` extra: ``pip install "parlay-ext[mcp]"``. Run it with
``python examples/tool_mcp.py``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import ToolCallExecutionEvent
from parlay_agentchat.ui import Console
from parlay_ext.models import default_model_client
from parlay_ext.tools.mcp import McpWorkbench, StdioServerParams

SERVER = Path(__file__).resolve().parent / "servers" / "weather_mcp.py"


async def main() -> None:
    # The server runs with this interpreter, so it finds the same installed mcp SDK.
    params = StdioServerParams(command=sys.executable, args=[str(SERVER)], read_timeout_seconds=30)
    print(f"Starting the MCP server {SERVER.name} over stdio...", flush=True)
    async with McpWorkbench(params) as workbench:
        tools = await workbench.list_tools()
        print(f"MCP tools: {[tool['name'] for tool in tools]}", flush=True)
        print("(The embedded model loads on the first call; that takes a moment.)", flush=True)
        model = default_model_client(max_tokens=40, temperature=0.0)
        assistant = AssistantAgent(
            "assistant",
            model,
            workbench=workbench,
            system_message="You answer weather questions by calling get_weather.",
        )
        result = await Console(assistant.run_stream(task="What is the weather in Paris?"))
        tools_run = sum(isinstance(m, ToolCallExecutionEvent) for m in result.messages)
        print(f"assistant finished: {tools_run} tool run(s) on the MCP server")
        await model.close()
    print("MCP server stopped")


if __name__ == "__main__":
    asyncio.run(main())
