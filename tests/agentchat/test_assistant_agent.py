"""AssistantAgent: replies, tools, reflection, handoffs, streaming, structured output, state."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator

import pytest
from pydantic import BaseModel

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.base import Handoff, Response, TaskResult
from parlay_agentchat.exceptions import (
    AgentConfigurationError,
    InvalidTaskError,
    StructuredOutputError,
)
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    MultiModalMessage,
    StructuredMessage,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from parlay_core import CancellationToken, FunctionCall, Image, load_component
from parlay_core.exceptions import ComponentConfigError
from parlay_core.memory import ListMemory, MemoryContent, MemoryMimeType
from parlay_core.model_context import BufferedChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import BaseStreamTool, FunctionTool, StaticWorkbench
from tests.agentchat._support import call, replay, tool_calls

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(f"tool failed: {reason}")


def kinds(messages: list[BaseAgentEvent | BaseChatMessage]) -> list[str]:
    return [type(m).__name__ for m in messages]


async def test_text_reply_and_what_the_model_sees() -> None:
    client = replay("Hello!")
    agent = AssistantAgent("helper", client, system_message="Be brief.")
    result = await agent.run(task="Hi")
    assert kinds(list(result.messages)) == ["TextMessage", "TextMessage"]
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert (reply.source, reply.content) == ("helper", "Hello!")
    assert reply.models_usage is not None
    assert result.stop_reason is None
    sent = client.create_calls[0]["messages"]
    assert sent == [
        SystemMessage(content="Be brief."),
        UserMessage(content="Hi", source="user"),
    ]
    assert client.create_calls[0]["tools"] == []


async def test_run_stream_yields_task_first_and_task_result_last() -> None:
    agent = AssistantAgent("helper", replay("Hello!"))
    items = [item async for item in agent.run_stream(task="Hi")]
    assert isinstance(items[0], TextMessage)
    assert items[0].source == "user"
    assert isinstance(items[-1], TaskResult)
    assert list(items[-1].messages) == items[:-1]
    quiet = AssistantAgent("helper", replay("Hello!"))
    result = await quiet.run(task="Hi", output_task_messages=False)
    assert kinds(list(result.messages)) == ["TextMessage"]


async def test_invalid_tasks_are_rejected() -> None:
    agent = AssistantAgent("helper", replay("x"))
    with pytest.raises(InvalidTaskError):
        await agent.run(task=[])
    with pytest.raises(ValueError, match="chat message"):
        await agent.run(task=[TextMessage(content="ok", source="u"), "no"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be a str"):
        await agent.run(task=42)  # type: ignore[arg-type]


async def test_tool_call_sequence_with_summary() -> None:
    client = replay(tool_calls(call("add", a=1, b=2)))
    agent = AssistantAgent("calc", client, tools=[add])
    result = await agent.run(task="1+2?")
    assert kinds(list(result.messages)) == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "ToolCallSummaryMessage",
    ]
    request, execution, summary = result.messages[1:]
    assert isinstance(request, ToolCallRequestEvent)
    assert request.models_usage is not None
    assert request.models_usage.completion_tokens == 5
    assert isinstance(execution, ToolCallExecutionEvent)
    assert execution.content[0].content == "3"
    assert execution.content[0].is_error is False
    assert isinstance(summary, ToolCallSummaryMessage)
    assert summary.content == "3"
    assert summary.tool_calls == request.content
    assert summary.results == execution.content
    schema = client.create_calls[0]["tools"][0]
    assert schema["name"] == "add"
    assert set(schema["parameters"]["properties"]) == {"a", "b"}


async def test_summary_format_and_formatter() -> None:
    agent = AssistantAgent(
        "calc",
        replay(tool_calls(call("add", a=2, b=2))),
        tools=[add],
        tool_call_summary_format="{tool_name}({arguments}) -> {result} error={is_error}",
    )
    summary = (await agent.run(task="x")).messages[-1]
    assert summary.to_text() == 'add({"a": 2, "b": 2}) -> 4 error=False'

    formatted = AssistantAgent(
        "calc",
        replay(tool_calls(call("add", a=2, b=3))),
        tools=[add],
        tool_call_summary_formatter=lambda c, r: f"{c.name} gave {r.content}",
    )
    assert (await formatted.run(task="x")).messages[-1].to_text() == "add gave 5"


async def test_parallel_tool_calls_run_concurrently_and_keep_order() -> None:
    first_started = asyncio.Event()
    second_started = asyncio.Event()

    async def first() -> str:
        """First."""
        first_started.set()
        await second_started.wait()  # deadlocks unless both calls run at the same time
        return "one"

    async def second() -> str:
        """Second."""
        second_started.set()
        await first_started.wait()
        return "two"

    agent = AssistantAgent(
        "par",
        replay(tool_calls(call("first", "c1"), call("second", "c2"))),
        tools=[first, second],
    )
    result = await asyncio.wait_for(agent.run(task="go"), timeout=10)
    execution = result.messages[2]
    assert isinstance(execution, ToolCallExecutionEvent)
    assert [(r.call_id, r.content) for r in execution.content] == [("c1", "one"), ("c2", "two")]
    assert result.messages[-1].to_text() == "one\ntwo"


async def test_failing_tools_become_error_results_the_model_reads() -> None:
    client = replay(
        tool_calls(
            call("explode", "c1", reason="disk full"),
            FunctionCallJSON("add", "c2", "{not json"),
            call("missing", "c3"),
            call("add", "c4", a="x", b=1),
        ),
        "I see errors.",
    )
    agent = AssistantAgent("t", client, tools=[add, explode], max_tool_iterations=2)
    result = await agent.run(task="go")
    execution = result.messages[2]
    assert isinstance(execution, ToolCallExecutionEvent)
    by_id = {r.call_id: r for r in execution.content}
    assert all(r.is_error for r in by_id.values())
    assert "tool failed: disk full" in by_id["c1"].content
    assert "not valid JSON" in by_id["c2"].content
    assert "tool 'missing' not found" in by_id["c3"].content
    assert "add, explode" in by_id["c3"].content
    assert "Invalid arguments for tool 'add'" in by_id["c4"].content
    final = result.messages[-1]
    assert isinstance(final, TextMessage)
    assert final.content == "I see errors."
    second_call = client.create_calls[1]["messages"]
    results_message = second_call[-1]
    assert isinstance(results_message, FunctionExecutionResultMessage)
    assert [r.is_error for r in results_message.content] == [True, True, True, True]


def FunctionCallJSON(name: str, call_id: str, raw: str) -> FunctionCall:
    return FunctionCall(id=call_id, name=name, arguments=raw)


async def test_reflect_on_tool_use_calls_the_model_again_without_tools() -> None:
    client = replay(tool_calls(call("add", a=1, b=1)), "The answer is 2.")
    agent = AssistantAgent("calc", client, tools=[add], reflect_on_tool_use=True)
    result = await agent.run(task="1+1?")
    assert kinds(list(result.messages)) == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "TextMessage",
    ]
    assert result.messages[-1].to_text() == "The answer is 2."
    assert client.create_calls[1]["tools"] == []
    assert isinstance(client.create_calls[1]["messages"][-1], FunctionExecutionResultMessage)


async def test_max_tool_iterations_loops_until_the_model_answers() -> None:
    client = replay(
        tool_calls(call("add", "c1", a=1, b=2)),
        tool_calls(call("add", "c2", a=3, b=3)),
        "Six.",
    )
    agent = AssistantAgent("calc", client, tools=[add], max_tool_iterations=5)
    result = await agent.run(task="go")
    assert kinds(list(result.messages)) == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "TextMessage",
    ]
    assert len(client.create_calls) == 3


async def test_max_tool_iterations_exhausted_ends_with_last_summary() -> None:
    client = replay(
        tool_calls(call("add", "c1", a=1, b=2)), tool_calls(call("add", "c2", a=5, b=5))
    )
    agent = AssistantAgent("calc", client, tools=[add], max_tool_iterations=2)
    result = await agent.run(task="go")
    final = result.messages[-1]
    assert isinstance(final, ToolCallSummaryMessage)
    assert final.content == "10"
    assert [c.id for c in final.tool_calls] == ["c2"]


async def test_handoff_becomes_tool_and_handoff_message() -> None:
    client = replay(tool_calls(call("add", "c1", a=1, b=1), call("transfer_to_b", "c2")))
    agent = AssistantAgent("a", client, tools=[add], handoffs=["b"])
    result = await agent.run(task="go")
    names = [t["name"] for t in client.create_calls[0]["tools"]]
    assert names == ["transfer_to_b", "add"]
    final = result.messages[-1]
    assert isinstance(final, HandoffMessage)
    assert final.target == "b"
    assert final.content == "Transferred to b, adopting the role of b immediately."
    assert isinstance(final.context[0], AssistantMessage)
    assert [c.name for c in final.context[0].content] == ["add"]  # type: ignore[union-attr]
    assert isinstance(final.context[1], FunctionExecutionResultMessage)
    assert [r.content for r in final.context[1].content] == ["2"]
    execution = result.messages[2]
    assert isinstance(execution, ToolCallExecutionEvent)
    assert execution.content[1].content == final.content
    assert HandoffMessage in agent.produced_message_types


async def test_handoff_target_receives_context_before_the_message() -> None:
    client = replay("Got it.")
    agent = AssistantAgent("b", client, system_message=None)
    passed: list[LLMMessage] = [AssistantMessage(content="earlier", source="a")]
    handoff = HandoffMessage(content="over", target="b", source="a", context=passed)
    await agent.run(task=handoff)
    assert client.create_calls[0]["messages"] == [
        AssistantMessage(content="earlier", source="a"),
        UserMessage(content="over", source="a"),
    ]


async def test_streaming_chunks_carry_the_final_message_id() -> None:
    agent = AssistantAgent("s", replay("Hello there world"), model_client_stream=True)
    items = [item async for item in agent.run_stream(task="Hi")]
    chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    final = items[-2]
    result = items[-1]
    assert isinstance(final, TextMessage)
    assert isinstance(result, TaskResult)
    assert "".join(c.content for c in chunks) == final.content == "Hello there world"
    assert {c.full_message_id for c in chunks} == {final.id}
    assert not any(isinstance(m, ModelClientStreamingChunkEvent) for m in result.messages)


async def test_streaming_with_tool_calls_and_reflection() -> None:
    agent = AssistantAgent(
        "s",
        replay(tool_calls(call("add", a=2, b=2)), "It is four"),
        tools=[add],
        reflect_on_tool_use=True,
        model_client_stream=True,
    )
    items = [item async for item in agent.run_stream(task="2+2")]
    final = items[-2]
    assert isinstance(final, TextMessage)
    chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    assert chunks
    assert {c.full_message_id for c in chunks} == {final.id}


async def test_thought_becomes_thought_event() -> None:
    reply = CreateResult(
        finish_reason="stop",
        content="42",
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
        cached=False,
        thought="Let me think.",
    )
    client = replay(reply)
    agent = AssistantAgent("t", client)
    result = await agent.run(task="?")
    assert kinds(list(result.messages)) == ["TextMessage", "ThoughtEvent", "TextMessage"]
    thought = result.messages[1]
    assert isinstance(thought, ThoughtEvent)
    assert thought.content == "Let me think."
    state = await agent.save_state()
    assert state["llm_context"]["messages"][-1]["thought"] == "Let me think."


async def test_memory_adds_to_context_and_yields_memory_query_event() -> None:
    memory = ListMemory()
    await memory.add(MemoryContent(content="The user likes tea.", mime_type=MemoryMimeType.TEXT))
    client = replay("Tea it is.")
    agent = AssistantAgent("m", client, memory=[memory])
    result = await agent.run(task="What do I like?")
    assert kinds(list(result.messages)) == ["TextMessage", "MemoryQueryEvent", "TextMessage"]
    event = result.messages[1]
    assert isinstance(event, MemoryQueryEvent)
    assert event.content[0].content == "The user likes tea."
    sent = client.create_calls[0]["messages"]
    assert any("likes tea" in str(m.content) for m in sent)


class Answer(BaseModel):
    value: int
    unit: str


async def test_structured_output_gives_structured_message() -> None:
    client = replay('{"value": 3, "unit": "m"}')
    agent = AssistantAgent(
        "s", client, output_content_type=Answer, output_content_type_format="{value} {unit}"
    )
    result = await agent.run(task="How far?")
    final = result.messages[-1]
    assert type(final) is StructuredMessage[Answer]
    assert final.dump()["content"] == {"value": 3, "unit": "m"}
    assert final.to_text() == "3 m"
    assert client.create_calls[0]["json_output"] is Answer
    assert agent.produced_message_types[0] is StructuredMessage[Answer]

    bad = AssistantAgent("s", replay("not json"), output_content_type=Answer)
    with pytest.raises(StructuredOutputError, match="Answer"):
        await bad.run(task="How far?")


async def test_structured_output_reflects_after_tools_by_default() -> None:
    client = replay(tool_calls(call("add", a=1, b=2)), '{"value": 3, "unit": "apples"}')
    agent = AssistantAgent("s", client, tools=[add], output_content_type=Answer)
    final = (await agent.run(task="1+2 apples")).messages[-1]
    assert type(final) is StructuredMessage[Answer]
    assert final.dump()["content"] == {"value": 3, "unit": "apples"}


async def test_state_shape_round_trip_and_reset() -> None:
    agent = AssistantAgent("a", replay("hello"))
    await agent.run(task="go")
    state = await agent.save_state()
    assert state == {
        "type": "AssistantAgentState",
        "version": "1.0.0",
        "llm_context": {
            "messages": [
                {"content": "go", "source": "user", "type": "UserMessage"},
                {"content": "hello", "thought": None, "source": "a", "type": "AssistantMessage"},
            ]
        },
    }
    json.dumps(state)
    client = replay("again")
    restored = AssistantAgent("a", client, system_message=None)
    await restored.load_state(state)
    await restored.run(task="more")
    assert client.create_calls[0]["messages"] == [
        UserMessage(content="go", source="user"),
        AssistantMessage(content="hello", source="a"),
        UserMessage(content="more", source="user"),
    ]
    await restored.on_reset(CancellationToken())
    assert await restored.model_context.get_messages() == []


async def test_multimodal_input_for_a_model_without_vision() -> None:
    client = replay("I cannot see.")
    agent = AssistantAgent("v", client, system_message=None)
    image = Image.from_base64(PNG)
    await agent.run(task=MultiModalMessage(content=["What is this?", image], source="user"))
    sent = client.create_calls[0]["messages"][0]
    assert sent == UserMessage(content="What is this?\n[image]", source="user")
    stored = await agent.model_context.get_messages()
    assert stored[0] == UserMessage(content=["What is this?", image], source="user")


async def test_any_model_context_works() -> None:
    client = replay("one", "two")
    agent = AssistantAgent(
        "w", client, system_message=None, model_context=BufferedChatCompletionContext(buffer_size=1)
    )
    await agent.run(task="first")
    await agent.run(task="second")
    assert client.create_calls[1]["messages"] == [UserMessage(content="second", source="user")]


async def test_cancellation_aborts_a_turn_waiting_on_a_tool() -> None:
    started = asyncio.Event()

    async def slow() -> str:
        """Never finishes on its own."""
        started.set()
        await asyncio.Event().wait()
        return "never"

    agent = AssistantAgent("c", replay(tool_calls(call("slow"))), tools=[slow])
    token = CancellationToken()
    run = asyncio.ensure_future(agent.run(task="go", cancellation_token=token))
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


async def test_cancelled_token_stops_the_model_call() -> None:
    token = CancellationToken()
    token.cancel()
    agent = AssistantAgent("c", replay("hi"))
    with pytest.raises(asyncio.CancelledError):
        await agent.run(task="go", cancellation_token=token)


async def test_on_messages_returns_response_with_inner_messages() -> None:
    agent = AssistantAgent("calc", replay(tool_calls(call("add", a=1, b=2))), tools=[add])
    response = await agent.on_messages(
        [TextMessage(content="1+2", source="user")], CancellationToken()
    )
    assert isinstance(response, Response)
    assert isinstance(response.chat_message, ToolCallSummaryMessage)
    assert kinds(list(response.inner_messages or [])) == [
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
    ]


def test_configuration_errors() -> None:
    tool = FunctionTool(add, description="Add.")
    with pytest.raises(AgentConfigurationError, match="Tools cannot be used with a workbench"):
        AssistantAgent("a", replay(), tools=[tool], workbench=StaticWorkbench([tool]))
    with pytest.raises(AgentConfigurationError, match="function calling"):
        AssistantAgent("a", ReplayChatCompletionClient([]), tools=[add])
    with pytest.raises(AgentConfigurationError, match="function calling"):
        AssistantAgent("a", ReplayChatCompletionClient([]), handoffs=["b"])
    with pytest.raises(AgentConfigurationError, match="unique"):
        AssistantAgent("a", replay(), tools=[add, FunctionTool(add, description="again")])
    with pytest.raises(AgentConfigurationError, match="unique from tool names"):
        AssistantAgent(
            "a", replay(), tools=[FunctionTool(add, "x", name="transfer_to_b")], handoffs=["b"]
        )
    with pytest.raises(AgentConfigurationError, match="unique"):
        AssistantAgent("a", replay(), handoffs=["b", Handoff(target="b")])
    with pytest.raises(AgentConfigurationError, match="identifier"):
        AssistantAgent("not a name", replay())
    with pytest.raises(AgentConfigurationError, match=r"tool iterations .* got 0"):
        AssistantAgent("a", replay(), max_tool_iterations=0)


def test_component_config_shape_and_round_trip() -> None:
    agent = AssistantAgent(
        "planner",
        replay("x"),
        handoffs=[Handoff(target="writer", message="Over to you.")],
        system_message="Plan.",
        description="Plans things.",
        output_content_type=Answer,
        model_client_stream=True,
    )
    model = agent.dump_component()
    assert model.provider == "parlay_agentchat.agents.AssistantAgent"
    assert model.component_type == "agent"
    assert model.component_version == 2
    config = model.config
    assert config["name"] == "planner"
    assert config["model_client"]["provider"] == "parlay_core.testing.ReplayChatCompletionClient"
    assert config["model_context"]["component_type"] == "chat_completion_context"
    assert config["reflect_on_tool_use"] is True
    assert config["structured_message_factory"]["config"]["content_model_name"] == "Answer"

    loaded = load_component(json.loads(model.model_dump_json()), expected=AssistantAgent)
    assert loaded.name == "planner"
    assert loaded.description == "Plans things."
    assert loaded.dump_component() == model


async def test_tools_in_configs_need_code_execution_permission() -> None:
    agent = AssistantAgent("calc", replay(tool_calls(call("add", a=1, b=2))), tools=[add])
    model = agent.dump_component()
    workbench = model.config["workbench"][0]
    assert workbench["provider"] == "parlay_core.tools.StaticStreamWorkbench"
    with pytest.raises(ValueError, match="code"):
        load_component(model)
    loaded = load_component(model, expected=AssistantAgent, allow_code_execution=True)
    result = await loaded.run(task="1+2")
    assert result.messages[-1].to_text() == "3"


def test_version_one_config_with_tools_loads() -> None:
    config = AssistantAgent("old", replay("x")).dump_component().model_dump()
    config["component_version"] = 1
    config["version"] = 1
    config["config"]["tools"] = [
        FunctionTool(add, description="Add.").dump_component().model_dump()
    ]
    loaded = load_component(config, expected=AssistantAgent, allow_code_execution=True)
    assert (
        loaded.dump_component().config["workbench"][0]["config"]["tools"][0]["config"]["name"]
        == "add"
    )


def test_a_malformed_version_one_config_is_a_component_config_error() -> None:
    config = AssistantAgent("old", replay("x")).dump_component().model_dump()
    config["component_version"] = 1
    config["version"] = 1
    del config["config"]["description"]
    config["config"]["max_tool_iterations"] = "many"
    with pytest.raises(ComponentConfigError, match="description") as caught:
        load_component(config, expected=AssistantAgent)
    assert "max_tool_iterations" in str(caught.value)
    assert isinstance(caught.value, ValueError)  # as AutoGen's pydantic error is


async def test_images_from_a_loaded_state_are_hidden_from_a_model_without_vision() -> None:
    image = Image.from_base64(PNG)
    seeing = AssistantAgent("v", replay("ok"), system_message=None)
    await seeing.model_context.add_message(UserMessage(content=["look", image], source="user"))
    state = await seeing.save_state()
    client = replay("I cannot see.")
    blind = AssistantAgent("v", client, system_message=None)
    await blind.load_state(state)
    await blind.run(task="and?")
    assert client.create_calls[0]["messages"][0] == UserMessage(
        content="look\n[image]", source="user"
    )


class CountArgs(BaseModel):
    n: int


class CountingTool(BaseStreamTool[CountArgs, ThoughtEvent, str]):
    """Streams a progress event per step, then its result."""

    def __init__(self) -> None:
        super().__init__(CountArgs, str, "count", "Count up to n.")

    async def run_stream(
        self, args: CountArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[ThoughtEvent | str, None]:
        for step in range(args.n):
            yield ThoughtEvent(content=f"step {step}", source="count")
        yield f"counted to {args.n}"


async def test_events_streamed_by_tools_appear_before_the_execution_event() -> None:
    for calls in ([call("count", "c1", n=2)], [call("count", "c1", n=1), call("count", "c2", n=1)]):
        agent = AssistantAgent("s", replay(tool_calls(*calls)), tools=[CountingTool()])
        result = await agent.run(task="count")
        kinds = [type(m).__name__ for m in result.messages]
        steps = len(calls) if len(calls) > 1 else 2
        assert kinds == [
            "TextMessage",
            "ToolCallRequestEvent",
            *["ThoughtEvent"] * steps,
            "ToolCallExecutionEvent",
            "ToolCallSummaryMessage",
        ]
        execution = result.messages[-2]
        assert isinstance(execution, ToolCallExecutionEvent)
        assert all(r.content.startswith("counted to") for r in execution.content)
