"""Model-client configs dumped with a masked API key load, use the provider's environment
variable, and fail clearly only when a call needs the missing key (real HTTP on loopback)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from parlay_core import ComponentLoader
from parlay_core.exceptions import ModelClientError
from parlay_core.model_context import TokenLimitedChatCompletionContext
from parlay_core.models import ChatCompletionClient, UserMessage
from parlay_ext.models.anthropic import AnthropicChatCompletionClient
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer

ASK = [UserMessage(content="?", source="user")]


def openai_completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def anthropic_message(text: str) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    }


def reloaded(config: Any) -> Any:
    """Load a dumped config the way it comes back from a file."""
    return ChatCompletionClient.load_component(json.loads(config.model_dump_json()))


async def test_openai_masked_key_falls_back_to_the_environment(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", api_key="sk-dumped", base_url=f"{wire.url}/v1", max_retries=0
    )
    dumped = client.dump_component()
    assert dumped.config["api_key"] == "**********"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    # The config chose the server, so sending it the environment's key needs the caller's word.
    with pytest.warns(UserWarning, match=r"masked api_key.*OPENAI_API_KEY"):
        loaded = ChatCompletionClient.load_component(
            json.loads(dumped.model_dump_json()), allow_environment_keys=True
        )
    wire.script(Reply(body=openai_completion("ok")))
    assert (await loaded.create(ASK)).content == "ok"
    assert wire.received[0].headers["authorization"] == "Bearer sk-from-env"
    assert "api_key" not in loaded.dump_component(include_secrets=True).config


async def test_openai_masked_key_without_environment_fails_at_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    dumped = OpenAIChatCompletionClient(model="gpt-4o", api_key="sk-dumped").dump_component()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = reloaded(dumped)
    messages = [str(w.message) for w in caught]
    assert any("masked api_key" in m for m in messages)
    assert any("loaded without an API key" in m for m in messages)
    with pytest.raises(ModelClientError, match=r"no API key.*OPENAI_API_KEY"):
        await loaded.create(ASK)
    with pytest.raises(ModelClientError, match="OPENAI_API_KEY"):
        async for _ in loaded.create_stream(ASK):
            pass
    # Constructing a client without any key in code still fails at once.
    with pytest.raises(ModelClientError, match="OPENAI_API_KEY"):
        OpenAIChatCompletionClient(model="gpt-4o")


def test_a_component_holding_a_masked_client_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="sk-dumped")
    context = TokenLimitedChatCompletionContext(model_client=client, token_limit=5)
    dumped = context.dump_component()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = ComponentLoader.load_component(dumped, TokenLimitedChatCompletionContext)
    assert isinstance(loaded, TokenLimitedChatCompletionContext)


async def test_anthropic_masked_key_falls_back_to_the_environment(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = AnthropicChatCompletionClient(
        model="claude-sonnet-4-20250514", api_key="ak-dumped", base_url=wire.url, max_retries=0
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-from-env")
    # The config chose the server, so sending it the environment's key needs the caller's word.
    with pytest.warns(UserWarning, match=r"masked api_key.*ANTHROPIC_API_KEY"):
        loaded = ChatCompletionClient.load_component(
            json.loads(client.dump_component().model_dump_json()), allow_environment_keys=True
        )
    wire.script(Reply(body=anthropic_message("ok")))
    assert (await loaded.create(ASK)).content == "ok"
    sent = wire.received[0].headers
    # Older SDKs send the key as x-api-key, newer ones as a bearer token.
    assert "ak-from-env" in (sent.get("x-api-key", ""), sent.get("authorization", "")[7:])


async def test_anthropic_masked_key_without_environment_fails_at_the_call(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    client = AnthropicChatCompletionClient(
        model="claude-sonnet-4-20250514", api_key="ak-dumped", base_url=wire.url, max_retries=0
    )
    with (
        pytest.warns(UserWarning, match="masked api_key"),
        pytest.warns(UserWarning, match="loaded without an API key"),
    ):
        loaded = reloaded(client.dump_component())
    with pytest.raises(ModelClientError, match="ANTHROPIC_API_KEY"):
        await loaded.create(ASK)
    assert wire.received == []


async def test_openai_empty_key_is_accepted_and_round_trips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="")
    dumped = client.dump_component()
    with pytest.warns(UserWarning, match="loaded without an API key"):
        assert reloaded(dumped).dump_component() == dumped
    with pytest.raises(ModelClientError, match="api_key is empty"):
        await client.create(ASK)
