"""OpenAIChatCompletionClient over real HTTP against a scripted chat-completions server."""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from parlay_core import CancellationToken, FunctionCall, Image
from parlay_core.exceptions import (
    ModelAPIError,
    ModelCapabilityError,
    ModelClientError,
    ModelInfoError,
)
from parlay_core.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    ModelFamily,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import FunctionTool
from parlay_ext.models.openai import (
    AzureOpenAIChatCompletionClient,
    OpenAIChatCompletionClient,
    known_model_info,
)
from tests.ext._wire import Reply, WireServer, sse

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)


def completion(
    content: str | None = "Paris",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str = "stop",
    usage: tuple[int, int] = (11, 3),
    **message_extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, **message_extra}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return sse(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": choices,
            **extra,
        }
    )


USAGE_CHUNK = chunk(None, usage={"prompt_tokens": 7, "completion_tokens": 4, "total_tokens": 11})
DONE = sse("[DONE]")


def client_for(
    wire: WireServer, model: str = "gpt-4o-mini", **kwargs: Any
) -> OpenAIChatCompletionClient:
    kwargs.setdefault("max_retries", 0)
    return OpenAIChatCompletionClient(
        model=model, api_key="sk-test", base_url=f"{wire.url}/v1", **kwargs
    )


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def weather(city: str) -> str:
    """Tell the weather in a city."""
    return f"sunny in {city}"


async def test_text_reply_usage_and_request_shape(wire: WireServer) -> None:
    wire.script(Reply(body=completion("Paris")), Reply(body=completion("Rome", usage=(5, 1))))
    client = client_for(wire, temperature=0.2)
    result = await client.create(
        [
            SystemMessage(content="Be brief."),
            UserMessage(content="Capital of France?", source="user"),
        ]
    )
    assert result.content == "Paris"
    assert result.finish_reason == "stop"
    assert result.usage.prompt_tokens == 11 and result.usage.completion_tokens == 3
    assert result.cached is False
    sent = wire.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["temperature"] == 0.2
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?", "name": "user"},
    ]
    await client.create([UserMessage(content="And Italy?", source="user")])
    assert client.actual_usage().prompt_tokens == 5
    assert client.total_usage().prompt_tokens == 16
    assert client.total_usage().completion_tokens == 4
    await client.close()


async def test_names_openai_would_reject_are_left_out(wire: WireServer) -> None:
    wire.script(Reply(body=completion()))
    client = client_for(wire)
    await client.create([UserMessage(content="hi", source="a user with spaces")])
    assert "name" not in wire.received[0].body["messages"][0]


async def test_image_is_sent_as_a_data_uri(wire: WireServer) -> None:
    wire.script(Reply(body=completion("a pixel")))
    client = client_for(wire, model="gpt-4o")
    image = Image.from_base64(__import__("base64").b64encode(PNG).decode())
    await client.create([UserMessage(content=["What is this?", image], source="user")])
    parts = wire.received[0].body["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "What is this?"}
    assert parts[1]["type"] == "image_url"
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")


async def test_image_for_a_model_without_vision_is_refused_before_sending(wire: WireServer) -> None:
    client = client_for(wire, model="gpt-3.5-turbo")
    image = Image(PNG)
    with pytest.raises(ModelCapabilityError, match="vision"):
        await client.create([UserMessage(content=["look", image], source="user")])
    assert wire.received == []


async def test_parallel_tool_calls(wire: WireServer) -> None:
    calls = [
        tool_call("call_1", "add", '{"a": 1, "b": 2}'),
        tool_call("call_2", "weather", '{"city": "Paris"}'),
    ]
    wire.script(Reply(body=completion("Let me check.", tool_calls=calls, finish="tool_calls")))
    client = client_for(wire)
    tools = [
        FunctionTool(add, description="Add two numbers."),
        FunctionTool(weather, description="Weather."),
    ]
    result = await client.create([UserMessage(content="go", source="user")], tools=tools)
    assert result.finish_reason == "function_calls"
    assert result.content == [
        FunctionCall(id="call_1", arguments='{"a": 1, "b": 2}', name="add"),
        FunctionCall(id="call_2", arguments='{"city": "Paris"}', name="weather"),
    ]
    assert result.thought == "Let me check."
    body = wire.received[0].body
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "weather"]
    assert body["tools"][0]["type"] == "function"
    assert body["tools"][0]["function"]["parameters"]["properties"]["a"]["type"] == "integer"
    assert body["tool_choice"] == "auto"


async def test_forced_tool_and_unknown_forced_tool(wire: WireServer) -> None:
    wire.script(
        Reply(body=completion(None, tool_calls=[tool_call("c", "add", "{}")], finish="tool_calls"))
    )
    client = client_for(wire)
    tool = FunctionTool(add, description="Add.")
    await client.create([UserMessage(content="go", source="user")], tools=[tool], tool_choice=tool)
    assert wire.received[0].body["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    other = FunctionTool(weather, description="Weather.")
    with pytest.raises(ValueError, match="weather"):
        await client.create(
            [UserMessage(content="go", source="user")], tools=[tool], tool_choice=other
        )


async def test_tool_results_go_back_as_tool_messages(wire: WireServer) -> None:
    wire.script(Reply(body=completion("3")))
    client = client_for(wire)
    conversation = [
        UserMessage(content="1+2?", source="user"),
        AssistantMessage(
            content=[FunctionCall(id="call_1", arguments='{"a":1,"b":2}', name="add")],
            thought="I will add.",
            source="assistant",
        ),
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="3", name="add", call_id="call_1")]
        ),
    ]
    await client.create(conversation)
    messages = wire.received[0].body["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": "I will add.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a":1,"b":2}'},
            }
        ],
    }
    assert messages[2] == {"role": "tool", "tool_call_id": "call_1", "content": "3"}


async def test_arguments_that_are_not_json_pass_through_unchanged(wire: WireServer) -> None:
    # The client reports exactly what the model wrote; the tool layer (ToolAgent, AssistantAgent)
    # turns unparseable arguments into an error result the model can correct.
    bad = "{'a': 1, b: }"
    wire.script(
        Reply(body=completion(None, tool_calls=[tool_call("c1", "add", bad)], finish="tool_calls"))
    )
    client = client_for(wire)
    tool = FunctionTool(add, description="Add.")
    result = await client.create([UserMessage(content="go", source="user")], tools=[tool])
    assert result.content == [FunctionCall(id="c1", arguments=bad, name="add")]


class City(BaseModel):
    name: str
    population: int | None = None


async def test_structured_output_from_a_pydantic_model(wire: WireServer) -> None:
    wire.script(Reply(body=completion('{"name": "Paris", "population": 2100000}')))
    client = client_for(wire)
    result = await client.create([UserMessage(content="A city?", source="user")], json_output=City)
    assert isinstance(result.content, str)
    assert City.model_validate_json(result.content).name == "Paris"
    fmt = wire.received[0].body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["name", "population"]


async def test_json_mode(wire: WireServer) -> None:
    wire.script(Reply(body=completion('{"ok": true}')))
    client = client_for(wire)
    result = await client.create(
        [UserMessage(content="json please", source="user")], json_output=True
    )
    assert json.loads(str(result.content)) == {"ok": True}
    assert wire.received[0].body["response_format"] == {"type": "json_object"}


async def test_reasoning_content_becomes_thought(wire: WireServer) -> None:
    wire.script(
        Reply(body=completion("42", reasoning_content="Six times seven.")),
        Reply(body=completion("<think>Hmm, 6*7.</think>\n42")),
    )
    client = client_for(wire, model="deepseek-r1", model_info=known_model_info("gpt-4o"))
    first = await client.create([UserMessage(content="?", source="user")])
    assert (first.content, first.thought) == ("42", "Six times seven.")
    second = await client.create([UserMessage(content="?", source="user")])
    assert (second.content, second.thought) == ("42", "Hmm, 6*7.")


async def collect(stream: Any) -> tuple[list[str], CreateResult]:
    chunks: list[str] = []
    final: CreateResult | None = None
    async for item in stream:
        if isinstance(item, str):
            chunks.append(item)
        else:
            assert final is None, "more than one CreateResult"
            final = item
    assert final is not None
    return chunks, final


async def test_stream_text_with_usage(wire: WireServer) -> None:
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Bei"}),
        chunk({"content": "jing"}),
        chunk({}, finish="stop"),
        USAGE_CHUNK,
        DONE,
    ]
    wire.script(Reply(events=events))
    client = client_for(wire)
    chunks, final = await collect(client.create_stream([UserMessage(content="?", source="user")]))
    assert chunks == ["Bei", "jing"]
    assert final.content == "Beijing"
    assert final.finish_reason == "stop"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (7, 4)
    assert client.total_usage().completion_tokens == 4
    body = wire.received[0].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_stream_without_usage_estimates_it(wire: WireServer) -> None:
    wire.script(Reply(events=[chunk({"content": "Hello world"}), chunk({}, finish="stop"), DONE]))
    client = client_for(wire)
    _, final = await collect(
        client.create_stream([UserMessage(content="Say hello", source="user")])
    )
    assert final.usage.prompt_tokens > 0
    assert final.usage.completion_tokens > 0


async def test_stream_parallel_tool_calls_and_reasoning(wire: WireServer) -> None:
    def frag(
        index: int, call_id: str | None = None, name: str | None = None, args: str = ""
    ) -> dict[str, Any]:
        function: dict[str, Any] = {"arguments": args}
        if name:
            function["name"] = name
        item: dict[str, Any] = {"index": index, "function": function}
        if call_id:
            item.update(id=call_id, type="function")
        return item

    events = [
        chunk({"role": "assistant", "reasoning": "Need both."}),
        chunk({"tool_calls": [frag(0, "call_a", "add", '{"a": 1,')]}),
        chunk({"tool_calls": [frag(1, "call_b", "weather", '{"city"')]}),
        chunk({"tool_calls": [frag(0, args=' "b": 2}')]}),
        chunk({"tool_calls": [frag(1, args=': "Oslo"}')]}),
        chunk({}, finish="tool_calls"),
        USAGE_CHUNK,
        DONE,
    ]
    wire.script(Reply(events=events))
    client = client_for(wire)
    tools = [FunctionTool(add, description="Add."), FunctionTool(weather, description="Weather.")]
    chunks, final = await collect(
        client.create_stream([UserMessage(content="go", source="user")], tools=tools)
    )
    assert chunks == []
    assert final.finish_reason == "function_calls"
    assert final.content == [
        FunctionCall(id="call_a", arguments='{"a": 1, "b": 2}', name="add"),
        FunctionCall(id="call_b", arguments='{"city": "Oslo"}', name="weather"),
    ]
    assert final.thought == "Need both."


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (401, "invalid_api_key"),
        (429, "rate_limit"),
        (500, "server_error"),
    ],
)
async def test_provider_errors_carry_status_and_body(
    wire: WireServer, status: int, error_type: str
) -> None:
    body = {"error": {"message": f"boom {status}", "type": error_type, "code": None}}
    wire.script(Reply(status=status, body=body))
    client = client_for(wire)
    with pytest.raises(ModelAPIError) as caught:
        await client.create([UserMessage(content="?", source="user")])
    assert caught.value.status_code == status
    assert caught.value.body is not None
    assert f"boom {status}" in str(caught.value.body)
    assert str(status) in str(caught.value)
    assert len(wire.received) == 1


async def test_error_response_to_a_stream_request(wire: WireServer) -> None:
    wire.script(
        Reply(status=401, body={"error": {"message": "bad key", "type": "invalid_api_key"}})
    )
    client = client_for(wire)
    with pytest.raises(ModelAPIError) as caught:
        await collect(client.create_stream([UserMessage(content="?", source="user")]))
    assert caught.value.status_code == 401


async def test_retries_are_configurable(wire: WireServer) -> None:
    flaky = Reply(
        status=500, body={"error": {"message": "try again"}}, headers={"retry-after-ms": "10"}
    )
    wire.script(flaky, Reply(body=completion("fine")))
    client = client_for(wire, max_retries=1)
    result = await client.create([UserMessage(content="?", source="user")])
    assert result.content == "fine"
    assert len(wire.received) == 2


async def test_timeout_is_a_typed_error(wire: WireServer) -> None:
    wire.script(Reply(body=completion(), delay=3))
    client = client_for(wire, timeout=0.3)
    with pytest.raises(ModelAPIError, match="in time"):
        await client.create([UserMessage(content="?", source="user")])


async def test_cancellation_stops_a_waiting_call(wire: WireServer) -> None:
    wire.script(Reply(body=completion(), delay=3))
    client = client_for(wire)
    token = CancellationToken()
    call = asyncio.create_task(
        client.create([UserMessage(content="?", source="user")], cancellation_token=token)
    )
    await asyncio.sleep(0.2)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def test_malformed_stream_is_a_typed_error(wire: WireServer) -> None:
    wire.script(Reply(events=[chunk({"content": "Hi"}), "data: {this is not json\n\n", DONE]))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="stream"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


async def test_truncated_stream_is_a_typed_error(wire: WireServer) -> None:
    wire.script(Reply(events=[chunk({"content": "Hel"})], truncate=True))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="stream"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


async def test_stream_that_ends_without_finishing_is_a_typed_error(wire: WireServer) -> None:
    wire.script(Reply(events=[chunk({"content": "Hel"})]))
    client = client_for(wire)
    with pytest.raises(ModelAPIError, match="before the model finished"):
        await collect(client.create_stream([UserMessage(content="?", source="user")]))


def test_known_models_and_snapshots() -> None:
    info = known_model_info("gpt-4o-2024-08-06")
    assert info is not None and info["family"] == ModelFamily.GPT_4O and info["vision"]
    assert known_model_info("no-such-model") is None


def test_unknown_model_gets_defaults_and_a_warning(wire: WireServer) -> None:
    with pytest.warns(UserWarning, match="qwen2.5:0.5b"):
        client = client_for(wire, model="qwen2.5:0.5b")
    assert client.model_info["function_calling"] is True
    assert client.model_info["vision"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        given = ModelInfo(
            vision=True,
            function_calling=False,
            json_output=False,
            family="x",
            structured_output=False,
        )
        assert client_for(wire, model="qwen2.5:0.5b", model_info=given).model_info == given


def test_incomplete_model_info_is_a_typed_error(wire: WireServer) -> None:
    with pytest.raises(ModelInfoError, match="family"):
        client_for(
            wire,
            model="mystery",
            model_info={"vision": False, "function_calling": True, "json_output": True},
        )  # type: ignore[typeddict-item]


def test_tools_for_a_model_without_function_calling(wire: WireServer) -> None:
    client = client_for(wire, model="o1-mini")
    with pytest.raises(ModelCapabilityError, match="function"):
        asyncio.run(
            client.create(
                [UserMessage(content="?", source="user")],
                tools=[FunctionTool(add, description="Add.")],
            )
        )


def test_no_key_for_openai_itself_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelClientError, match="OPENAI_API_KEY"):
        OpenAIChatCompletionClient(model="gpt-4o-mini")


async def test_local_server_needs_no_key(wire: WireServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    wire.script(Reply(body=completion("ok")))
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", base_url=f"{wire.url}/v1", max_retries=0
    )
    assert (await client.create([UserMessage(content="?", source="user")])).content == "ok"


def test_gemini_models_default_to_googles_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    client = OpenAIChatCompletionClient(model="gemini-2.5-flash")
    assert "generativelanguage.googleapis.com" in str(client._client.base_url)  # pyright: ignore[reportPrivateUsage]
    assert client.model_info["family"] == ModelFamily.GEMINI_2_5_FLASH


def test_unknown_constructor_argument_is_refused() -> None:
    with pytest.raises(TypeError, match="temprature"):
        OpenAIChatCompletionClient(model="gpt-4o", api_key="k", temprature=0.1)


def test_config_round_trip_masks_the_key() -> None:
    client = OpenAIChatCompletionClient(
        model="gpt-4o", api_key="sk-secret", base_url="http://127.0.0.1:9/v1", seed=7
    )
    dumped = client.dump_component()
    assert dumped.provider == "parlay_ext.models.openai.OpenAIChatCompletionClient"
    assert "sk-secret" not in dumped.model_dump_json()
    revealed = client.dump_component(include_secrets=True)
    loaded = OpenAIChatCompletionClient.load_component(revealed)
    assert loaded.dump_component(include_secrets=True).config == revealed.config
    assert loaded.dump_component().config["seed"] == 7


def test_autogen_config_and_entry_point_names_load() -> None:
    from parlay_core.models import ChatCompletionClient

    autogen = {
        "provider": "autogen_ext.models.openai.OpenAIChatCompletionClient",
        "component_type": "model",
        "config": {"model": "gpt-4o-mini", "api_key": "sk-x", "temperature": 0.5},
    }
    loaded = ChatCompletionClient.load_component(autogen)
    assert isinstance(loaded, OpenAIChatCompletionClient)
    by_name = ChatCompletionClient.load_component(
        {
            "provider": "openai",
            "component_type": "model",
            "config": {"model": "gpt-4o", "api_key": "k"},
        }
    )
    assert isinstance(by_name, OpenAIChatCompletionClient)


async def test_azure_deployment_url_and_key_header(wire: WireServer) -> None:
    wire.script(Reply(body=completion("hi from azure")))
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint=wire.url,
        azure_deployment="prod-4o",
        api_version="2024-10-21",
        api_key="az-key",
        max_retries=0,
    )
    result = await client.create([UserMessage(content="?", source="user")])
    assert result.content == "hi from azure"
    sent = wire.received[0]
    assert sent.path.startswith("/openai/deployments/prod-4o/chat/completions")
    assert "api-version=2024-10-21" in sent.path
    assert sent.headers["api-key"] == "az-key"


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "openai" or name.startswith(("openai.", "parlay_ext.models.openai")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(ImportError, match=r'pip install "parlay-ext\[openai\]"'):
        __import__("parlay_ext.models.openai")


def test_registered_through_entry_points() -> None:
    from parlay_core.plugins import MODEL_CLIENTS, load_plugin

    assert load_plugin(MODEL_CLIENTS, "openai") is OpenAIChatCompletionClient
    assert load_plugin(MODEL_CLIENTS, "azure_openai") is AzureOpenAIChatCompletionClient


@pytest.mark.live
async def test_live_openai(live_key: Callable[[str], str]) -> None:
    key = live_key("OPENAI_API_KEY")
    client = OpenAIChatCompletionClient(model="gpt-4o-mini", api_key=key)
    result = await client.create([UserMessage(content="Reply with the word pong.", source="user")])
    assert "pong" in str(result.content).lower()
    assert result.usage.prompt_tokens > 0
