"""MCP over HTTP, the tool adapters and component configs (agents using them: tests/integration)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from parlay_core import CancellationToken, ComponentModel, load_component
from parlay_core.exceptions import ComponentNotAllowedError, ToolError, ToolServerError
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import StaticWorkbench, ToolOverride
from parlay_ext.tools.mcp import (
    McpToolAdapter,
    McpWorkbench,
    SseServerParams,
    StdioMcpToolAdapter,
    StdioServerParams,
    StreamableHttpMcpToolAdapter,
    StreamableHttpServerParams,
    mcp_server_tools,
)
from tests.ext._mcp import free_port, http_server, stdio_params


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    with http_server("streamable-http") as base:
        yield f"{base}/mcp"


@pytest.fixture(scope="module")
def sse_url() -> Iterator[str]:
    with http_server("sse") as base:
        yield f"{base}/sse"


async def test_streamable_http_lists_calls_and_times_out(http_url: str) -> None:
    params = StreamableHttpServerParams(url=http_url, sse_read_timeout=1)
    async with McpWorkbench(params) as bench:
        assert "add" in {tool["name"] for tool in await bench.list_tools()}
        assert (await bench.call_tool("add", {"a": 5, "b": 6})).to_text() == "11"
        failed = await bench.call_tool("fail", {"reason": "over HTTP"})
        assert failed.is_error and "refused: over HTTP" in failed.to_text()
        hung = await bench.call_tool("hang")
        assert hung.is_error and "did not answer" in hung.to_text()
        assert (await bench.call_tool("add", {"a": 1, "b": 1})).to_text() == "2"
        note = await bench.read_resource("note://greeting")
        assert getattr(note.contents[0], "text", None) == "Hello from the demo server"


async def test_sse_lists_and_calls(sse_url: str) -> None:
    async with McpWorkbench(SseServerParams(url=sse_url)) as bench:
        assert "weather" in {tool["name"] for tool in await bench.list_tools()}
        assert (await bench.call_tool("add", {"a": 2, "b": 2})).to_text() == "4"


async def test_an_http_server_that_is_not_there_is_a_typed_error() -> None:
    params = StreamableHttpServerParams(url=f"http://127.0.0.1:{free_port()}/mcp", timeout=2)
    bench = McpWorkbench(params)
    with pytest.raises(ToolServerError, match="Cannot connect"):
        await bench.start()
    await bench.stop()


async def test_mcp_server_tools_adapt_each_server_tool() -> None:
    tools = await mcp_server_tools(stdio_params())
    by_name = {tool.name: tool for tool in tools}
    assert all(isinstance(tool, StdioMcpToolAdapter) for tool in tools)
    parameters = by_name["add"].schema.get("parameters")
    assert parameters is not None
    assert set(parameters["properties"]) == {"a", "b"}

    bench = StaticWorkbench([by_name["add"], by_name["fail"], by_name["pixel"]])
    assert (await bench.call_tool("add", {"a": 1, "b": 2})).to_text() == "3"
    failed = await bench.call_tool("fail", {"reason": "no"})
    assert failed.is_error and "refused: no" in failed.to_text()
    pixel = await bench.call_tool("pixel")
    assert pixel.result[0].type == "ImageResultContent"


async def test_adapters_match_the_transport(http_url: str) -> None:
    tools = await mcp_server_tools(StreamableHttpServerParams(url=http_url))
    add = next(tool for tool in tools if tool.name == "add")
    assert isinstance(add, StreamableHttpMcpToolAdapter)
    fail = next(tool for tool in tools if tool.name == "fail")
    with pytest.raises(ToolError, match="refused: here"):
        await fail.run_json({"reason": "here"}, cancellation_token=CancellationToken())


def test_server_params_have_autogens_shapes_and_defaults() -> None:
    stdio = StdioServerParams(command="uvx", args=["mcp-server-fetch"])
    assert stdio.model_dump() == {
        "type": "StdioServerParams",
        "command": "uvx",
        "args": ["mcp-server-fetch"],
        "env": None,
        "cwd": None,
        "encoding": "utf-8",
        "encoding_error_handler": "strict",
        "read_timeout_seconds": 5,
        "startup_timeout_seconds": 30,
    }
    assert SseServerParams(url="http://h/sse").model_dump() == {
        "type": "SseServerParams",
        "url": "http://h/sse",
        "headers": None,
        "timeout": 5,
        "sse_read_timeout": 300,
    }
    http = StreamableHttpServerParams(url="http://h/mcp")
    assert (http.timeout, http.sse_read_timeout, http.terminate_on_close) == (30.0, 300.0, True)


def test_workbench_config_round_trip() -> None:
    overrides = {"add": ToolOverride(name="plus")}
    bench = McpWorkbench(
        StreamableHttpServerParams(url="http://127.0.0.1:1/mcp", headers={"X-Key": "k"}),
        tool_overrides=overrides,
        model_client=ReplayChatCompletionClient(["hi"]),
    )
    dumped = bench.dump_component()
    assert dumped.provider == "parlay_ext.tools.mcp.McpWorkbench"
    assert dumped.component_type == "workbench"
    assert dumped.config["server_params"]["type"] == "StreamableHttpServerParams"
    loaded = McpWorkbench.load_component(dumped)
    assert loaded.server_params == bench.server_params
    assert loaded.dump_component() == dumped


def test_a_stdio_config_runs_a_command_only_with_permission() -> None:
    config = McpWorkbench(stdio_params()).dump_component()
    with pytest.raises(ComponentNotAllowedError, match="MCP stdio server"):
        load_component(config)
    loaded = load_component(config, McpWorkbench, allow_code_execution=True)
    assert isinstance(loaded.server_params, StdioServerParams)


async def test_an_autogen_config_loads_and_works() -> None:
    # What AutoGen 0.7 writes for McpWorkbench, with its own provider path.
    config = ComponentModel(
        provider="autogen_ext.tools.mcp.McpWorkbench",
        component_type="workbench",
        config={
            "server_params": {
                "type": "StdioServerParams",
                "command": sys.executable,
                "args": [str(stdio_params().args[0])],
                "env": None,
                "read_timeout_seconds": 5,
            },
            "tool_overrides": {"add": {"name": "plus", "description": None}},
            "model_client": None,
        },
    )
    bench = load_component(config, McpWorkbench, allow_code_execution=True)
    async with bench:
        assert (await bench.call_tool("plus", {"a": 1, "b": 2})).to_text() == "3"


async def test_adapter_config_round_trip() -> None:
    [add] = [tool for tool in await mcp_server_tools(stdio_params()) if tool.name == "add"]
    dumped = add.dump_component()
    assert dumped.provider == "parlay_ext.tools.mcp.StdioMcpToolAdapter"
    loaded = load_component(dumped, McpToolAdapter, allow_code_execution=True)
    assert isinstance(loaded, StdioMcpToolAdapter)
    assert loaded.schema == add.schema
    assert await loaded.run_json({"a": 4, "b": 4}, cancellation_token=CancellationToken()) == "8"


def test_without_the_sdk_the_import_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['mcp'] = None\n"
        "try:\n    import parlay_ext.tools.mcp\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert 'pip install "parlay-ext[mcp]"' in out.stdout
