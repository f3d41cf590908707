"""The parlay-echo example, installed like any third-party distribution, is found by entry point.

Nothing in this file registers the plugin or imports ``parlay_echo`` before Parlay does: the
``plugins`` nox session installs parlay-core and ``examples/parlay-echo`` from their built
wheels into a fresh environment and runs this file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from parlay_core import CancellationToken, load_component
from parlay_core._exceptions import ComponentNotAllowedError
from parlay_core.models import ChatCompletionClient, CreateResult, SystemMessage, UserMessage
from parlay_core.plugins import MODEL_CLIENTS, TOOLS, find_plugin, list_plugins, plugin_packages
from parlay_core.tools import BaseTool


def test_listing_finds_both_plugins_without_importing_them() -> None:
    # A fresh interpreter, so nothing else in this test run can have imported parlay_echo.
    script = textwrap.dedent(
        """
        import json, sys
        from parlay_core.plugins import list_plugins
        found = [
            [i.group, i.name, i.value, i.distribution]
            for i in list_plugins()
            if i.distribution == "parlay-echo"
        ]
        print(json.dumps({"found": found, "imported": "parlay_echo" in sys.modules}))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    report = json.loads(output.stdout)
    assert sorted(map(tuple, report["found"])) == [
        (MODEL_CLIENTS, "echo", "parlay_echo:EchoChatCompletionClient", "parlay-echo"),
        (TOOLS, "echo", "parlay_echo:EchoTool", "parlay-echo"),
    ]
    assert report["imported"] is False


def test_plugin_info_carries_the_distribution_version() -> None:
    info = find_plugin(MODEL_CLIENTS, "echo")
    assert (info.distribution, info.version) == ("parlay-echo", "0.1.0")
    assert any(i.name == "echo" for i in list_plugins(TOOLS))


async def test_model_client_loads_by_entry_point_name() -> None:
    client = load_component(
        {"provider": "echo", "component_type": "model", "config": {"prefix": "> "}}
    )
    assert isinstance(client, ChatCompletionClient)
    result = await client.create(
        [SystemMessage(content="be an echo"), UserMessage(content="hello there", source="user")]
    )
    assert result.content == "> hello there"
    assert result.finish_reason == "stop"
    chunks = [
        chunk async for chunk in client.create_stream([UserMessage(content="a b c", source="user")])
    ]
    assert "".join(c for c in chunks if isinstance(c, str)) == "> a b c"
    assert isinstance(chunks[-1], CreateResult)


async def test_tool_loads_by_entry_point_name() -> None:
    tool = load_component(
        {"provider": "echo", "component_type": "tool", "config": {"prefix": "echo: "}}
    )
    assert isinstance(tool, BaseTool)
    assert tool.name == "echo"
    assert await tool.run_json({"text": "ping"}, CancellationToken()) == "echo: ping"


def test_class_method_picks_the_group_by_expected_class() -> None:
    client = ChatCompletionClient.load_component({"provider": "echo", "config": {}})
    assert client.model_info["function_calling"] is False


def test_dump_writes_the_public_path_and_loads_back_as_trusted() -> None:
    client = load_component(
        {"provider": "echo", "component_type": "model", "config": {"prefix": "!"}}
    )
    dumped = client.dump_component()
    assert dumped.provider == "parlay_echo.EchoChatCompletionClient"
    assert dumped.config == {"prefix": "!"}
    # parlay_echo declares a plugin, so its package is trusted for dotted paths without permission.
    assert "parlay_echo" in plugin_packages()
    again = load_component(json.loads(dumped.model_dump_json()))
    assert type(again) is type(client)


def test_dotted_path_outside_the_trusted_set_is_refused() -> None:
    with pytest.raises(ComponentNotAllowedError, match="allow_import_paths"):
        load_component({"provider": "json.decoder.JSONDecoder", "config": {}})
