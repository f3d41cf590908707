"""The embedded llama.cpp client, run for real on the bundled SmolLM2-135M-Instruct.

A 135M model's words are not predictable, so these tests check structure: streams end with one
result, grammar-constrained tool calls parse and match the tool's schema, errors are typed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from parlay_core import CancellationToken, Image
from parlay_core.exceptions import ModelCapabilityError, ModelClientError
from parlay_core.models import CreateResult, SystemMessage, UserMessage
from parlay_core.tools import FunctionTool
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient, default_model_path

pytestmark = pytest.mark.slow

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)


def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


def weather(city: str) -> str:
    """Tell the weather in a city."""
    return f"sunny in {city}"


TOOLS = [
    FunctionTool(add, description="Add two whole numbers."),
    FunctionTool(weather, description="Weather in a city."),
]


@pytest.fixture
async def client() -> AsyncIterator[LlamaCppChatCompletionClient]:
    # Room for a whole tool call: a call cut off by max_tokens cannot parse.
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=256, seed=1)
    yield model
    await model.close()


async def collect(stream: Any) -> tuple[list[str], CreateResult]:
    chunks: list[str] = []
    results: list[CreateResult] = []
    async for item in stream:
        if isinstance(item, str):
            chunks.append(item)
        else:
            results.append(item)
    assert len(results) == 1, "a stream ends with exactly one CreateResult"
    return chunks, results[0]


def test_default_model_is_the_bundled_gguf() -> None:
    path = default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.read_bytes()[:4] == b"GGUF"


async def test_stream_ends_with_a_result(client: LlamaCppChatCompletionClient) -> None:
    messages = [
        SystemMessage(content="You are a helpful assistant."),
        UserMessage(content="What is the capital of France?", source="user"),
    ]
    chunks, result = await collect(client.create_stream(messages))
    assert chunks, "text arrives in chunks"
    assert isinstance(result.content, str) and result.content.strip()
    assert "".join(chunks) == result.content
    assert result.finish_reason in ("stop", "length")
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert client.total_usage() == result.usage


async def test_required_tool_call_parses_and_matches_the_schema(
    client: LlamaCppChatCompletionClient,
) -> None:
    chunks, result = await collect(
        client.create_stream(
            [UserMessage(content="What is 2 plus 3?", source="user")],
            tools=TOOLS,
            tool_choice="required",
        )
    )
    assert chunks == [], "a tool call is not streamed as text"
    assert result.finish_reason == "function_calls"
    assert isinstance(result.content, list) and len(result.content) == 1
    call = result.content[0]
    arguments = json.loads(call.arguments)
    if call.name == "add":
        assert set(arguments) == {"a", "b"}
        assert all(isinstance(v, int) for v in arguments.values())
    else:
        assert call.name == "weather"
        assert isinstance(arguments["city"], str)
    assert call.id.startswith("call_")


async def test_forced_tool_is_the_one_called(client: LlamaCppChatCompletionClient) -> None:
    result = await client.create(
        [UserMessage(content="Is it raining in Oslo?", source="user")],
        tools=TOOLS,
        tool_choice=TOOLS[1],
    )
    assert isinstance(result.content, list)
    assert [c.name for c in result.content] == ["weather"]
    assert isinstance(json.loads(result.content[0].arguments)["city"], str)


async def test_auto_tool_choice_gives_a_call_or_text(client: LlamaCppChatCompletionClient) -> None:
    result = await client.create([UserMessage(content="Add 4 and 9.", source="user")], tools=TOOLS)
    if isinstance(result.content, list):
        assert result.finish_reason == "function_calls"
        for call in result.content:
            assert call.name in ("add", "weather")
            json.loads(call.arguments)
    elif result.finish_reason == "stop":
        assert not result.content.lstrip().startswith("<tool_call>")
    else:
        assert result.finish_reason == "length"


class Answer(BaseModel):
    answer: int


async def test_structured_output_follows_the_schema(client: LlamaCppChatCompletionClient) -> None:
    result = await client.create(
        [UserMessage(content="How many legs has a cat?", source="user")], json_output=Answer
    )
    assert isinstance(result.content, str)
    assert isinstance(Answer.model_validate_json(result.content).answer, int)


async def test_cancellation_stops_generation_and_the_client_stays_usable() -> None:
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=400)
    token = CancellationToken()
    received: list[str] = []

    async def consume() -> None:
        async for item in model.create_stream(
            [UserMessage(content="Write a long story about a dragon.", source="user")],
            cancellation_token=token,
        ):
            if isinstance(item, str):
                received.append(item)
                if len(received) == 3:
                    token.cancel()

    with pytest.raises(asyncio.CancelledError):
        await consume()
    assert len(received) == 3
    again = await model.create(
        [UserMessage(content="Hi", source="user")], extra_create_args={"max_tokens": 5}
    )
    assert isinstance(again.content, str)
    await model.close()


async def test_images_are_refused(client: LlamaCppChatCompletionClient) -> None:
    with pytest.raises(ModelCapabilityError, match="vision"):
        await client.create([UserMessage(content=["What is this?", Image(PNG)], source="user")])


def test_missing_gguf_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ModelClientError, match="does not exist"):
        LlamaCppChatCompletionClient(tmp_path / "nope.gguf")
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"not a model")
    with pytest.raises(ModelClientError, match="not a GGUF file"):
        LlamaCppChatCompletionClient(not_gguf)


async def test_loading_reports_progress(capsys: pytest.CaptureFixture[str]) -> None:
    model = LlamaCppChatCompletionClient()
    await model.load()
    err = capsys.readouterr().err
    assert "Loading the local model SmolLM2-135M-Instruct.Q4_1.gguf" in err
    assert "Model loaded in" in err
    await model.close()


def test_config_round_trip() -> None:
    model = LlamaCppChatCompletionClient(quiet=True, temperature=0.5, n_ctx=2048)
    dumped = model.dump_component()
    assert dumped.provider == "parlay_ext.models.llama_cpp.LlamaCppChatCompletionClient"
    loaded = LlamaCppChatCompletionClient.load_component(dumped)
    assert loaded.dump_component().config == dumped.config
    assert loaded.model_path == model.model_path


def test_unknown_argument_is_refused() -> None:
    with pytest.raises(TypeError, match="n_gpu_layer"):
        LlamaCppChatCompletionClient(n_gpu_layer=3)


def test_missing_llama_cpp_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "llama_cpp" or name.startswith(("llama_cpp.", "parlay_ext.models.llama_cpp")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ImportError, match=r'pip install "parlay-ext\[local\]"'):
        __import__("parlay_ext.models.llama_cpp")


def test_registered_through_entry_points() -> None:
    from parlay_core.plugins import MODEL_CLIENTS, load_plugin

    assert load_plugin(MODEL_CLIENTS, "local") is LlamaCppChatCompletionClient
    assert load_plugin(MODEL_CLIENTS, "embedded") is LlamaCppChatCompletionClient
