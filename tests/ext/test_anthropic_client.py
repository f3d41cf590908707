"""AnthropicChatCompletionClient over real HTTP against a scripted Messages API server."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from parlay_core import CancellationToken, FunctionCall, Image
from parlay_core.exceptions import ModelAPIError, ModelCapabilityError
from parlay_core.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    ModelFamily,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import FunctionTool
from parlay_ext.models.anthropic import AnthropicChatCompletionClient, known_model_info
from tests.ext._wire import Reply, WireServer, sse

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)
MODEL = "claude-sonnet-4-20250514"


def message(
    *blocks: dict[str, Any], stop: str = "end_turn", usage: tuple[int, int] = (20, 5)
) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": list(blocks),
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(use_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id, "name": name, "input": tool_input}


def start_event(input_tokens: int = 12) -> str:
    empty = message(usage=(input_tokens, 1))
    empty["stop_reason"] = None
    return sse({"type": "message_start", "message": empty}, event="message_start")


def block_start(index: int, block: dict[str, Any]) -> str:
    return sse(
        {"type": "content_block_start", "index": index, "content_block": block},
        event="content_block_start",
    )


def block_delta(index: int, delta: dict[str, Any]) -> str:
    return sse(
        {"type": "content_block_delta", "index": index, "delta": delta},
        event="content_block_delta",
    )


def block_stop(index: int) -> str:
    return sse({"type": "content_block_stop", "index": index}, event="content_block_stop")


def end_events(stop: str = "end_turn", output_tokens: int = 9) -> list[str]:
    return [
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
            event="message_delta",
        ),
        sse({"type": "message_stop"}, event="message_stop"),
    ]


def client_for(wire: WireServer, **kwargs: Any) -> AnthropicChatCompletionClient:
    kwargs.setdefault("max_retries", 0)
    return AnthropicChatCompletionClient(
        model=MODEL, api_key="ak-test", base_url=wire.url, **kwargs
    )


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def weather(city: str) -> str:
    """Tell the weather in a city."""
    return f"sunny in {city}"


async def collect(stream: Any) -> tuple[list[str], CreateResult]:
    chunks: list[str] = []
    final: CreateResult | None = None
    async for item in stream:
        if isinstance(item, str):
            chunks.append(item)
        else:
            assert final is None
            final = item
    assert final is not None
    return chunks, final


async def test_system_prompt_text_reply_and_usage(wire: WireServer) -> None:
    wire.script(Reply(body=message(text("Beijing."), usage=(30, 4))))
    client = client_for(wire, temperature=0.0)
    result = await client.create(
        [
            SystemMessage(content="Answer briefly."),
            UserMessage(content="Capital of China?", source="user"),
            SystemMessage(content="Use English."),
        ]
    )
    assert result.content == "Beijing."
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (30, 4)
    sent = wire.received[0]
    assert sent.path == "/v1/messages"
    # Older SDKs send the key as x-api-key, newer ones as a bearer token.
    assert "ak-test" in (
        sent.headers.get("x-api-key", ""),
        sent.headers.get("authorization", "")[7:],
    )
    assert sent.body["system"] == "Answer briefly.\n\nUse English."
    assert sent.body["messages"] == [{"role": "user", "content": "Capital of China?"}]
    assert sent.body["max_tokens"] == 4096
    assert sent.body["temperature"] == 0.0
    assert client.total_usage().prompt_tokens == 30


async def test_image_block(wire: WireServer) -> None:
    wire.script(Reply(body=message(text("A pixel."))))
    client = client_for(wire)
    await client.create([UserMessage(content=["What?", Image(PNG)], source="user")])
    blocks = wire.received[0].body["messages"][0]["content"]
    assert blocks[0] == {"type": "text", "text": "What?"}
    assert blocks[1]["type"] == "image"
    assert blocks[1]["source"]["media_type"] == "image/png"
    assert base64.b64decode(blocks[1]["source"]["data"]) == PNG


async def test_tool_use_and_tool_results(wire: WireServer) -> None:
    wire.script(
        Reply(
            body=message(
                text("Checking."),
                tool_use("toolu_1", "add", {"a": 1, "b": 2}),
                tool_use("toolu_2", "weather", {"city": "Oslo"}),
                stop="tool_use",
            )
        ),
        Reply(body=message(text("3, and sunny."))),
    )
    client = client_for(wire)
    tools = [FunctionTool(add, description="Add."), FunctionTool(weather, description="Weather.")]
    first = await client.create([UserMessage(content="go", source="user")], tools=tools)
    assert first.finish_reason == "function_calls"
    assert isinstance(first.content, list)
    assert [(c.id, c.name, json.loads(c.arguments)) for c in first.content] == [
        ("toolu_1", "add", {"a": 1, "b": 2}),
        ("toolu_2", "weather", {"city": "Oslo"}),
    ]
    assert first.thought == "Checking."
    body = wire.received[0].body
    assert body["tools"][0]["name"] == "add"
    assert body["tools"][0]["input_schema"]["properties"]["a"]["type"] == "integer"
    assert body["tool_choice"] == {"type": "auto"}

    conversation = [
        UserMessage(content="go", source="user"),
        AssistantMessage(content=first.content, thought=first.thought, source="assistant"),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(content="3", name="add", call_id="toolu_1"),
                FunctionExecutionResult(
                    content="no data", name="weather", call_id="toolu_2", is_error=True
                ),
            ]
        ),
    ]
    await client.create(conversation, tools=tools)
    sent = wire.received[1].body["messages"]
    assert sent[1]["role"] == "assistant"
    assert sent[1]["content"][0] == {"type": "text", "text": "Checking."}
    assert sent[1]["content"][1] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "add",
        "input": {"a": 1, "b": 2},
    }
    assert sent[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "3"},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "content": "no data",
                "is_error": True,
            },
        ],
    }


async def test_tool_choice_modes(wire: WireServer) -> None:
    wire.script(*(Reply(body=message(tool_use("t", "add", {}), stop="tool_use")) for _ in range(2)))
    client = client_for(wire)
    tool = FunctionTool(add, description="Add.")
    await client.create(
        [UserMessage(content="go", source="user")], tools=[tool], tool_choice="required"
    )
    await client.create([UserMessage(content="go", source="user")], tools=[tool], tool_choice=tool)
    assert wire.received[0].body["tool_choice"] == {"type": "any"}
    assert wire.received[1].body["tool_choice"] == {"type": "tool", "name": "add"}


async def test_unparseable_arguments_are_kept_when_sent_back(wire: WireServer) -> None:
    wire.script(Reply(body=message(text("ok"))))
    client = client_for(wire)
    call = FunctionCall(id="toolu_9", arguments="not json", name="add")
    await client.create(
        [
            UserMessage(content="go", source="user"),
            AssistantMessage(content=[call], source="assistant"),
            FunctionExecutionResultMessage(
                content=[
                    FunctionExecutionResult(
                        content="bad arguments", name="add", call_id="toolu_9", is_error=True
                    )
                ]
            ),
        ]
    )
    block = wire.received[0].body["messages"][1]["content"][0]
    assert block["input"] == {"arguments": "not json"}


class Answer(BaseModel):
    city: str
    confidence: float


async def test_structured_output_through_a_forced_tool(wire: WireServer) -> None:
    wire.script(
        Reply(
            body=message(
                tool_use("t1", "Answer", {"city": "Paris", "confidence": 0.9}), stop="tool_use"
            )
        )
    )
    client = client_for(wire)
    result = await client.create([UserMessage(content="?", source="user")], json_output=Answer)
    assert result.finish_reason == "stop"
    assert isinstance(result.content, str)
    assert Answer.model_validate_json(result.content) == Answer(city="Paris", confidence=0.9)
    body = wire.received[0].body
    assert body["tool_choice"] == {"type": "tool", "name": "Answer"}
    assert body["tools"][0]["input_schema"]["properties"]["city"]["type"] == "string"


async def test_json_mode_is_refused_with_advice(wire: WireServer) -> None:
    client = client_for(wire)
    with pytest.raises(ModelCapabilityError, match="pydantic model"):
        await client.create([UserMessage(content="?", source="user")], json_output=True)
    assert wire.received == []


async def test_thinking_becomes_thought(wire: WireServer) -> None:
    thinking = {"type": "thinking", "thinking": "Beijing is the capital.", "signature": "sig"}
    wire.script(Reply(body=message(thinking, text("Beijing."))))
    client = client_for(wire, thinking={"type": "enabled", "budget_tokens": 1024})
    result = await client.create([UserMessage(content="?", source="user")])
    assert (result.content, result.thought) == ("Beijing.", "Beijing is the capital.")
    assert wire.received[0].body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


async def test_stream_text_thinking_and_usage(wire: WireServer) -> None:
    events = [
        start_event(input_tokens=15),
        block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
        block_delta(0, {"type": "thinking_delta", "thinking": "Think."}),
        block_delta(0, {"type": "signature_delta", "signature": "abc"}),
        block_stop(0),
        block_start(1, {"type": "text", "text": ""}),
        block_delta(1, {"type": "text_delta", "text": "Bei"}),
        sse({"type": "ping"}, event="ping"),
        block_delta(1, {"type": "text_delta", "text": "jing"}),
        block_stop(1),
        *end_events(output_tokens=9),
    ]
    wire.script(Reply(events=events))
    client = client_for(wire)
    chunks, final = await collect(client.create_stream([UserMessage(content="?", source="user")]))
    assert chunks == ["Bei", "jing"]
    assert final.content == "Beijing"
    assert final.thought == "Think."
    assert final.finish_reason == "stop"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (15, 9)
    assert wire.received[0].body["stream"] is True


async def test_stream_tool_use_from_partial_json(wire: WireServer) -> None:
    events = [
        start_event(),
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}}),
        block_delta(0, {"type": "input_json_delta", "partial_json": '{"a": 4'}),
        block_delta(0, {"type": "input_json_delta", "partial_json": ', "b": 5}'}),
        block_stop(0),
        block_start(1, {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {}}),
        block_delta(1, {"type": "input_json_delta", "partial_json": '{"city": "Rome"}'}),
        block_stop(1),
        *end_events(stop="tool_use"),
    ]
    wire.script(Reply(events=events))
    client = client_for(wire)
    tools = [FunctionTool(add, description="Add."), FunctionTool(weather, description="Weather.")]
    _, final = await collect(
        client.create_stream([UserMessage(content="go", source="user")], tools=tools)
    )
    assert final.finish_reason == "function_calls"
    assert final.content == [
        FunctionCall(id="toolu_1", arguments='{"a": 4, "b": 5}', name="add"),
        FunctionCall(id="toolu_2", arguments='{"city": "Rome"}', name="weather"),
    ]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
    ],
)
async def test_provider_errors_carry_status_and_body(
    wire: WireServer, status: int, kind: str
) -> None:
    wire.script(
        Reply(
            status=status,
            body={"type": "error", "error": {"type": kind, "message": f"nope {status}"}},
        )
    )
    client = client_for(wire)
    with pytest.raises(ModelAPIError) as caught:
        await client.create([UserMessage(content="?", source="user")])
    assert caught.value.status_code == status
    assert kind in json.dumps(caught.value.body)


async def test_error_event_inside_a_stream(wire: WireServer) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    events = [
        start_event(),
        block_start(0, {"type": "text", "text": ""}),
        sse(overloaded, event="error"),
    ]
    wire.script(Reply(events=events))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="Overloaded"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


async def test_malformed_stream_is_a_typed_error(wire: WireServer) -> None:
    events = [start_event(), "event: content_block_start\ndata: {broken\n\n"]
    wire.script(Reply(events=events))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="stream"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


async def test_truncated_stream_is_a_typed_error(wire: WireServer) -> None:
    events = [
        start_event(),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "Hi"}),
    ]
    wire.script(Reply(events=events, truncate=True))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="stream"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


async def test_stream_without_message_stop_is_a_typed_error(wire: WireServer) -> None:
    events = [
        start_event(),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "Hi"}),
    ]
    wire.script(Reply(events=events))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="message_stop"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


async def test_timeout_and_cancellation(wire: WireServer) -> None:
    wire.script(
        Reply(body=message(text("late")), delay=3), Reply(body=message(text("late")), delay=3)
    )
    client = client_for(wire, timeout=0.3)
    with pytest.raises(ModelAPIError, match="in time"):
        await client.create([UserMessage(content="?", source="user")])
    patient = client_for(wire)
    token = CancellationToken()
    call = asyncio.create_task(
        patient.create([UserMessage(content="?", source="user")], cancellation_token=token)
    )
    await asyncio.sleep(0.2)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


def test_model_info_known_and_unknown(wire: WireServer) -> None:
    info = known_model_info("claude-3-5-sonnet-20241022")
    assert info is not None and info["family"] == ModelFamily.CLAUDE_3_5_SONNET
    with pytest.warns(UserWarning, match="claude-next"):
        client = AnthropicChatCompletionClient(model="claude-next", api_key="k", base_url=wire.url)
    assert client.model_info["function_calling"] is True


def test_config_round_trip_masks_the_key() -> None:
    client = AnthropicChatCompletionClient(model=MODEL, api_key="ak-secret", max_tokens=512)
    dumped = client.dump_component()
    assert dumped.provider == "parlay_ext.models.anthropic.AnthropicChatCompletionClient"
    assert "ak-secret" not in dumped.model_dump_json()
    loaded = AnthropicChatCompletionClient.load_component(
        client.dump_component(include_secrets=True)
    )
    assert loaded.dump_component().config["max_tokens"] == 512


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "anthropic" or name.startswith(("anthropic.", "parlay_ext.models.anthropic")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ImportError, match=r'pip install "parlay-ext\[anthropic\]"'):
        __import__("parlay_ext.models.anthropic")


def test_registered_through_entry_points() -> None:
    from parlay_core.plugins import MODEL_CLIENTS, load_plugin

    assert load_plugin(MODEL_CLIENTS, "anthropic") is AnthropicChatCompletionClient


@pytest.mark.live
async def test_live_anthropic(live_key: Callable[[str], str]) -> None:
    key = live_key("ANTHROPIC_API_KEY")
    client = AnthropicChatCompletionClient(
        model="claude-3-5-haiku-latest", api_key=key, max_tokens=32
    )
    result = await client.create([UserMessage(content="Reply with the word pong.", source="user")])
    assert "pong" in str(result.content).lower()
