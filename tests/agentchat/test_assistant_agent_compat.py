"""AssistantAgent behaviour that AutoGen code relies on: argument checks and their exception
types, streams that misbehave, handoffs with thoughts or several targets, workbenches written
for AutoGen, structured output errors and state loading."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.base import Handoff
from parlay_agentchat.exceptions import (
    AgentArgumentTypeError,
    AgentConfigurationError,
    ModelStreamError,
    StructuredOutputError,
)
from parlay_agentchat.messages import (
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallSummaryMessage,
)
from parlay_core import CancellationToken, FunctionCall
from parlay_core.memory import ListMemory
from parlay_core.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    CreateResult,
    LLMMessage,
    RequestUsage,
    UserMessage,
)
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import TextResultContent as TextResult
from parlay_core.tools import ToolResult, ToolSchema, Workbench
from tests.agentchat._support import call, replay, tool_calls


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_argument_errors_have_autogens_types_and_wording() -> None:
    with pytest.raises(ValueError, match="Unsupported tool type"):
        AssistantAgent("a", replay(), tools=["not a tool"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="Unsupported handoff type"):
        AssistantAgent("a", replay(), handoffs=[123])  # type: ignore[list-item]
    # A handoff whose target is the name of a tool would be confused with it.
    with pytest.raises(AgentConfigurationError, match="unique from tool names"):
        AssistantAgent("a", replay(), tools=[add], handoffs=["add"])
    with pytest.raises(ValueError, match="which is needed for handoffs"):
        AssistantAgent("a", ReplayChatCompletionClient([]), handoffs=["b"])
    with pytest.raises(TypeError, match=r"Expected Memory, List\[Memory\], or None"):
        AssistantAgent("a", replay(), memory="not memories")  # type: ignore[arg-type]
    with pytest.raises(AgentArgumentTypeError):
        AssistantAgent("a", replay(), memory=ListMemory())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="greater than or equal to 1, got 0"):
        AssistantAgent("a", replay(), max_tool_iterations=0)


class ScriptedStream(ReplayChatCompletionClient):
    """A client whose create_stream yields exactly the given items."""

    def __init__(self, items: Sequence[object]) -> None:
        super().__init__([])
        self.items = list(items)

    async def create_stream(  # type: ignore[override]
        self, messages: Sequence[LLMMessage], **kwargs: Any
    ) -> AsyncGenerator[Any, None]:
        for item in self.items:
            yield item


def final(content: str) -> CreateResult:
    return CreateResult(
        finish_reason="stop",
        content=content,
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
        cached=False,
    )


async def test_empty_stream_chunks_are_passed_on() -> None:
    agent = AssistantAgent(
        "s", ScriptedStream(["", "content", "", final("content")]), model_client_stream=True
    )
    items = [i async for i in agent.run_stream(task="go")]
    chunks = [i.content for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    assert chunks == ["", "content", ""]


async def test_a_stream_without_a_final_result_or_with_a_bad_chunk_raises() -> None:
    agent = AssistantAgent("s", ScriptedStream(["a", "b"]), model_client_stream=True)
    with pytest.raises(RuntimeError, match="No final model result in streaming mode"):
        await agent.run(task="go")
    agent = AssistantAgent("s", ScriptedStream(["a", 123, final("x")]), model_client_stream=True)
    with pytest.raises(ModelStreamError, match="Invalid chunk type"):
        await agent.run(task="go")


def with_thought(*calls: FunctionCall, thought: str) -> CreateResult:
    result = tool_calls(*calls)
    return result.model_copy(update={"thought": thought})


async def test_a_handoff_passes_the_models_thought_along() -> None:
    client = replay(with_thought(call("transfer_to_b"), thought="B knows this better."))
    agent = AssistantAgent("a", client, handoffs=["b"])
    result = await agent.run(task="go")
    assert [type(m) for m in result.messages[1:2]] == [ThoughtEvent]
    handoff = result.messages[-1]
    assert isinstance(handoff, HandoffMessage)
    assert handoff.context == [AssistantMessage(content="B knows this better.", source="a")]


async def test_several_handoffs_in_one_reply_warn_and_make_the_first() -> None:
    client = replay(tool_calls(call("transfer_to_b", "1"), call("transfer_to_c", "2")))
    agent = AssistantAgent("a", client, handoffs=["b", "c"])
    with pytest.warns(UserWarning, match="Multiple handoffs detected"):
        result = await agent.run(task="go")
    handoff = result.messages[-1]
    assert isinstance(handoff, HandoffMessage)
    assert handoff.target == "b"


class KeywordOnlyWorkbench(Workbench):
    """A workbench written for AutoGen: it takes the call's parameters as keywords only, and
    records how many calls run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most_at_once = 0
        self.tokens: list[CancellationToken | None] = []

    async def list_tools(self) -> list[ToolSchema]:
        return [
            ToolSchema(name="slow_a", description="A."),
            ToolSchema(name="slow_b", description="B."),
        ]

    async def call_tool(  # type: ignore[override]
        self,
        *,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        self.tokens.append(cancellation_token)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1
        return ToolResult(name=name, result=[TextResult(content=f"done {name}")])

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def reset(self) -> None:
        pass

    async def save_state(self) -> Mapping[str, Any]:
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        pass


async def test_workbench_calls_by_keyword_concurrently_with_the_turns_token() -> None:
    workbench = KeywordOnlyWorkbench()
    client = replay(tool_calls(call("slow_a", "1"), call("slow_b", "2"), call("gone", "3")))
    agent = AssistantAgent("a", client, workbench=[workbench])
    token = CancellationToken()
    response = await agent.on_messages([TextMessage(content="go", source="user")], token)
    summary = response.chat_message
    assert isinstance(summary, ToolCallSummaryMessage)
    assert summary.content.splitlines()[:2] == ["done slow_a", "done slow_b"]
    assert "tool 'gone' not found" in summary.content
    assert workbench.most_at_once == 2
    assert workbench.tokens == [token, token]
    execution = response.inner_messages[-1] if response.inner_messages else None
    assert isinstance(execution, ToolCallExecutionEvent)


class Answer(BaseModel):
    value: int
    unit: str


async def test_a_reply_that_does_not_match_the_output_type_is_a_validation_error() -> None:
    agent = AssistantAgent("s", replay('{"value": 3}'), output_content_type=Answer)
    with pytest.raises(ValidationError) as caught:
        await agent.run(task="How far?")
    assert isinstance(caught.value, StructuredOutputError)
    assert [e["loc"] for e in caught.value.errors()] == [("unit",)]
    assert "the reply of agent 's'" in str(caught.value)
    assert caught.value.errors()[0]["input"] == {"value": 3}


class NoneMemory(ListMemory):
    """A memory whose update_context returns None when it has nothing to add, as some
    memories written for AutoGen do."""

    async def update_context(self, model_context: ChatCompletionContext) -> Any:  # type: ignore[override]
        return None


async def test_a_memory_returning_none_adds_nothing() -> None:
    agent = AssistantAgent("m", replay("ok"), memory=[NoneMemory()])
    result = await agent.run(task="go")
    assert [m.to_text() for m in result.messages] == ["go", "ok"]


class LoadOnlyContext(UnboundedChatCompletionContext):
    """A context that records clear() calls."""

    def __init__(self) -> None:
        super().__init__()
        self.cleared = 0

    async def clear(self) -> None:
        self.cleared += 1
        await super().clear()


async def test_load_state_hands_the_state_to_the_context_alone() -> None:
    source = AssistantAgent("a", replay("hello"))
    await source.run(task="hi")
    state = await source.save_state()
    context = LoadOnlyContext()
    await context.add_message(UserMessage(content="old", source="user"))
    target = AssistantAgent("a", replay(), model_context=context)
    await target.load_state(state)
    assert context.cleared == 0
    assert [m.content for m in await context.get_messages()] == ["hi", "hello"]


def test_handoff_objects_and_strings_mix() -> None:
    agent = AssistantAgent("a", replay(), handoffs=[Handoff(target="b"), "c"])
    assert HandoffMessage in agent.produced_message_types
    assert json.loads(json.dumps(agent.dump_component().config["handoffs"]))[1]["target"] == "c"
