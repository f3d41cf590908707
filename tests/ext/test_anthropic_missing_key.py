"""Anthropic without any key fails when the client is built, as the OpenAI client does."""

from __future__ import annotations

import pytest

from parlay_core.exceptions import ModelClientError
from parlay_core.models import UserMessage
from parlay_ext.models.anthropic import AnthropicChatCompletionClient
from parlay_ext.models.openai import OpenAIChatCompletionClient

MODEL = "claude-sonnet-4-20250514"


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)


def test_no_key_in_code_fails_at_construction_like_openai() -> None:
    with pytest.raises(ModelClientError, match="ANTHROPIC_API_KEY") as anthropic_error:
        AnthropicChatCompletionClient(model=MODEL)
    with pytest.raises(ModelClientError, match="OPENAI_API_KEY") as openai_error:
        OpenAIChatCompletionClient(model="gpt-4o")
    assert type(anthropic_error.value) is type(openai_error.value)
    assert "api_key=" in str(anthropic_error.value)


def test_a_key_from_the_environment_or_a_header_is_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    AnthropicChatCompletionClient(model=MODEL, default_headers={"x-api-key": "ak-header"})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-env")
    AnthropicChatCompletionClient(model=MODEL)


async def test_a_config_without_a_key_loads_and_fails_clearly_at_the_call() -> None:
    config = {"provider": "anthropic", "config": {"model": MODEL}}
    with pytest.warns(UserWarning, match="loaded without an API key"):
        client = AnthropicChatCompletionClient.load_component(config)
    with pytest.raises(ModelClientError, match="ANTHROPIC_API_KEY"):
        await client.create([UserMessage(content="?", source="user")])


async def test_a_base_url_defers_the_check_to_the_call() -> None:
    # A gateway may add credentials itself; a call that needs a key still fails before sending.
    client = AnthropicChatCompletionClient(model=MODEL, base_url="http://127.0.0.1:9/")
    with pytest.raises(ModelClientError, match="No Anthropic API key"):
        await client.create([UserMessage(content="?", source="user")])
