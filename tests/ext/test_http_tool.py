"""HttpTool against a real HTTP server on 127.0.0.1: what is sent, what comes back, what fails."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from parlay_core import CancellationToken, load_component
from parlay_core.exceptions import (
    ComponentConfigError,
    HttpToolError,
    ParlayError,
    ToolArgumentsError,
    ToolSchemaError,
)
from parlay_core.tools import StaticWorkbench
from parlay_ext.tools.http import HttpTool
from tests.ext._http_api import BIG_BODY_BYTES, ITEM_SCHEMA, Api, item_tool


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api()
    yield server
    server.stop()


async def test_get_fills_the_path_parameter_and_sends_the_rest_as_query(api: Api) -> None:
    tool = item_tool(api)
    result = await tool.run_json(
        {"item_id": "a/b c", "color": "red", "limit": 3}, CancellationToken()
    )
    # The slash stays inside the one path segment: the model cannot reach another endpoint.
    assert [s.target for s in api.seen] == ["/items/a%2Fb%20c?color=red&limit=3"]
    assert result == {"method": "GET", "target": "/items/a%2Fb%20c?color=red&limit=3", "body": None}
    assert json.loads(tool.return_value_as_string(result)) == result


@pytest.mark.parametrize(
    ("method", "in_body"),
    [("GET", False), ("DELETE", False), ("POST", True), ("PUT", True), ("PATCH", True)],
)
async def test_the_method_decides_between_query_string_and_json_body(
    api: Api, method: Any, in_body: bool
) -> None:
    tool = item_tool(api, method=method)
    await tool.run_json(
        {"item_id": "7", "color": "blue", "undeclared": "dropped"}, CancellationToken()
    )
    (seen,) = api.seen
    assert seen.method == method
    if in_body:
        assert seen.target == "/items/7"
        # Only declared arguments travel; an optional one the model left out is not sent.
        assert seen.body == {"color": "blue"}
    else:
        assert seen.target == "/items/7?color=blue"
        assert seen.body is None


async def test_headers_bearer_token_and_secret_headers_reach_the_server(api: Api) -> None:
    tool = item_tool(
        api,
        headers={"X-Client": "parlay", "X-Version": 2},
        bearer_token="t0ken",
        secret_headers={"X-Api-Key": "k3y"},
    )
    await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    headers = api.seen[0].headers
    assert headers["x-client"] == "parlay"
    assert headers["x-version"] == "2"
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["x-api-key"] == "k3y"


async def test_basic_auth_reaches_the_server(api: Api) -> None:
    tool = item_tool(api, basic_auth=("ann", "pa55"))
    await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    expected = "Basic " + base64.b64encode(b"ann:pa55").decode()
    assert api.seen[0].headers["authorization"] == expected


async def test_text_return_gives_the_body_unchanged(api: Api) -> None:
    tool = item_tool(api, path="/text/{item_id}", return_type="text")
    result = await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert result == "plain words"
    assert tool.return_value_as_string(result) == "plain words"


async def test_a_body_that_is_not_json_is_an_error_when_json_was_expected(api: Api) -> None:
    tool = item_tool(api, path="/text/{item_id}")
    with pytest.raises(HttpToolError, match="not JSON") as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert caught.value.status_code == 200
    assert "text/plain" in str(caught.value)
    assert "plain words" in str(caught.value)


async def test_404_raises_with_status_and_body(api: Api) -> None:
    tool = item_tool(api, path="/missing/{item_id}")
    with pytest.raises(HttpToolError) as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert caught.value.status_code == 404
    assert "404 Not Found" in str(caught.value)
    assert "no such item here" in str(caught.value)


async def test_500_raises_with_a_bounded_excerpt_of_the_body(api: Api) -> None:
    tool = item_tool(api, path="/boom/{item_id}", return_type="text")
    with pytest.raises(HttpToolError) as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert caught.value.status_code == 500
    message = str(caught.value)
    assert "xxxx" in message
    assert len(message) < 1000
    assert "4500 more characters" in message


async def test_a_redirect_is_not_followed(api: Api) -> None:
    tool = item_tool(api, path="/redirect/{item_id}")
    with pytest.raises(HttpToolError, match="does not follow redirects") as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert caught.value.status_code == 302
    assert len(api.seen) == 1


async def test_a_slow_endpoint_hits_the_timeout(api: Api) -> None:
    tool = item_tool(api, path="/slow/{item_id}", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(HttpToolError, match=r"within 0\.3 s") as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert time.monotonic() - started < 2.5
    assert caught.value.status_code is None
    assert "longer timeout" in str(caught.value)


async def test_the_timeout_covers_the_whole_answer_not_each_read(api: Api) -> None:
    # Every byte arrives well within the timeout, the whole body does not.
    tool = item_tool(api, path="/drip/{item_id}", return_type="text", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(HttpToolError, match=r"within 1 s") as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert time.monotonic() - started < 2
    assert caught.value.status_code is None


async def test_a_large_text_body_is_cut_at_the_cap_with_a_marker(api: Api) -> None:
    tool = item_tool(api, path="/big/text/{item_id}", return_type="text", max_response_bytes=1000)
    result = await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert isinstance(result, str)
    kept, marker = result.split("\n", 1)
    assert kept == "y" * 1000
    assert marker.startswith("[Response truncated") and "max_response_bytes" in marker
    assert len(marker) < 300


async def test_the_default_cap_is_one_megabyte(api: Api) -> None:
    tool = item_tool(api, path="/big/text/{item_id}", return_type="text")
    assert tool.max_response_bytes == 1_000_000
    result = await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    kept, marker = result.split("\n", 1)
    assert kept == "y" * 1_000_000 and marker.startswith("[Response truncated")


async def test_a_json_body_past_the_cap_is_an_error_naming_the_setting(api: Api) -> None:
    tool = item_tool(api, path="/big/{item_id}", max_response_bytes=1000)
    with pytest.raises(HttpToolError, match="larger than 1000 bytes") as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert "max_response_bytes" in str(caught.value)
    assert caught.value.status_code == 200


async def test_a_body_within_the_cap_is_whole(api: Api) -> None:
    tool = item_tool(api, path="/big/{item_id}", max_response_bytes=BIG_BODY_BYTES)
    result = await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert isinstance(result, list) and len(result[0]) == BIG_BODY_BYTES - 4
    assert tool.dump_component().config["max_response_bytes"] == BIG_BODY_BYTES


@pytest.mark.parametrize(
    ("field", "value"), [("timeout", 0), ("timeout", -1.5), ("max_response_bytes", 0)]
)
def test_a_bad_config_value_is_a_typed_error_naming_the_field(
    api: Api, field: str, value: float
) -> None:
    dumped = item_tool(api).dump_component()
    dumped.config[field] = value
    with pytest.raises(ComponentConfigError, match=f"{field} must be") as caught:
        HttpTool.load_component(dumped)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ParlayError)
    assert "get_item" in str(caught.value)


async def test_a_refused_connection_names_the_url_and_the_fix() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    tool = HttpTool("get_item", "127.0.0.1", port, ITEM_SCHEMA, path="/items/{item_id}")
    with pytest.raises(HttpToolError, match="Cannot connect") as caught:
        await tool.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert f"http://127.0.0.1:{port}/items/1" in str(caught.value)
    assert "server is running" in str(caught.value)
    assert caught.value.status_code is None


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ({"item_id": "1"}, "color: Field required"),
        ({"item_id": "1", "color": "green"}, "color: Input should be 'red' or 'blue'"),
        ({"item_id": "1", "color": "red", "limit": 0}, "limit: Input should be greater"),
        ({"color": "red"}, "item_id: Field required"),
        ({"item_id": "..", "color": "red"}, "path parameter 'item_id' cannot be '..'"),
    ],
)
async def test_invalid_arguments_are_refused_before_any_request(
    api: Api, args: dict[str, Any], complaint: str
) -> None:
    tool = item_tool(api)
    with pytest.raises(ToolArgumentsError, match="Invalid arguments for tool 'get_item'") as caught:
        await tool.run_json(args, CancellationToken())
    assert complaint in str(caught.value)
    assert api.seen == []


async def test_cancelling_the_token_cancels_the_request(api: Api) -> None:
    tool = item_tool(api, path="/slow/{item_id}")
    token = CancellationToken()
    call = asyncio.ensure_future(tool.run_json({"item_id": "1", "color": "red"}, token))
    await asyncio.sleep(0.2)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, 2)


def test_the_model_sees_the_configured_schema_with_path_parameters_required(api: Api) -> None:
    parameters = item_tool(api, description="Look up an item.").schema
    assert parameters["name"] == "get_item"
    assert parameters.get("description") == "Look up an item."
    assert parameters.get("parameters") == {**ITEM_SCHEMA, "required": ["color", "item_id"]}


def test_bad_configurations_fail_at_construction(api: Api) -> None:
    with pytest.raises(ToolSchemaError, match=r"placeholders \['user'\]"):
        item_tool(api, path="/users/{user}")
    with pytest.raises(ToolSchemaError, match="uses \\['not'\\]"):
        item_tool(api, json_schema={"type": "object", "properties": {"item_id": {"not": {}}}})
    with pytest.raises(ComponentConfigError, match="not both"):
        item_tool(api, bearer_token="a", basic_auth=("u", "p"))


async def test_a_workbench_turns_failures_into_error_results_the_model_reads(api: Api) -> None:
    found = item_tool(api, name="found")
    missing = item_tool(api, name="missing", path="/missing/{item_id}")
    bench = StaticWorkbench([found, missing])
    ok = await bench.call_tool("found", {"item_id": "1", "color": "red"})
    not_found = await bench.call_tool("missing", {"item_id": "1", "color": "red"})
    invalid = await bench.call_tool("found", {"item_id": "1"})
    assert not ok.is_error
    assert json.loads(ok.to_text())["target"] == "/items/1?color=red"
    assert not_found.is_error
    assert "404 Not Found: no such item here" in not_found.to_text()
    assert invalid.is_error
    assert "color: Field required" in invalid.to_text()
    assert len(api.seen) == 2


async def test_component_round_trip_masks_secrets_unless_asked(api: Api) -> None:
    tool = item_tool(
        api,
        headers={"X-Client": "parlay"},
        bearer_token="t0ken",
        secret_headers={"X-Api-Key": "k3y"},
    )
    masked = tool.dump_component()
    text = masked.model_dump_json()
    assert "t0ken" not in text and "k3y" not in text
    assert masked.config["bearer_token"] == "**********"
    assert masked.provider == "parlay_ext.tools.http.HttpTool"
    with pytest.raises(ComponentConfigError, match="bearer_token"):
        HttpTool.load_component(masked)
    clear = tool.dump_component(include_secrets=True)
    loaded = HttpTool.load_component(json.loads(clear.model_dump_json()))
    assert loaded.dump_component(include_secrets=True) == clear
    await loaded.run_json({"item_id": "1", "color": "red"}, CancellationToken())
    assert api.seen[0].headers["authorization"] == "Bearer t0ken"
    assert api.seen[0].headers["x-api-key"] == "k3y"
    assert api.seen[0].target == "/items/1?color=red"


async def test_an_autogen_config_loads_and_runs(api: Api) -> None:
    config = {
        "provider": "autogen_ext.tools.http.HttpTool",
        "component_type": "tool",
        "version": 1,
        "component_version": 1,
        "config": {
            "name": "echo",
            "description": "Echo a value.",
            "scheme": "http",
            "host": "127.0.0.1",
            "port": api.port,
            "path": "/echo/{value}",
            "method": "POST",
            "headers": None,
            "json_schema": {
                "type": "object",
                "properties": {"value": {"type": "string"}, "n": {"type": "integer"}},
                "required": ["value"],
            },
            "return_type": "json",
        },
    }
    tool = load_component(config, HttpTool)
    result = await tool.run_json({"value": "hi", "n": 2}, CancellationToken())
    assert result == {"method": "POST", "target": "/echo/hi", "body": {"n": 2}}


def test_a_missing_httpx_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    monkeypatch.delitem(sys.modules, "parlay_ext.tools.http._sdk")
    with pytest.raises(ImportError, match=r'pip install "parlay-ext\[http\]"'):
        importlib.import_module("parlay_ext.tools.http._sdk")


NESTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "Line": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
            "required": ["sku", "qty"],
        }
    },
    "properties": {
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
        "note": {"type": ["string", "null"]},
        "user-id": {"type": "string"},
    },
    "required": ["lines", "user-id"],
}


async def test_nested_schemas_are_checked_and_sent_as_given(api: Api) -> None:
    tool = HttpTool(
        "order", "127.0.0.1", api.port, NESTED_SCHEMA, path="/orders", return_type="json"
    )
    assert "$ref" not in json.dumps(tool.schema)
    args = {"lines": [{"sku": "A1", "qty": 2}], "user-id": "u7", "note": None}
    result = await tool.run_json(args, CancellationToken())
    assert result["body"] == args
    with pytest.raises(ToolArgumentsError, match=r"lines\.0\.qty: Input should be greater"):
        await tool.run_json(
            {"lines": [{"sku": "A1", "qty": 0}], "user-id": "u7"}, CancellationToken()
        )
    with pytest.raises(ToolArgumentsError, match="lines: List should have at least 1 item"):
        await tool.run_json({"lines": [], "user-id": "u7"}, CancellationToken())
    assert len(api.seen) == 1


def test_the_entry_point_name_loads_the_tool(api: Api) -> None:
    http = load_component(
        {
            "provider": "http",
            "config": {"name": "t", "host": "127.0.0.1", "port": api.port, "json_schema": {}},
        }
    )
    assert isinstance(http, HttpTool)


async def test_draft_4_boolean_exclusive_bounds_are_honoured(api: Api) -> None:
    schema = {"properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMinimum": True}}}
    tool = HttpTool("count", "127.0.0.1", api.port, schema, path="/count", method="GET")
    with pytest.raises(ToolArgumentsError, match="n: Input should be greater than 1"):
        await tool.run_json({"n": 1}, CancellationToken())
    await tool.run_json({"n": 2}, CancellationToken())
    assert [s.target for s in api.seen] == ["/count?n=2"]
