"""ReplayChatCompletionClient: ordering, exhaustion, streaming, usage, reset, tool calls, config."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import cast

import pytest

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import ComponentModel
from parlay_core._exceptions import ModelInfoError, ReplayExhaustedError
from parlay_core._types import FunctionCall
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
    approximate_message_tokens,
)
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import ToolSchema

_HELLO = [UserMessage(content="Hello there, model", source="user")]  # 4 tokens
_WEATHER = ToolSchema(name="weather", description="The weather in a city.")

_TOOL_INFO = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=False,
    family=ModelFamily.UNKNOWN,
    structured_output=False,
)


def _tool_call_result() -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="call_1", arguments='{"x": 2}', name="double")],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=5),
        cached=False,
    )


async def test_responses_come_back_in_order() -> None:
    client = ReplayChatCompletionClient(["first", "second"])
    first = await client.create(_HELLO)
    second = await client.create(_HELLO)
    assert (first.content, second.content) == ("first", "second")
    assert first.finish_reason == "stop"
    assert first.cached is True


async def test_exhaustion_raises_and_says_how_many_were_scripted() -> None:
    client = ReplayChatCompletionClient(["only"])
    await client.create(_HELLO)
    with pytest.raises(ReplayExhaustedError, match="1 response") as info:
        await client.create(_HELLO)
    assert "reset()" in str(info.value)
    assert isinstance(info.value, ValueError)  # AutoGen code catches ValueError here


async def test_empty_script_is_exhausted_at_once() -> None:
    client = ReplayChatCompletionClient([])
    with pytest.raises(ReplayExhaustedError, match="0 response"):
        await client.create(_HELLO)


async def test_tool_call_results_are_returned_as_scripted() -> None:
    client = ReplayChatCompletionClient([_tool_call_result(), "done"], model_info=_TOOL_INFO)
    result = await client.create(_HELLO)
    assert result == _tool_call_result()
    assert isinstance(result.content, list)
    assert result.content[0].name == "double"
    assert (await client.create(_HELLO)).content == "done"
    assert client.model_info["function_calling"] is True


async def test_returned_results_do_not_alias_the_script() -> None:
    scripted = _tool_call_result()
    client = ReplayChatCompletionClient([scripted])
    result = await client.create(_HELLO)
    result.cached = True
    assert scripted.cached is False


async def test_usage_counts_prompt_and_completion_tokens() -> None:
    client = ReplayChatCompletionClient(["two words", _tool_call_result()])
    result = await client.create(_HELLO)
    assert result.usage == RequestUsage(prompt_tokens=4, completion_tokens=2)
    assert client.actual_usage() == RequestUsage(4, 2)
    messages: list[LLMMessage] = [SystemMessage(content="Be brief."), *_HELLO]
    await client.create(messages)
    # A scripted CreateResult brings its own completion count; the prompt is still counted.
    assert client.actual_usage() == RequestUsage(7, 5)
    assert client.total_usage() == RequestUsage(11, 7)


async def test_tools_count_towards_prompt_tokens() -> None:
    schema: ToolSchema = {
        "name": "double",
        "description": "Double x.",
        "parameters": {"type": "object", "properties": {}},
    }
    client = ReplayChatCompletionClient(["ok"])
    await client.create(_HELLO, tools=[schema])
    assert client.actual_usage().prompt_tokens == approximate_message_tokens(_HELLO, tools=[schema])
    assert client.actual_usage().prompt_tokens > 4


async def test_stream_yields_words_then_the_result() -> None:
    client = ReplayChatCompletionClient(["Hello  brave new world"])
    items = [item async for item in client.create_stream(_HELLO)]
    chunks, final = items[:-1], items[-1]
    assert chunks == ["Hello ", " ", "brave ", "new ", "world"]
    assert all(isinstance(chunk, str) for chunk in chunks)
    assert isinstance(final, CreateResult)
    assert final.content == "Hello  brave new world"
    assert "".join(str(c) for c in chunks) == final.content
    assert final.usage == RequestUsage(4, 4)
    assert client.create_calls[0]["stream"] is True


async def test_stream_of_a_scripted_result_yields_only_the_result() -> None:
    client = ReplayChatCompletionClient([_tool_call_result()])
    items = [item async for item in client.create_stream(_HELLO)]
    assert items == [_tool_call_result()]


async def test_stream_exhaustion_raises() -> None:
    client = ReplayChatCompletionClient([])
    with pytest.raises(ReplayExhaustedError):
        async for _ in client.create_stream(_HELLO):
            pass


async def test_reset_replays_from_the_start() -> None:
    client = ReplayChatCompletionClient(["a", "b"])
    await client.create(_HELLO)
    await client.create(_HELLO)
    client.reset()
    assert client.actual_usage() == RequestUsage(0, 0)
    assert (await client.create(_HELLO)).content == "a"
    assert client.total_usage().prompt_tokens == 12  # total keeps counting across resets


async def test_cached_flag_can_be_switched() -> None:
    client = ReplayChatCompletionClient(["a", "b"])
    client.set_cached_bool(False)
    assert (await client.create(_HELLO)).cached is False
    client.set_cached_bool(True)
    assert (await client.create(_HELLO)).cached is True


async def test_calls_are_recorded_for_assertions() -> None:
    client = ReplayChatCompletionClient(["a"])
    await client.create(_HELLO, json_output=True, extra_create_args={"temperature": 0})
    (call,) = client.create_calls
    assert call["messages"] == _HELLO
    assert call["json_output"] is True
    assert call["extra_create_args"] == {"temperature": 0}
    assert call["tool_choice"] == "auto"
    assert call["stream"] is False


async def test_a_cancelled_token_cancels_the_call_without_consuming_a_response() -> None:
    client = ReplayChatCompletionClient(["a"])
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await client.create(_HELLO, cancellation_token=token)
    assert (await client.create(_HELLO)).content == "a"


def test_token_counting_and_remaining_tokens() -> None:
    client = ReplayChatCompletionClient([])
    assert client.count_tokens(_HELLO) == 4
    assert client.remaining_tokens(_HELLO) == 10_000 - 4
    huge = [UserMessage(content="word " * 10_001, source="u")]
    assert client.remaining_tokens(huge) < 0


def test_default_model_info_claims_nothing() -> None:
    info = ReplayChatCompletionClient([]).model_info
    assert info == {
        "vision": False,
        "function_calling": False,
        "json_output": False,
        "family": "unknown",
        "structured_output": False,
    }


def test_incomplete_model_info_is_rejected() -> None:
    incomplete = cast(ModelInfo, {"vision": False, "function_calling": True, "family": "x"})
    with pytest.raises(ModelInfoError, match="json_output"):
        ReplayChatCompletionClient([], model_info=incomplete)


async def test_calls_are_logged_as_events_when_someone_listens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = ReplayChatCompletionClient(["hi there"])
    with caplog.at_level(logging.INFO, logger="parlay_core.events"):
        await client.create(_HELLO)
    (record,) = [r for r in caplog.records if r.name == "parlay_core.events"]
    event = json.loads(str(record.msg))
    assert event["type"] == "LLMCallEvent"
    assert event["prompt_tokens"] == 4
    assert event["completion_tokens"] == 2


async def test_dump_and_load_round_trip() -> None:
    client = ReplayChatCompletionClient(["plain", _tool_call_result()], model_info=_TOOL_INFO)
    dumped = client.dump_component()
    assert dumped.provider == "parlay_core.testing.ReplayChatCompletionClient"
    assert dumped.component_type == "model"
    data = json.loads(dumped.model_dump_json())
    assert data["config"]["chat_completions"][0] == "plain"
    assert data["config"]["chat_completions"][1]["finish_reason"] == "function_calls"
    loaded = ChatCompletionClient.load_component(ComponentModel.model_validate(data))
    assert isinstance(loaded, ReplayChatCompletionClient)
    assert loaded.model_info == _TOOL_INFO
    assert (await loaded.create(_HELLO)).content == "plain"
    assert await loaded.create(_HELLO) == _tool_call_result()


def test_dump_without_model_info_keeps_it_unset() -> None:
    dumped = ReplayChatCompletionClient(["x"]).dump_component()
    assert dumped.config == {"chat_completions": ["x"]}
    loaded = ReplayChatCompletionClient.load_component(dumped)
    assert loaded.chat_completions == ["x"]


async def test_recorded_calls_keep_each_prompt_as_it_was_sent() -> None:
    # A caller usually re-sends a growing conversation; it may also trim it, send a prompt that
    # shares nothing with the previous one, and change its own list and arguments afterwards.
    client = ReplayChatCompletionClient(["a"] * 6)
    system = SystemMessage(content="Be brief.")
    history: list[LLMMessage] = [system, UserMessage(content="Hi", source="user")]
    extra = {"temperature": 0}
    sent: list[list[LLMMessage]] = []
    for turn in range(3):
        await client.create(history, extra_create_args=extra)
        sent.append(list(history))
        history.append(UserMessage(content=f"turn {turn}", source="user"))
    del history[1:3]
    await client.create(history)
    sent.append(list(history))
    other = [UserMessage(content="Something else", source="user")]
    await client.create(other, tools=[_WEATHER])
    sent.append(list(other))
    chunks = [chunk async for chunk in client.create_stream(history)]
    assert isinstance(chunks[-1], CreateResult)
    sent.append(list(history))
    history.clear()
    extra["temperature"] = 1

    calls = client.create_calls
    assert [call["messages"] for call in calls] == sent
    assert [call["extra_create_args"] for call in calls] == [{"temperature": 0}] * 3 + [{}] * 3
    assert [call["tools"] for call in calls] == [[], [], [], [], [_WEATHER], []]
    assert [call["stream"] for call in calls] == [False] * 5 + [True]
    # Each record is its own list: changing one changes no other.
    calls[0]["messages"].append(system)
    assert calls[1]["messages"] == sent[1]


async def test_a_held_list_of_calls_sees_later_calls() -> None:
    client = ReplayChatCompletionClient(["a", "b", "c"])
    await client.create(_HELLO)
    calls = client.create_calls
    assert len(calls) == 1
    more = [*_HELLO, UserMessage(content="Again", source="user")]
    await client.create(more)
    await client.create(more, json_output=True)
    assert client.create_calls is calls
    assert [call["messages"] for call in calls] == [_HELLO, more, more]
    assert [call["json_output"] for call in calls] == [None, None, True]
