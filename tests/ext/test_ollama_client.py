"""OllamaChatCompletionClient against a scripted server speaking the OpenAI wire format."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from parlay_core.exceptions import ModelAPIError
from parlay_core.models import ChatCompletionClient, CreateResult, UserMessage
from parlay_core.plugins import MODEL_CLIENTS, load_plugin
from parlay_ext.models.ollama import DEFAULT_OLLAMA_BASE_URL, OllamaChatCompletionClient
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer, sse


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "llama3.2",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }


def chunk(content: str | None, finish: str | None = None) -> str:
    delta = {} if content is None else {"content": content}
    return sse(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "llama3.2",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


ASK = [UserMessage(content="Capital of France?", source="user")]


async def test_defaults_and_request_shape(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    wire.script(Reply(body=completion("Paris")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown Ollama tag gets defaults without a warning
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = OllamaChatCompletionClient(
            model="llama3.2", base_url=f"{wire.url}/v1", max_retries=0, temperature=0.2
        )
    result = await client.create(ASK)
    assert result.content == "Paris"
    assert result.usage.prompt_tokens == 9
    sent = wire.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "llama3.2"
    assert sent.body["temperature"] == 0.2
    assert "name" not in sent.body["messages"][0]
    assert client.model_info["function_calling"] is True
    assert client.model_info["vision"] is False
    await client.close()


def test_default_base_url_is_the_local_ollama() -> None:
    client = OllamaChatCompletionClient(model="llama3.2")
    assert DEFAULT_OLLAMA_BASE_URL == "http://localhost:11434/v1"
    assert str(client._client.base_url).rstrip("/") == DEFAULT_OLLAMA_BASE_URL  # pyright: ignore[reportPrivateUsage]
    assert isinstance(client, OpenAIChatCompletionClient)


def test_vision_is_assumed_only_for_vision_models() -> None:
    assert OllamaChatCompletionClient(model="llava:13b").model_info["vision"] is True
    assert OllamaChatCompletionClient(model="llama3.2-vision").model_info["vision"] is True
    assert OllamaChatCompletionClient(model="qwen2.5:7b").model_info["vision"] is False


async def test_autogen_host_and_options(wire: WireServer) -> None:
    wire.script(
        Reply(events=[chunk("Par"), chunk("is"), chunk(None, finish="stop"), sse("[DONE]")])
    )
    client = OllamaChatCompletionClient(
        model="qwen2.5:7b",
        host=wire.url,
        options={"num_predict": 32, "seed": 4, "temperature": 0},
        max_retries=0,
    )
    parts = [part async for part in client.create_stream(ASK)]
    assert parts[:2] == ["Par", "is"]
    final = parts[-1]
    assert isinstance(final, CreateResult) and final.content == "Paris"
    sent = wire.received[0]
    assert sent.path == "/v1/chat/completions"
    assert (sent.body["max_tokens"], sent.body["seed"], sent.body["temperature"]) == (32, 4, 0)
    assert sent.body["stream"] is True


def test_unknown_option_is_refused() -> None:
    with pytest.raises(TypeError, match="num_ctx"):
        OllamaChatCompletionClient(model="llama3.2", options={"num_ctx": 4096})


async def test_errors_name_ollama(wire: WireServer) -> None:
    wire.script(Reply(status=404, body={"error": {"message": 'model "nope" not found'}}))
    client = OllamaChatCompletionClient(model="nope", base_url=f"{wire.url}/v1", max_retries=0)
    with pytest.raises(ModelAPIError, match="Ollama") as caught:
        await client.create(ASK)
    assert caught.value.status_code == 404


async def test_entry_point_and_autogen_config_load(wire: WireServer) -> None:
    assert load_plugin(MODEL_CLIENTS, "ollama") is OllamaChatCompletionClient
    assert load_plugin(MODEL_CLIENTS, "OllamaChatCompletionClient") is OllamaChatCompletionClient
    autogen = {
        "provider": "autogen_ext.models.ollama.OllamaChatCompletionClient",
        "component_type": "model",
        "config": {"model": "llama3.2", "host": wire.url, "options": {"temperature": 0.1}},
    }
    loaded = ChatCompletionClient.load_component(autogen)
    assert isinstance(loaded, OllamaChatCompletionClient)
    wire.script(Reply(body=completion("ok")))
    assert (await loaded.create(ASK)).content == "ok"
    assert wire.received[0].body["temperature"] == 0.1
    by_name = ChatCompletionClient.load_component(
        {"provider": "ollama", "component_type": "model", "config": {"model": "llama3.2"}}
    )
    assert isinstance(by_name, OllamaChatCompletionClient)


def test_config_round_trip_keeps_defaults_out() -> None:
    client = OllamaChatCompletionClient(model="llama3.2", host="gpu-box:11434", seed=7)
    dumped = client.dump_component(include_secrets=True)
    assert dumped.provider == "parlay_ext.models.ollama.OllamaChatCompletionClient"
    assert dumped.config["base_url"] == "http://gpu-box:11434/v1"
    assert dumped.config.get("api_key") is None
    assert dumped.config.get("model_info") is None
    assert dumped.config["include_name_in_message"] is False
    loaded = OllamaChatCompletionClient.load_component(dumped)
    assert loaded.dump_component(include_secrets=True).config == dumped.config
    assert loaded.dump_component().config["seed"] == 7
