"""An assistant that calls an HTTP API through ``HttpTool``; the API is served by this script.

A tiny stock API runs on 127.0.0.1 on a free port, in a thread of this process, so the example
needs no network. The assistant runs on ``default_model_client()`` (the embedded offline model
unless a provider key is set); it decides by itself to call the tool, and the item's
``enum`` keeps even a 135M model's argument valid. Then
the same tool is called with an item the schema does not allow, to show the error result a
model reads: the call is refused before any request is sent.

Needs ``pip install "parlay-ext[http]"``. Run it with ``python examples/tool_http.py``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import ToolCallExecutionEvent
from parlay_agentchat.ui import Console
from parlay_core.tools import StaticWorkbench
from parlay_ext.models import default_model_client
from parlay_ext.tools.http import HttpTool

STOCK = {"apples": 12, "pears": 0, "plums": 7}


class StockApi(BaseHTTPRequestHandler):
    """``GET /stock/<item>`` answers ``{"item": ..., "in_stock": ...}``, or 404."""

    def do_GET(self) -> None:
        print(f"[api] GET {self.path}", flush=True)
        item = self.path.removeprefix("/stock/")
        found = item in STOCK
        body = json.dumps({"item": item, "in_stock": STOCK[item]} if found else {"error": item})
        self.send_response(200 if found else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the [api] line above says enough


async def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StockApi)
    port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Serving the stock API on http://127.0.0.1:{port}", flush=True)
    get_stock = HttpTool(
        name="get_stock",
        description="How many of an item the shop has in stock.",
        host="127.0.0.1",
        port=port,
        path="/stock/{item}",
        method="GET",
        json_schema={
            "type": "object",
            "properties": {"item": {"type": "string", "enum": ["apples", "pears", "plums"]}},
            "required": ["item"],
        },
        return_type="json",
        timeout=5,
    )
    print("(The embedded model loads on the first call; that takes a moment.)", flush=True)
    model = default_model_client(max_tokens=40, temperature=0.0)
    agent = AssistantAgent(
        "shop_assistant",
        model,
        tools=[get_stock],
        system_message="You answer stock questions by calling get_stock.",
    )
    result = await Console(agent.run_stream(task="Do we have apples in stock?"))
    runs = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    errors = sum(1 for m in runs for r in m.content if r.is_error)
    print(
        f"agent finished: {len(result.messages)} messages, {len(runs)} tool run(s), {errors} error(s)"
    )

    refused = await StaticWorkbench([get_stock]).call_tool("get_stock", {"item": "bananas"})
    print(f"[error result] is_error={refused.is_error}: {refused.to_text()}")
    await model.close()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    asyncio.run(main())
