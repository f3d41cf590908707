"""Model message types, results, model_info and the token estimate."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import pytest
from PIL import Image as PILImage
from pydantic import BaseModel, TypeAdapter, ValidationError

from parlay_core._exceptions import ModelInfoError, ParlayError
from parlay_core._image import Image
from parlay_core._types import FunctionCall
from parlay_core.models import (
    IMAGE_TOKENS,
    AssistantMessage,
    ChatCompletionClient,
    ChatCompletionTokenLogprob,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    TopLogprob,
    UserMessage,
    approximate_message_tokens,
    approximate_text_tokens,
    validate_model_info,
)
from parlay_core.tools import ToolSchema

_MESSAGES = TypeAdapter(list[LLMMessage])


def _png() -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1, 1)).save(buffer, format="PNG")
    return Image(buffer.getvalue())


def test_user_and_assistant_messages_dump_in_autogen_shape() -> None:
    user = UserMessage(content="go", source="user")
    assistant = AssistantMessage(content="hello", source="a")
    assert json.loads(user.model_dump_json()) == {
        "content": "go",
        "source": "user",
        "type": "UserMessage",
    }
    # Key order matters to people diffing saved states, so compare the JSON text itself.
    assert (
        assistant.model_dump_json()
        == '{"content":"hello","thought":null,"source":"a","type":"AssistantMessage"}'
    )
    assert SystemMessage(content="be brief").model_dump() == {
        "content": "be brief",
        "type": "SystemMessage",
    }


def test_function_call_messages_dump_and_load() -> None:
    call = FunctionCall(id="call_1", arguments='{"city": "Paris"}', name="weather")
    request = AssistantMessage(content=[call], source="agent", thought="need weather")
    results = FunctionExecutionResultMessage(
        content=[
            FunctionExecutionResult(
                content="sunny", name="weather", call_id="call_1", is_error=False
            )
        ]
    )
    dumped = _MESSAGES.dump_python([request, results], mode="json")
    assert dumped == [
        {
            "content": [{"id": "call_1", "arguments": '{"city": "Paris"}', "name": "weather"}],
            "thought": "need weather",
            "source": "agent",
            "type": "AssistantMessage",
        },
        {
            "content": [
                {"content": "sunny", "name": "weather", "call_id": "call_1", "is_error": False}
            ],
            "type": "FunctionExecutionResultMessage",
        },
    ]
    loaded = _MESSAGES.validate_python(dumped)
    assert loaded == [request, results]
    assert isinstance(loaded[0], AssistantMessage)
    assert loaded[0].content == [call]


def test_llm_message_union_picks_the_class_by_type() -> None:
    raw = json.dumps(
        [
            {"content": "sys", "type": "SystemMessage"},
            {"content": "hi", "source": "user", "type": "UserMessage"},
            {"content": "yo", "source": "a", "type": "AssistantMessage"},
            {"content": [], "type": "FunctionExecutionResultMessage"},
        ]
    )
    loaded = _MESSAGES.validate_json(raw)
    assert [type(m) for m in loaded] == [
        SystemMessage,
        UserMessage,
        AssistantMessage,
        FunctionExecutionResultMessage,
    ]
    assert loaded[2] == AssistantMessage(content="yo", source="a", thought=None)


def test_unknown_message_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        _MESSAGES.validate_python([{"content": "x", "type": "ToolMessage"}])


def test_user_message_with_images_round_trips() -> None:
    image = _png()
    message = UserMessage(content=["Describe this:", image], source="user")
    dumped = message.model_dump(mode="json")
    assert dumped["content"] == ["Describe this:", {"data": image.to_base64()}]
    loaded = UserMessage.model_validate_json(message.model_dump_json())
    assert loaded.content == ["Describe this:", image]
    assert isinstance(loaded.content[1], Image)


def test_create_result_dump_and_load() -> None:
    result = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="1", arguments="{}", name="now")],
        usage=RequestUsage(prompt_tokens=10, completion_tokens=3),
        cached=False,
        logprobs=[
            ChatCompletionTokenLogprob(
                token="x", logprob=-0.1, top_logprobs=[TopLogprob(logprob=-0.5, bytes=[120])]
            )
        ],
        thought="thinking",
    )
    dumped = result.model_dump(mode="json")
    assert dumped["usage"] == {"prompt_tokens": 10, "completion_tokens": 3}
    assert dumped["content"] == [{"id": "1", "arguments": "{}", "name": "now"}]
    assert list(dumped) == ["finish_reason", "content", "usage", "cached", "logprobs", "thought"]
    assert CreateResult.model_validate(dumped) == result


def test_create_result_rejects_unknown_finish_reason() -> None:
    with pytest.raises(ValidationError):
        CreateResult(finish_reason="exploded", content="", usage=RequestUsage(0, 0), cached=False)  # type: ignore[arg-type]


def test_validate_model_info_names_every_missing_key() -> None:
    with pytest.raises(ModelInfoError) as info:
        validate_model_info({"vision": False, "family": "x"})  # type: ignore[typeddict-item]
    message = str(info.value)
    assert "'function_calling'" in message
    assert "'json_output'" in message
    assert "'vision'" not in message.split("example")[0]
    assert "model_info=" in message
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ParlayError)


def test_validate_model_info_warns_without_structured_output() -> None:
    info: ModelInfo = {"vision": True, "function_calling": True, "json_output": True, "family": "x"}  # type: ignore[typeddict-item]
    with pytest.warns(UserWarning, match="structured_output"):
        validate_model_info(info)


def test_validate_model_info_accepts_a_complete_info() -> None:
    info = ModelInfo(
        vision=False,
        function_calling=True,
        json_output=False,
        family=ModelFamily.GPT_4O,
        structured_output=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_model_info(info)


def test_model_family_predicates() -> None:
    assert ModelFamily.is_openai(ModelFamily.GPT_4O)
    assert ModelFamily.is_openai("o3")
    assert not ModelFamily.is_openai(ModelFamily.CLAUDE_3_5_SONNET)
    assert ModelFamily.is_claude("claude-4-sonnet")
    assert ModelFamily.is_gemini(ModelFamily.GEMINI_2_5_PRO)
    assert ModelFamily.is_llama(ModelFamily.LLAMA_4_SCOUT)
    assert ModelFamily.is_mistral(ModelFamily.MISTRAL)
    assert not ModelFamily.is_claude(ModelFamily.UNKNOWN)
    with pytest.raises(TypeError):
        ModelFamily()


def test_text_token_estimate_rules() -> None:
    assert approximate_text_tokens("") == 0
    assert approximate_text_tokens("Hello, world!") == 4
    assert approximate_text_tokens("   \n\t ") == 0
    # Seven to twelve word characters make two tokens, thirteen make three.
    assert approximate_text_tokens("abcdef") == 1
    assert approximate_text_tokens("abcdefg") == 2
    assert approximate_text_tokens("internationalization") == 4


def test_message_token_estimate_sums_contents() -> None:
    call = FunctionCall(id="1", arguments='{"a": 1}', name="add")
    messages: list[LLMMessage] = [
        SystemMessage(content="Be brief."),
        UserMessage(content=["look", _png()], source="u"),
        AssistantMessage(content=[call], source="a"),
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="2", name="add", call_id="1")]
        ),
    ]
    # '{"a": 1}' is seven pieces: { " a " : 1 }
    expected = 3 + (1 + IMAGE_TOKENS) + (1 + 7) + 1
    assert approximate_message_tokens(messages) == expected
    assert approximate_message_tokens("two words") == 2
    assert approximate_message_tokens([call]) == 8


def test_tool_schemas_count_towards_the_estimate() -> None:
    schema: ToolSchema = {
        "name": "add",
        "description": "Add numbers.",
        "parameters": {"type": "object", "properties": {}},
    }
    with_tool = approximate_message_tokens([UserMessage(content="hi", source="u")], tools=[schema])
    assert with_tool > approximate_message_tokens([UserMessage(content="hi", source="u")])


class _EchoClient(ChatCompletionClient):
    """A minimal concrete client, to check what the abstract base provides."""

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:  # type: ignore[override]
        return CreateResult(
            finish_reason="stop", content="ok", usage=RequestUsage(0, 0), cached=False
        )

    async def create_stream(  # type: ignore[override]
        self, messages: Sequence[LLMMessage], **kwargs: Any
    ) -> AsyncGenerator[str | CreateResult, None]:
        yield await self.create(messages)

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return RequestUsage(0, 0)

    def total_usage(self) -> RequestUsage:
        return RequestUsage(0, 0)

    def count_tokens(self, messages: Sequence[LLMMessage], **kwargs: Any) -> int:  # type: ignore[override]
        return 0

    def remaining_tokens(self, messages: Sequence[LLMMessage], **kwargs: Any) -> int:  # type: ignore[override]
        return 0

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(
            vision=True,
            function_calling=False,
            json_output=True,
            family="x",
            structured_output=False,
        )


def test_client_base_is_abstract_and_a_model_component() -> None:
    with pytest.raises(TypeError):
        ChatCompletionClient()  # type: ignore[abstract]
    assert ChatCompletionClient.component_type == "model"


def test_capabilities_is_a_deprecated_view_of_model_info() -> None:
    client = _EchoClient()
    with pytest.deprecated_call():
        capabilities = client.capabilities
    assert capabilities == {"vision": True, "function_calling": False, "json_output": True}


def test_messages_are_plain_pydantic_models() -> None:
    # Agents put messages in their own pydantic models (states, events); nesting must work.
    class Holder(BaseModel):
        messages: list[LLMMessage]
        extra: Mapping[str, Any] = {}

    holder = Holder(messages=[UserMessage(content="x", source="u")])
    assert Holder.model_validate_json(holder.model_dump_json()) == holder
