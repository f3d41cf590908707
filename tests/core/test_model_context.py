"""Model contexts: windowing rules, state round trips and component round trips."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from parlay_core._component_config import ComponentModel
from parlay_core._exceptions import ComponentConfigError, StateError
from parlay_core._types import FunctionCall
from parlay_core.model_context import (
    BufferedChatCompletionContext,
    ChatCompletionContext,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import ToolSchema


def _user(n: int) -> UserMessage:
    return UserMessage(content=f"u{n}", source="user")


def _call(call_id: str) -> AssistantMessage:
    return AssistantMessage(
        content=[FunctionCall(id=call_id, arguments="{}", name="tool")], source="a"
    )


def _result(call_id: str) -> FunctionExecutionResultMessage:
    return FunctionExecutionResultMessage(
        content=[FunctionExecutionResult(content="ok", name="tool", call_id=call_id)]
    )


async def _fill(context: ChatCompletionContext, messages: Sequence[LLMMessage]) -> None:
    for message in messages:
        await context.add_message(message)


async def test_unbounded_returns_everything_in_order() -> None:
    context = UnboundedChatCompletionContext(initial_messages=[SystemMessage(content="sys")])
    await _fill(context, [_user(1), _user(2)])
    assert await context.get_messages() == [SystemMessage(content="sys"), _user(1), _user(2)]
    await context.clear()
    assert await context.get_messages() == []


async def test_get_messages_returns_a_copy() -> None:
    context = UnboundedChatCompletionContext()
    await context.add_message(_user(1))
    (await context.get_messages()).clear()
    assert await context.get_messages() == [_user(1)]


async def test_buffered_keeps_the_last_n() -> None:
    context = BufferedChatCompletionContext(buffer_size=2)
    await _fill(context, [_user(1), _user(2), _user(3)])
    assert await context.get_messages() == [_user(2), _user(3)]


async def test_buffered_drops_leading_orphaned_function_results() -> None:
    context = BufferedChatCompletionContext(buffer_size=3)
    await _fill(context, [_user(1), _call("1"), _result("1"), _result("1b"), _user(2)])
    # The window [_result, _result, _user] starts with results whose call fell outside it.
    assert await context.get_messages() == [_user(2)]


async def test_buffered_keeps_a_call_with_its_results() -> None:
    context = BufferedChatCompletionContext(buffer_size=3)
    await _fill(context, [_user(1), _call("1"), _result("1"), _user(2)])
    assert await context.get_messages() == [_call("1"), _result("1"), _user(2)]


def test_buffered_rejects_a_non_positive_size() -> None:
    with pytest.raises(ComponentConfigError, match="buffer_size"):
        BufferedChatCompletionContext(buffer_size=0)


async def test_head_and_tail_returns_everything_when_it_fits() -> None:
    context = HeadAndTailChatCompletionContext(head_size=2, tail_size=2)
    messages = [_user(i) for i in range(4)]
    await _fill(context, messages)
    assert await context.get_messages() == messages


async def test_head_and_tail_inserts_a_note_for_skipped_messages() -> None:
    context = HeadAndTailChatCompletionContext(head_size=1, tail_size=2)
    await _fill(context, [_user(i) for i in range(6)])
    assert await context.get_messages() == [
        _user(0),
        UserMessage(content="Skipped 3 messages.", source="System"),
        _user(4),
        _user(5),
    ]


async def test_head_and_tail_never_splits_calls_from_results() -> None:
    context = HeadAndTailChatCompletionContext(head_size=2, tail_size=2)
    await _fill(
        context, [_user(0), _call("1"), _result("1"), _user(3), _call("2"), _result("2"), _user(6)]
    )
    # The head would end with a call whose result is skipped; the tail would start with a
    # result whose call is skipped. Both are left out and counted in the note.
    assert await context.get_messages() == [
        _user(0),
        UserMessage(content="Skipped 5 messages.", source="System"),
        _user(6),
    ]


def test_head_and_tail_rejects_non_positive_sizes() -> None:
    with pytest.raises(ComponentConfigError, match="tail_size"):
        HeadAndTailChatCompletionContext(head_size=1, tail_size=0)
    with pytest.raises(ComponentConfigError, match="head_size"):
        HeadAndTailChatCompletionContext(head_size=-1, tail_size=1)


async def test_token_limited_removes_from_the_middle() -> None:
    client = ReplayChatCompletionClient([])
    # Each message is one token under the offline estimate.
    context = TokenLimitedChatCompletionContext(client, token_limit=3)
    await _fill(context, [_user(i) for i in range(5)])
    assert await context.get_messages() == [_user(0), _user(1), _user(4)]


async def test_token_limited_removes_calls_and_results_together() -> None:
    client = ReplayChatCompletionClient([])
    context = TokenLimitedChatCompletionContext(client, token_limit=6)
    await _fill(context, [_user(0), _user(1), _call("1"), _result("1"), _user(4)])
    messages = await context.get_messages()
    # The call (3 tokens) and its result go together, leaving 3 one-token messages.
    assert messages == [_user(0), _user(1), _user(4)]
    assert client.count_tokens(messages) <= 6


async def test_token_limited_without_limit_uses_the_clients_window() -> None:
    client = ReplayChatCompletionClient([])
    context = TokenLimitedChatCompletionContext(client)
    big = UserMessage(content="word " * 6000, source="user")
    await _fill(context, [_user(0), big, big, _user(3)])
    messages = await context.get_messages()
    assert messages == [_user(0), big, _user(3)]
    assert client.remaining_tokens(messages) >= 0


async def test_token_limited_counts_tool_schemas() -> None:
    client = ReplayChatCompletionClient([])
    schema: ToolSchema = {
        "name": "lookup",
        "description": "Look a word up.",
        "parameters": {"type": "object", "properties": {}},
    }
    tool_tokens = client.count_tokens([], tools=[schema])
    context = TokenLimitedChatCompletionContext(
        client, token_limit=tool_tokens + 2, tool_schema=[schema]
    )
    await _fill(context, [_user(i) for i in range(4)])
    assert len(await context.get_messages()) == 2


def test_token_limited_rejects_a_non_positive_limit() -> None:
    with pytest.raises(ComponentConfigError, match="token_limit"):
        TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=0)


async def test_state_has_the_autogen_shape_and_round_trips() -> None:
    context = BufferedChatCompletionContext(buffer_size=1)
    await _fill(
        context,
        [UserMessage(content="go", source="user"), AssistantMessage(content="hello", source="a")],
    )
    state = await context.save_state()
    assert json.loads(json.dumps(state)) == {
        "messages": [
            {"content": "go", "source": "user", "type": "UserMessage"},
            {"content": "hello", "thought": None, "source": "a", "type": "AssistantMessage"},
        ]
    }
    # The state holds the whole conversation, so it loads into any other kind of context.
    other = UnboundedChatCompletionContext()
    await other.load_state(state)
    assert await other.get_messages() == [
        UserMessage(content="go", source="user"),
        AssistantMessage(content="hello", source="a"),
    ]


async def test_state_with_function_calls_round_trips_through_json() -> None:
    context = UnboundedChatCompletionContext()
    await _fill(context, [_user(0), _call("1"), _result("1")])
    state = json.loads(json.dumps(await context.save_state()))
    fresh = UnboundedChatCompletionContext()
    await fresh.load_state(state)
    assert await fresh.get_messages() == [_user(0), _call("1"), _result("1")]


async def test_loading_a_bad_state_is_a_state_error() -> None:
    context = UnboundedChatCompletionContext()
    with pytest.raises(StateError, match="save_state"):
        await context.load_state({"messages": [{"type": "Nope"}]})


async def test_component_round_trips() -> None:
    initial: list[LLMMessage] = [SystemMessage(content="sys")]
    client = ReplayChatCompletionClient(["r"])
    contexts: list[ChatCompletionContext] = [
        UnboundedChatCompletionContext(initial_messages=initial),
        BufferedChatCompletionContext(buffer_size=4, initial_messages=initial),
        HeadAndTailChatCompletionContext(head_size=2, tail_size=3, initial_messages=initial),
        TokenLimitedChatCompletionContext(client, token_limit=50, initial_messages=initial),
    ]
    for context in contexts:
        dumped = json.loads(context.dump_component().model_dump_json())
        assert dumped["component_type"] == "chat_completion_context"
        assert dumped["provider"] == f"parlay_core.model_context.{type(context).__name__}"
        assert dumped["config"]["initial_messages"] == [{"content": "sys", "type": "SystemMessage"}]
        loaded = ChatCompletionContext.load_component(ComponentModel.model_validate(dumped))
        assert type(loaded) is type(context)
        assert await loaded.get_messages() == initial
        assert loaded.dump_component() == context.dump_component()


def test_buffered_config_shape() -> None:
    config = BufferedChatCompletionContext(buffer_size=5).dump_component().config
    assert config == {"buffer_size": 5}


async def test_token_limited_config_nests_the_model_client() -> None:
    context = TokenLimitedChatCompletionContext(ReplayChatCompletionClient(["r"]), token_limit=9)
    config = context.dump_component().config
    assert config["token_limit"] == 9
    assert config["model_client"]["provider"] == "parlay_core.testing.ReplayChatCompletionClient"
    loaded = TokenLimitedChatCompletionContext.load_component(context.dump_component())
    await _fill(loaded, [_user(i) for i in range(12)])
    assert len(await loaded.get_messages()) == 9
