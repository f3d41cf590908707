"""ToolAgent and tool_agent_caller_loop on a real runtime, driven by the replay model client."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Annotated

import pytest

from parlay_core import (
    EVENT_LOGGER_NAME,
    AgentId,
    CancellationToken,
    FunctionCall,
    MessageContext,
    ParlayError,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from parlay_core._exceptions import ToolError
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tool_agent import (
    InvalidToolArgumentsException,
    ToolAgent,
    ToolException,
    ToolExecutionException,
    ToolNotFoundException,
    tool_agent_caller_loop,
)
from parlay_core.tools import FunctionTool, Tool

TOOLS_ID = AgentId("tools", "default")


def add(a: Annotated[int, "first"], b: Annotated[int, "second"]) -> int:
    return a + b


def explode() -> str:
    raise RuntimeError("the tool broke")


def calls_result(*calls: FunctionCall) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=list(calls),
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


def make_tools() -> list[Tool]:
    return [
        FunctionTool(add, description="Add two integers."),
        FunctionTool(explode, description="Always fails."),
    ]


async def register_tools(runtime: SingleThreadedAgentRuntime, tools: list[Tool]) -> None:
    await ToolAgent.register(runtime, "tools", lambda: ToolAgent("Runs tools.", tools))


async def test_tool_agent_answers_a_function_call(runtime: SingleThreadedAgentRuntime) -> None:
    await register_tools(runtime, make_tools())
    result = await runtime.send_message(
        FunctionCall(id="c1", arguments='{"a": 2, "b": 40}', name="add"), TOOLS_ID
    )
    assert result == FunctionExecutionResult(content="42", name="add", call_id="c1", is_error=False)


async def test_the_tool_call_event_names_the_calling_agent(
    runtime: SingleThreadedAgentRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    await register_tools(runtime, make_tools())
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await runtime.send_message(
            FunctionCall(id="c1", arguments='{"a": 1, "b": 2}', name="add"), TOOLS_ID
        )
    events = [
        json.loads(r.getMessage()) for r in caplog.records if "ToolCallEvent" in r.getMessage()
    ]
    assert events == [
        {
            "type": "ToolCallEvent",
            "tool_name": "add",
            "arguments": {"a": 1, "b": 2},
            "result": "3",
            "agent_id": "tools/default",
        }
    ]


async def test_unknown_tool_raises_tool_not_found(runtime: SingleThreadedAgentRuntime) -> None:
    await register_tools(runtime, make_tools())
    with pytest.raises(ToolNotFoundException) as info:
        await runtime.send_message(FunctionCall(id="c2", arguments="{}", name="mul"), TOOLS_ID)
    error = info.value
    assert (error.call_id, error.name) == ("c2", "mul")
    assert error.content == "Error: Tool not found: mul. Available tools: add, explode."
    assert isinstance(error, ToolException)
    assert isinstance(error, ToolError)
    assert isinstance(error, ParlayError)


async def test_arguments_that_are_not_json_raise_invalid_arguments(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await register_tools(runtime, make_tools())
    with pytest.raises(InvalidToolArgumentsException) as info:
        await runtime.send_message(FunctionCall(id="c3", arguments="{a: 1", name="add"), TOOLS_ID)
    assert info.value.content.startswith("Error: Invalid arguments: {a: 1")
    assert info.value.call_id == "c3"


async def test_arguments_that_miss_the_schema_raise_invalid_arguments(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await register_tools(runtime, make_tools())
    with pytest.raises(InvalidToolArgumentsException) as info:
        await runtime.send_message(
            FunctionCall(id="c4", arguments='{"a": "x"}', name="add"), TOOLS_ID
        )
    assert "a: Input should be a valid integer" in info.value.content
    assert "b: Field required" in info.value.content


async def test_a_raising_tool_raises_execution_exception(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await register_tools(runtime, make_tools())
    with pytest.raises(ToolExecutionException) as info:
        await runtime.send_message(FunctionCall(id="c5", arguments="", name="explode"), TOOLS_ID)
    assert info.value.content == "Error: the tool broke"
    assert isinstance(info.value.__cause__, RuntimeError)


async def test_caller_loop_runs_tools_until_the_model_answers(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    tools = make_tools()
    await register_tools(runtime, tools)
    first = FunctionCall(id="1", arguments=json.dumps({"a": 1, "b": 2}), name="add")
    second = FunctionCall(id="2", arguments="{}", name="explode")
    third = FunctionCall(id="3", arguments="{}", name="missing")
    client = ReplayChatCompletionClient([calls_result(first, second, third), "It is 3."])
    inputs: list[LLMMessage] = [
        SystemMessage(content="Use tools."),
        UserMessage(content="What is 1 + 2?", source="user"),
    ]
    generated = await tool_agent_caller_loop(
        runtime, TOOLS_ID, client, inputs, [tool.schema for tool in tools], caller_source="math"
    )
    expected_results = FunctionExecutionResultMessage(
        content=[
            FunctionExecutionResult(content="3", name="add", call_id="1", is_error=False),
            FunctionExecutionResult(
                content="Error: the tool broke", name="explode", call_id="2", is_error=True
            ),
            FunctionExecutionResult(
                content="Error: Tool not found: missing. Available tools: add, explode.",
                name="missing",
                call_id="3",
                is_error=True,
            ),
        ]
    )
    assert generated == [
        AssistantMessage(content=[first, second, third], source="math"),
        expected_results,
        AssistantMessage(content="It is 3.", source="math"),
    ]
    # The second model call saw the conversation plus everything generated so far.
    calls = client.create_calls
    assert len(calls) == 2
    assert calls[1]["messages"] == [*inputs, *generated[:2]]
    assert calls[0]["tools"] == [tool.schema for tool in tools]


async def test_caller_loop_returns_at_once_when_the_model_uses_no_tool(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await register_tools(runtime, make_tools())
    client = ReplayChatCompletionClient(["No tools needed."])
    generated = await tool_agent_caller_loop(
        runtime, TOOLS_ID, client, [UserMessage(content="Hi", source="user")], make_tools()
    )
    assert generated == [AssistantMessage(content="No tools needed.", source="assistant")]


@dataclass
class Question:
    text: str


@dataclass
class Answer:
    text: str


class MathAgent(RoutedAgent):
    """An agent that answers questions by letting a model call tools through a ToolAgent."""

    def __init__(self, model_client: ChatCompletionClient, tools: list[Tool]) -> None:
        super().__init__("Answers with tools.")
        self._model_client = model_client
        self._tools = tools

    @message_handler
    async def handle_question(self, message: Question, ctx: MessageContext) -> Answer:
        generated = await tool_agent_caller_loop(
            self,
            TOOLS_ID,
            self._model_client,
            [UserMessage(content=message.text, source="user")],
            self._tools,
            cancellation_token=ctx.cancellation_token,
            caller_source=self.id.type,
        )
        final = generated[-1]
        assert isinstance(final, AssistantMessage)
        assert isinstance(final.content, str)
        return Answer(final.content)


async def test_an_agent_drives_the_tool_agent_over_several_rounds(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    tools = make_tools()
    await register_tools(runtime, tools)
    client = ReplayChatCompletionClient(
        [
            calls_result(FunctionCall(id="a", arguments='{"a": 2, "b": 3}', name="add")),
            calls_result(FunctionCall(id="b", arguments='{"a": 5, "b": 5}', name="add")),
            "The total is 10.",
        ]
    )
    await MathAgent.register(runtime, "math", lambda: MathAgent(client, tools))
    answer = await runtime.send_message(Question("2 + 3 + 5?"), AgentId("math", "default"))
    assert answer == Answer("The total is 10.")
    last_messages = client.create_calls[2]["messages"]
    results = [m for m in last_messages if isinstance(m, FunctionExecutionResultMessage)]
    assert [r.content[0].content for r in results] == ["5", "10"]
    assert all(m.source == "math" for m in last_messages if isinstance(m, AssistantMessage))


async def test_cancelling_the_loop_stops_the_running_tool(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    started = asyncio.Event()
    stopped: list[bool] = []

    async def wait_forever() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append(True)
            raise
        return "never"

    tools: list[Tool] = [FunctionTool(wait_forever, description="Waits.")]
    await register_tools(runtime, tools)
    client = ReplayChatCompletionClient(
        [calls_result(FunctionCall(id="w", arguments="{}", name="wait_forever")), "unused"]
    )
    token = CancellationToken()
    loop = asyncio.create_task(
        tool_agent_caller_loop(
            runtime,
            TOOLS_ID,
            client,
            [UserMessage(content="Wait.", source="user")],
            tools,
            cancellation_token=token,
        )
    )
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    assert stopped == [True]
    assert len(client.create_calls) == 1


async def test_tool_agent_exposes_its_tools(runtime: SingleThreadedAgentRuntime) -> None:
    tools = make_tools()
    await register_tools(runtime, tools)
    agent = await runtime.try_get_underlying_agent_instance(TOOLS_ID, ToolAgent)
    assert agent.tools == tools
    assert agent.tools is not agent.tools
