"""OpenAIChatCompletionClient: the older AutoGen forms programs still use, and provider routing.

``response_format=<pydantic class>`` and ``model_capabilities=`` are deprecated in AutoGen but
still accepted there, so Parlay accepts them too; ``claude-*``, ``Llama-*`` and ``gemini-*``
model names lead to their providers' OpenAI-compatible endpoints. Requests go over real HTTP to
the scripted loopback server.
"""

from __future__ import annotations

import base64
import warnings
from typing import Any

import pytest
from pydantic import BaseModel

from parlay_core import Image
from parlay_core.exceptions import ModelCapabilityError
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    ModelCapabilities,
    ModelFamily,
    SystemMessage,
    UserMessage,
)
from parlay_ext.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer
from tests.ext.test_openai_client import DONE, chunk, client_for, completion

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)


class Weather(BaseModel):
    city: str
    celsius: float


WEATHER_JSON = '{"city": "Oslo", "celsius": -3.5}'
ASK = [UserMessage(content="Weather in Oslo?", source="user")]


def assert_weather_schema(fmt: dict[str, Any]) -> None:
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Weather"
    assert fmt["json_schema"]["strict"] is True
    assert sorted(fmt["json_schema"]["schema"]["required"]) == ["celsius", "city"]


async def test_response_format_class_in_the_constructor_gives_structured_output(
    wire: WireServer,
) -> None:
    wire.script(Reply(body=completion(WEATHER_JSON)), Reply(body=completion(WEATHER_JSON)))
    with pytest.warns(DeprecationWarning, match="response_format"):
        client = client_for(wire, response_format=Weather)
    result = await client.create(ASK)
    # As in AutoGen, the content is the JSON text, which the caller validates.
    assert isinstance(result.content, str)
    assert Weather.model_validate_json(result.content) == Weather(city="Oslo", celsius=-3.5)
    assert_weather_schema(wire.received[0].body["response_format"])

    # The config saves the schema the class is sent as, so a loaded client asks the same.
    config = client.dump_component(include_secrets=True)
    assert config.config["response_format"] == wire.received[0].body["response_format"]
    loaded = ChatCompletionClient.load_component(config)
    await loaded.create(ASK)
    assert wire.received[1].body["response_format"] == wire.received[0].body["response_format"]


async def test_response_format_class_per_call_in_create_and_stream(wire: WireServer) -> None:
    wire.script(
        Reply(body=completion(WEATHER_JSON)),
        Reply(
            events=[
                chunk({"role": "assistant", "content": WEATHER_JSON[:10]}),
                chunk({"content": WEATHER_JSON[10:]}),
                chunk({}, finish="stop"),
                DONE,
            ]
        ),
    )
    client = client_for(wire)
    with pytest.warns(DeprecationWarning, match="response_format"):
        result = await client.create(ASK, extra_create_args={"response_format": Weather})
    assert Weather.model_validate_json(str(result.content)).city == "Oslo"
    assert_weather_schema(wire.received[0].body["response_format"])

    with pytest.warns(DeprecationWarning, match="response_format"):
        items = [
            item
            async for item in client.create_stream(
                ASK, extra_create_args={"response_format": Weather}
            )
        ]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert Weather.model_validate_json(str(final.content)).celsius == -3.5
    assert wire.received[1].body["stream"] is True
    assert_weather_schema(wire.received[1].body["response_format"])


async def test_json_output_class_wins_over_a_response_format_dict(wire: WireServer) -> None:
    wire.script(Reply(body=completion(WEATHER_JSON)), Reply(body=completion("{}")))
    client = client_for(wire)
    with pytest.warns(UserWarning, match="ignored"):
        await client.create(
            ASK,
            json_output=Weather,
            extra_create_args={"response_format": {"type": "json_object"}},
        )
    assert_weather_schema(wire.received[0].body["response_format"])
    # Without json_output, a response_format dict is sent as given.
    await client.create(ASK, extra_create_args={"response_format": {"type": "json_object"}})
    assert wire.received[1].body["response_format"] == {"type": "json_object"}


async def test_response_format_and_json_output_classes_together_are_refused(
    wire: WireServer,
) -> None:
    with pytest.warns(DeprecationWarning, match="response_format"):
        client = client_for(wire, response_format=Weather)
    with pytest.raises(ValueError, match="json_output"):
        await client.create(ASK, json_output=Weather)
    assert wire.received == []


async def test_response_format_class_for_a_model_without_structured_output(
    wire: WireServer,
) -> None:
    with pytest.warns(DeprecationWarning, match="response_format"):
        client = client_for(wire, model="gpt-4", response_format=Weather)
    with pytest.raises(ModelCapabilityError, match="structured_output"):
        await client.create(ASK)
    assert wire.received == []


async def test_model_capabilities_is_accepted_as_model_info(wire: WireServer) -> None:
    capabilities = {"vision": False, "function_calling": True, "json_output": True}
    with pytest.warns(DeprecationWarning, match="model_capabilities"):
        client = client_for(wire, model="my-local-model", model_capabilities=capabilities)
    assert client.model_info == {
        **capabilities,
        "family": ModelFamily.UNKNOWN,
        "structured_output": False,
    }
    # The capabilities are enforced: no image goes to a model without vision.
    image = Image.from_base64(base64.b64encode(PNG).decode())
    with pytest.raises(ModelCapabilityError, match="vision"):
        await client.create([UserMessage(content=["look", image], source="user")])
    wire.script(Reply(body=completion("hi")))
    assert (await client.create(ASK)).content == "hi"

    config = client.dump_component(include_secrets=True)
    assert config.config["model_capabilities"] == capabilities
    with pytest.warns(DeprecationWarning, match="model_capabilities"):
        loaded = ChatCompletionClient.load_component(config)
    assert loaded.model_info == client.model_info


def test_model_capabilities_and_model_info_are_exclusive(wire: WireServer) -> None:
    capabilities = {"vision": False, "function_calling": True, "json_output": True}
    with pytest.raises(ValueError, match="mutually exclusive"):
        client_for(
            wire,
            model_capabilities=capabilities,
            model_info={**capabilities, "family": "x", "structured_output": False},
        )


@pytest.mark.parametrize(
    ("model", "host", "variable", "family", "vision"),
    [
        (
            "claude-3-5-sonnet-20241022",
            "api.anthropic.com",
            "ANTHROPIC_API_KEY",
            "claude-3-5-sonnet",
            True,
        ),
        (
            "claude-sonnet-4-20250514",
            "api.anthropic.com",
            "ANTHROPIC_API_KEY",
            "claude-4-sonnet",
            True,
        ),
        (
            "Llama-4-Scout-17B-16E-Instruct-FP8",
            "api.llama.com",
            "LLAMA_API_KEY",
            "llama-4-scout",
            True,
        ),
        ("Llama-3.3-70B-Instruct", "api.llama.com", "LLAMA_API_KEY", "llama-3.3-70b", False),
        (
            "gemini-2.0-flash",
            "generativelanguage.googleapis.com",
            "GEMINI_API_KEY",
            "gemini-2.0-flash",
            True,
        ),
    ],
)
def test_provider_models_go_to_their_endpoint_with_their_key(
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    host: str,
    variable: str,
    family: str,
    vision: bool,
) -> None:
    monkeypatch.setenv(variable, "provider-key")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a known model: no "unknown model" warning
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = OpenAIChatCompletionClient(model=model)
    sdk = client._client  # pyright: ignore[reportPrivateUsage]
    assert sdk.base_url.host == host
    assert sdk.api_key == "provider-key"
    assert client.model_info["family"] == family
    assert client.model_info["vision"] is vision
    assert client.model_info["function_calling"] is True
    assert client.remaining_tokens(ASK) > 100_000


def test_claude_through_openai_has_no_json_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "a-key")
    info = OpenAIChatCompletionClient(model="claude-3-7-sonnet-20250219").model_info
    assert info["json_output"] is False
    assert info["structured_output"] is False
    # Anthropic's endpoint folds several system messages into its system prompt itself.
    assert info.get("multiple_system_messages") is True


async def test_a_given_base_url_keeps_a_provider_model_on_that_server(
    wire: WireServer,
) -> None:
    wire.script(Reply(body=completion("hello from a proxy")))
    client = client_for(wire, model="claude-3-5-sonnet-20241022")
    assert client.model_info["family"] == ModelFamily.CLAUDE_3_5_SONNET
    result = await client.create(ASK)
    assert result.content == "hello from a proxy"
    assert wire.received[0].headers["authorization"] == "Bearer sk-test"


async def test_system_messages_are_merged_for_a_model_that_takes_one(wire: WireServer) -> None:
    wire.script(Reply(body=completion("ok")), Reply(body=completion("ok")))
    client = client_for(wire, model="gemini-2.0-flash")
    await client.create(
        [
            SystemMessage(content="You are terse."),
            SystemMessage(content="Answer in French."),
            UserMessage(content="Hi", source="user"),
        ]
    )
    assert wire.received[0].body["messages"] == [
        {"role": "system", "content": "You are terse.\nAnswer in French."},
        {"role": "user", "content": "Hi", "name": "user"},
    ]
    # A model that takes several gets them as they are.
    openai_client = client_for(wire)
    await openai_client.create(
        [
            SystemMessage(content="a"),
            SystemMessage(content="b"),
            UserMessage(content="Hi", source="u"),
        ]
    )
    assert [m["content"] for m in wire.received[1].body["messages"]] == ["a", "b", "Hi"]


async def test_system_messages_apart_are_refused_for_a_model_that_takes_one(
    wire: WireServer,
) -> None:
    client = client_for(wire, model="gemini-2.5-flash")
    with pytest.raises(ModelCapabilityError, match="multiple_system_messages"):
        await client.create(
            [
                SystemMessage(content="You are terse."),
                UserMessage(content="Hi", source="user"),
                SystemMessage(content="Now answer in French."),
            ]
        )
    assert wire.received == []


async def test_add_name_prefixes_tells_the_model_who_said_what(wire: WireServer) -> None:
    wire.script(Reply(body=completion("ok")))
    client = client_for(wire, add_name_prefixes=True)
    image = Image.from_base64(base64.b64encode(PNG).decode())
    await client.create(
        [
            SystemMessage(content="Referee the debate."),
            UserMessage(content="Cats are best.", source="alice"),
            UserMessage(content=["Dogs are.", image], source="bob"),
        ]
    )
    sent = wire.received[0].body["messages"]
    assert sent[0]["content"] == "Referee the debate."
    assert sent[1]["content"] == "alice said:\nCats are best."
    assert sent[1]["name"] == "alice"
    assert sent[2]["content"][0] == {"type": "text", "text": "bob said:\nDogs are."}
    config = client.dump_component(include_secrets=True)
    assert config.config["add_name_prefixes"] is True
    loaded = ChatCompletionClient.load_component(config)
    assert loaded.dump_component(include_secrets=True).config == config.config
    # Off by default, and then not written to configs.
    assert "add_name_prefixes" not in client_for(wire).dump_component().config


async def test_azure_client_takes_the_same_older_forms(wire: WireServer) -> None:
    capabilities = ModelCapabilities(vision=False, function_calling=True, json_output=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = AzureOpenAIChatCompletionClient(
            model="gpt-4o",
            azure_endpoint=wire.url,
            api_version="2024-10-21",
            api_key="az-key",
            max_retries=0,
            model_capabilities=capabilities,
            response_format=Weather,
            add_name_prefixes=True,
        )
    deprecated = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert any("model_capabilities" in message for message in deprecated)
    assert any("response_format" in message for message in deprecated)
    # model_capabilities has no structured_output, so the class cannot be used.
    with pytest.raises(ModelCapabilityError, match="structured_output"):
        await client.create(ASK)
    assert wire.received == []
    config = client.dump_component(include_secrets=True)
    assert config.config["response_format"]["json_schema"]["name"] == "Weather"
    assert config.config["add_name_prefixes"] is True


async def test_claude_prefill_loses_trailing_whitespace(wire: WireServer) -> None:
    wire.script(Reply(body=completion("bar")), Reply(body=completion("ok")))
    client = client_for(wire, model="claude-3-5-haiku-20241022")
    prefill = AssistantMessage(content="foo ", source="assistant")
    await client.create([UserMessage(content="Say foobar", source="user"), prefill])
    assert wire.received[0].body["messages"][-1] == {"role": "assistant", "content": "foo"}
    assert prefill.content == "foo "  # the caller's message is left as it was
    await client.create(
        [UserMessage(content="Hi", source="user"), AssistantMessage(content=" \n", source="a")]
    )
    assert [m["role"] for m in wire.received[1].body["messages"]] == ["user"]
