"""McpWorkbench against a real MCP server run over stdio (tests/ext/mcp_servers/demo_server.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator

import pytest

from parlay_core import CancellationToken, Image
from parlay_core.exceptions import ToolError, ToolSchemaError, ToolServerError
from parlay_core.models import SystemMessage, UserMessage
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import ImageResultContent, ToolOverride
from parlay_ext.tools.mcp import McpWorkbench, StdioServerParams
from tests.ext._mcp import slow_stdio_params, stdio_params


@pytest.fixture
async def workbench() -> AsyncIterator[McpWorkbench]:
    async with McpWorkbench(stdio_params(read_timeout_seconds=2)) as bench:
        yield bench


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_lists_the_servers_tools_with_their_schemas(workbench: McpWorkbench) -> None:
    tools = {tool["name"]: tool for tool in await workbench.list_tools()}
    assert {"add", "weather", "pixel", "fail", "hang", "ask_model"} <= set(tools)
    add = tools["add"]
    assert add.get("description") == "Add two integers."
    parameters = add.get("parameters")
    assert parameters is not None
    assert set(parameters["properties"]) == {"a", "b"}
    assert set(parameters.get("required", [])) == {"a", "b"}


async def test_text_structured_and_image_results(workbench: McpWorkbench) -> None:
    added = await workbench.call_tool("add", {"a": 2, "b": 40})
    assert (added.is_error, added.to_text()) == (False, "42")

    weather = await workbench.call_tool("weather", {"city": "Oslo"})
    assert json.loads(weather.to_text()) == {"city": "Oslo", "temperature_c": 21, "sky": "sunny"}

    pixel = await workbench.call_tool("pixel")
    assert not pixel.is_error
    [part] = pixel.result
    assert isinstance(part, ImageResultContent)
    assert isinstance(part.content, Image)
    assert part.content.mime_type == "image/png"


async def test_tool_overrides_rename_and_redescribe() -> None:
    overrides = {"add": ToolOverride(name="plus", description="Sum two numbers.")}
    async with McpWorkbench(stdio_params(), tool_overrides=overrides) as bench:
        tools = {tool["name"]: tool for tool in await bench.list_tools()}
        assert "add" not in tools
        assert tools["plus"].get("description") == "Sum two numbers."
        by_new = await bench.call_tool("plus", {"a": 1, "b": 2})
        assert (by_new.name, by_new.to_text(), by_new.is_error) == ("plus", "3", False)
        by_own = await bench.call_tool("add", {"a": 1, "b": 2})
        assert by_own.to_text() == "3"
        unknown = await bench.call_tool("nope")
        assert "plus" in unknown.to_text() and "add," not in unknown.to_text()


def test_two_overrides_with_one_name_are_refused() -> None:
    clash = {"add": ToolOverride(name="x"), "weather": ToolOverride(name="x")}
    with pytest.raises(ToolSchemaError, match="'x'"):
        McpWorkbench(stdio_params(), tool_overrides=clash)


async def test_unknown_tool_lists_the_available_ones(workbench: McpWorkbench) -> None:
    result = await workbench.call_tool("no_such_tool", {})
    assert result.is_error
    assert "'no_such_tool' not found" in result.to_text()
    assert "add" in result.to_text() and "weather" in result.to_text()


async def test_arguments_failing_the_schema_come_back_as_an_error(workbench: McpWorkbench) -> None:
    result = await workbench.call_tool("add", {"a": "many"})
    assert result.is_error
    text = result.to_text()
    assert "a" in text and "b" in text and "Field required" in text


async def test_an_error_raised_in_the_tool_reaches_the_model(workbench: McpWorkbench) -> None:
    result = await workbench.call_tool("fail", {"reason": "disk full"})
    assert result.is_error
    assert "refused: disk full" in result.to_text()


async def test_a_crash_mid_call_is_an_error_and_the_next_call_reconnects(
    workbench: McpWorkbench,
) -> None:
    first_pid = int((await workbench.call_tool("pid")).to_text())
    crashed = await workbench.call_tool("crash")
    assert crashed.is_error
    assert "lost" in crashed.to_text() and "next call starts a new session" in crashed.to_text()

    again = await workbench.call_tool("add", {"a": 1, "b": 1})
    assert (again.is_error, again.to_text()) == (False, "2")
    assert int((await workbench.call_tool("pid")).to_text()) != first_pid


async def test_a_tool_that_never_answers_times_out_and_the_session_survives(
    workbench: McpWorkbench,
) -> None:
    server_pid = int((await workbench.call_tool("pid")).to_text())
    started = time.monotonic()
    result = await workbench.call_tool("hang")
    assert time.monotonic() - started < 5
    assert result.is_error and "did not answer call_tool 'hang' within 2 s" in result.to_text()
    # The server still answers pings, so the session (and its process) is kept.
    assert int((await workbench.call_tool("pid")).to_text()) == server_pid


async def test_a_frozen_server_times_out_and_is_replaced(workbench: McpWorkbench) -> None:
    frozen_pid = int((await workbench.call_tool("pid")).to_text())
    result = await workbench.call_tool("freeze")
    assert result.is_error and "did not answer" in result.to_text()
    # It answers nothing, pings included: the next call runs on a new server process.
    assert int((await workbench.call_tool("pid")).to_text()) != frozen_pid


async def test_cancelling_the_token_cancels_the_call(workbench: McpWorkbench) -> None:
    token = CancellationToken()
    call = asyncio.ensure_future(workbench.call_tool("hang", cancellation_token=token))
    await asyncio.sleep(0.2)  # let the request reach the server; the outcome does not depend on it
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, 1)
    assert (await workbench.call_tool("add", {"a": 3, "b": 4})).to_text() == "7"


async def test_resources_and_templates(workbench: McpWorkbench) -> None:
    listed = await workbench.list_resources()
    assert [str(resource.uri) for resource in listed.resources] == ["note://greeting"]
    read = await workbench.read_resource("note://greeting")
    assert [getattr(c, "text", None) for c in read.contents] == ["Hello from the demo server"]
    templates = await workbench.list_resource_templates()
    assert [t.uri_template for t in templates.resource_templates] == ["note://{name}"]
    filled = await workbench.read_resource("note://tea")
    assert getattr(filled.contents[0], "text", None) == "note about tea"
    with pytest.raises(ToolError, match="refused read_resource"):
        await workbench.read_resource("missing://nothing")


async def test_prompts(workbench: McpWorkbench) -> None:
    prompts = await workbench.list_prompts()
    assert [prompt.name for prompt in prompts.prompts] == ["review"]
    filled = await workbench.get_prompt("review", {"code": "x = 1"})
    assert getattr(filled.messages[0].content, "text", None) == "Please review this code:\nx = 1"
    with pytest.raises(ToolError, match="get_prompt 'nope'"):
        await workbench.get_prompt("nope")


async def test_sampling_is_answered_by_the_model_client() -> None:
    model = ReplayChatCompletionClient(["Paris"])
    async with McpWorkbench(stdio_params(), model_client=model) as bench:
        result = await bench.call_tool("ask_model", {"question": "Capital of France?"})
    assert (result.is_error, result.to_text()) == (False, "model said: Paris")
    [sent] = model.create_calls
    assert sent["messages"] == [
        SystemMessage(content="Answer briefly."),
        UserMessage(content="Capital of France?", source="mcp_server"),
    ]


async def test_without_a_model_client_sampling_is_refused(workbench: McpWorkbench) -> None:
    result = await workbench.call_tool("ask_model", {"question": "Capital of France?"})
    assert result.is_error and "Sampling not supported" in result.to_text()


async def test_concurrent_calls_share_the_session(workbench: McpWorkbench) -> None:
    results = await asyncio.gather(
        *(workbench.call_tool("add", {"a": n, "b": 100}) for n in range(8))
    )
    assert [result.to_text() for result in results] == [str(n + 100) for n in range(8)]
    pids = await asyncio.gather(*(workbench.call_tool("pid") for _ in range(3)))
    assert len({result.to_text() for result in pids}) == 1


async def test_a_server_that_cannot_start_raises_a_typed_error() -> None:
    params = StdioServerParams(command="/nonexistent/mcp-server", read_timeout_seconds=2)
    bench = McpWorkbench(params)
    with pytest.raises(ToolServerError, match="Cannot connect"):
        await bench.start()
    with pytest.raises(ToolServerError):
        await bench.list_tools()
    result = await bench.call_tool("add", {"a": 1, "b": 2})
    assert result.is_error and "Cannot connect" in result.to_text()
    await bench.stop()


async def test_a_server_that_never_completes_the_handshake_times_out() -> None:
    silent = StdioServerParams(
        command=sys.executable,
        args=["-c", "import time; time.sleep(60)"],
        read_timeout_seconds=1,
        startup_timeout_seconds=1,
    )
    bench = McpWorkbench(silent)
    started = time.monotonic()
    with pytest.raises(ToolServerError, match="complete the handshake within 1 s"):
        await bench.start()
    await bench.stop()  # and the silent process is stopped too, within bounds
    assert time.monotonic() - started < 8


async def test_a_server_slower_to_start_than_its_startup_bound_fails_clearly() -> None:
    params = slow_stdio_params(delay=30, startup_timeout_seconds=1)
    bench = McpWorkbench(params)
    with pytest.raises(ToolServerError) as raised:
        await bench.start()
    message = str(raised.value)
    assert "within 1 s" in message
    assert params.args[0] in message and "time.sleep(30)" in message  # names the command
    assert "raise StdioServerParams.startup_timeout_seconds" in message
    await bench.stop()


async def test_a_slow_start_within_its_startup_bound_succeeds_and_calls_keep_their_bound() -> None:
    # The server takes longer to start than read_timeout_seconds (1 s) allows a call.
    async with McpWorkbench(slow_stdio_params(delay=2, startup_timeout_seconds=120)) as bench:
        assert (await bench.call_tool("add", {"a": 2, "b": 3})).to_text() == "5"
        result = await bench.call_tool("hang")
        assert result.is_error and "did not answer call_tool 'hang' within 1 s" in result.to_text()


async def test_the_startup_bound_is_never_shorter_than_the_read_timeout() -> None:
    # An AutoGen config that raised read_timeout_seconds for a slow server keeps that bound.
    silent = StdioServerParams(
        command=sys.executable,
        args=["-c", "import time; time.sleep(60)"],
        read_timeout_seconds=1.5,
        startup_timeout_seconds=0.5,
    )
    bench = McpWorkbench(silent)
    with pytest.raises(ToolServerError, match=r"handshake within 1\.5 s"):
        await bench.start()
    await bench.stop()


async def test_stop_ends_the_server_process() -> None:
    bench = McpWorkbench(stdio_params())
    await bench.start()
    pid = int((await bench.call_tool("pid")).to_text())
    await bench.stop()
    assert not _process_exists(pid)
