"""Tools and executors of parlay-ext used by AgentChat agents.

These need parlay-agentchat and parlay-ext together, so they live outside tests/ext (which the
ext-only layering session runs without AgentChat installed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import ToolCallExecutionEvent
from parlay_core import FunctionCall
from parlay_core.models import CreateResult, FunctionExecutionResultMessage, ModelInfo, RequestUsage
from parlay_core.testing import ReplayChatCompletionClient
from parlay_ext.code_executors.local import LocalCommandLineCodeExecutor
from parlay_ext.tools.code_execution import PythonCodeExecutionTool
from parlay_ext.tools.mcp import McpWorkbench, mcp_server_tools
from tests.agentchat._support import call, replay, tool_calls
from tests.ext._http_api import Api, item_tool
from tests.ext._mcp import stdio_params


async def test_an_assistant_agent_calls_an_mcp_tool_through_the_workbench() -> None:
    model = replay(tool_calls(call("add", a=19, b=23)), "The sum is 42.")
    async with McpWorkbench(stdio_params()) as bench:
        agent = AssistantAgent("calc", model, workbench=bench, reflect_on_tool_use=True)
        result = await agent.run(task="What is 19 + 23?")
    [execution] = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    [outcome] = execution.content
    assert (outcome.name, outcome.content, outcome.is_error) == ("add", "42", False)
    offered = {tool["name"] for tool in model.create_calls[0]["tools"]}
    assert {"add", "weather"} <= offered
    assert result.messages[-1].to_text() == "The sum is 42."


async def test_an_assistant_agent_uses_an_mcp_tool_adapter() -> None:
    by_name = {tool.name: tool for tool in await mcp_server_tools(stdio_params())}
    model = replay(tool_calls(call("add", a=2, b=2)), "4")
    agent = AssistantAgent("calc", model, tools=[by_name["add"]])
    result = await agent.run(task="2 + 2?")
    [execution] = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    assert execution.content[0].content == "4"


async def test_an_assistant_agent_runs_code_through_the_tool(tmp_path: Path) -> None:
    code = json.dumps({"code": "print(sum(range(10)))"})
    model = ReplayChatCompletionClient(
        [
            CreateResult(
                finish_reason="function_calls",
                content=[FunctionCall(id="c1", name="CodeExecutor", arguments=code)],
                usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
                cached=False,
            )
        ],
        model_info=ModelInfo(
            vision=False,
            function_calling=True,
            json_output=True,
            family="unknown",
            structured_output=True,
        ),
    )
    agent = AssistantAgent(
        "coder",
        model,
        tools=[PythonCodeExecutionTool(LocalCommandLineCodeExecutor(work_dir=tmp_path))],
    )
    result = await agent.run(task="Add the numbers below 10.")
    (execution,) = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    assert [(r.content, r.is_error) for r in execution.content] == [("45\n", False)]
    assert result.messages[-1].to_text() == "45\n"


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api()
    yield server
    server.stop()


def _calls(*calls: FunctionCall) -> CreateResult:
    usage = RequestUsage(prompt_tokens=1, completion_tokens=1)
    return CreateResult(
        finish_reason="function_calls", content=list(calls), usage=usage, cached=False
    )


async def test_an_assistant_agent_calls_the_api_and_reads_errors(api: Api) -> None:
    model = ReplayChatCompletionClient(
        [
            _calls(
                FunctionCall(
                    id="c1", name="get_item", arguments='{"item_id": "9", "color": "red"}'
                ),
                FunctionCall(id="c2", name="get_item", arguments='{"item_id": "9"}'),
            ),
            "Item 9 is red.",
        ],
        model_info=ModelInfo(
            vision=False,
            function_calling=True,
            json_output=True,
            family="unknown",
            structured_output=True,
        ),
    )
    agent = AssistantAgent("shop", model, tools=[item_tool(api)], reflect_on_tool_use=True)
    result = await agent.run(task="What colour is item 9?")
    (execution,) = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    by_id = {r.call_id: r for r in execution.content}
    assert not by_id["c1"].is_error
    assert json.loads(by_id["c1"].content)["target"] == "/items/9?color=red"
    assert by_id["c2"].is_error
    assert "color: Field required" in by_id["c2"].content
    assert [s.target for s in api.seen] == ["/items/9?color=red"]
    assert result.messages[-1].to_text() == "Item 9 is red."
    fed_back = model.create_calls[1]["messages"][-1]
    assert isinstance(fed_back, FunctionExecutionResultMessage)
    assert [r.is_error for r in fed_back.content] == [False, True]
