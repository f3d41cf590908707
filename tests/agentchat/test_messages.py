"""Message and event shapes, rendering, and loading back through MessageFactory."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from parlay_agentchat.exceptions import AgentConfigurationError, MessageTypeNotRegisteredError
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    CodeExecutionEvent,
    CodeGenerationEvent,
    HandoffMessage,
    MemoryQueryEvent,
    MessageFactory,
    ModelClientStreamingChunkEvent,
    MultiModalMessage,
    SelectorEvent,
    SelectSpeakerEvent,
    StopMessage,
    StructuredMessage,
    StructuredMessageFactory,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
    UserInputRequestedEvent,
)
from parlay_core import FunctionCall, Image, load_component
from parlay_core.code_executor import CodeBlock, CodeResult
from parlay_core.memory import MemoryContent, MemoryMimeType
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    RequestUsage,
    UserMessage,
)

# A 1x1 transparent PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


class Weather(BaseModel):
    city: str
    degrees: int


def _all_builtin_messages() -> list[BaseChatMessage | BaseAgentEvent]:
    call = FunctionCall(id="c1", name="add", arguments='{"a": 1}')
    result = FunctionExecutionResult(content="2", name="add", call_id="c1", is_error=False)
    return [
        TextMessage(content="hi", source="user", models_usage=RequestUsage(3, 4)),
        MultiModalMessage(content=["look", Image.from_base64(PNG)], source="user"),
        StopMessage(content="stop", source="a"),
        HandoffMessage(
            content="over to b",
            target="b",
            source="a",
            context=[AssistantMessage(content=[call], source="a")],
        ),
        ToolCallSummaryMessage(content="2", source="a", tool_calls=[call], results=[result]),
        ToolCallRequestEvent(content=[call], source="a"),
        ToolCallExecutionEvent(content=[result], source="a"),
        MemoryQueryEvent(
            content=[MemoryContent(content="likes tea", mime_type=MemoryMimeType.TEXT)],
            source="a",
        ),
        UserInputRequestedEvent(request_id="r1", source="u"),
        ModelClientStreamingChunkEvent(content="he", source="a", full_message_id="m1"),
        ThoughtEvent(content="hmm", source="a"),
        SelectSpeakerEvent(content=["a", "b"], source="manager"),
        SelectorEvent(content="I pick a", source="manager"),
        CodeGenerationEvent(
            content="```python\nprint(1)\n```",
            code_blocks=[CodeBlock(code="print(1)", language="python")],
            source="coder",
        ),
        CodeExecutionEvent(result=CodeResult(exit_code=0, output="1\n"), source="runner"),
    ]


def test_text_message_dumps_in_autogen_shape() -> None:
    message = TextMessage(content="hello", source="user", metadata={"k": "v"})
    dumped = message.dump()
    assert list(dumped) == [
        "id",
        "source",
        "models_usage",
        "metadata",
        "created_at",
        "content",
        "type",
    ]
    assert dumped["type"] == "TextMessage"
    assert dumped["content"] == "hello"
    assert dumped["metadata"] == {"k": "v"}
    assert dumped["models_usage"] is None
    assert isinstance(dumped["created_at"], str)
    json.dumps(dumped)  # JSON-ready


def test_ids_are_unique_and_created_at_is_utc() -> None:
    a = TextMessage(content="x", source="u")
    b = TextMessage(content="x", source="u")
    assert a.id != b.id
    assert a.created_at.utcoffset() is not None
    assert a.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("message", _all_builtin_messages(), ids=lambda m: type(m).__name__)
def test_every_builtin_message_round_trips_through_json(
    message: BaseChatMessage | BaseAgentEvent,
) -> None:
    factory = MessageFactory()
    data = json.loads(json.dumps(message.dump()))
    assert data["type"] == type(message).__name__
    loaded = factory.create(data)
    assert type(loaded) is type(message)
    assert loaded == message


def test_text_renderings_and_model_messages() -> None:
    text = TextMessage(content="hi", source="user")
    assert text.to_text() == "hi"
    assert text.to_model_text() == "hi"
    assert text.to_model_message() == UserMessage(content="hi", source="user")

    image = Image.from_base64(PNG)
    multi = MultiModalMessage(content=["see", image], source="user")
    assert multi.to_text() == "see\n<image>"
    assert multi.to_model_text() == "see\n[image]"
    assert multi.to_model_text(image_placeholder=None) == f"see\n{image.to_base64()}"
    assert multi.to_model_message() == UserMessage(content=["see", image], source="user")

    handoff = HandoffMessage(content="go", target="b", source="a")
    assert handoff.to_model_message() == UserMessage(content="go", source="a")

    call = FunctionCall(id="1", name="f", arguments="{}")
    assert "f" in ToolCallRequestEvent(content=[call], source="a").to_text()
    assert CodeExecutionEvent(result=CodeResult(0, "out"), source="r").to_text() == "out"
    assert UserInputRequestedEvent(request_id="r", source="u").to_text() == ""


def test_required_fields_are_validated() -> None:
    with pytest.raises(ValidationError):
        TextMessage(content="no source")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        HandoffMessage(content="x", source="a")  # type: ignore[call-arg]


def test_structured_message_type_and_rendering() -> None:
    message = StructuredMessage[Weather](content=Weather(city="Oslo", degrees=4), source="w")
    assert message.type == "StructuredMessage[Weather]"
    assert message.to_text() == '{"city":"Oslo","degrees":4}'
    formatted = StructuredMessage[Weather](
        content=Weather(city="Oslo", degrees=4), source="w", format_string="{city}: {degrees}"
    )
    assert formatted.to_text() == "Oslo: 4"
    assert formatted.to_model_message() == UserMessage(content="Oslo: 4", source="w")
    dumped = formatted.dump()
    assert dumped["type"] == "StructuredMessage[Weather]"
    assert dumped["content"] == {"city": "Oslo", "degrees": 4}
    assert dumped["format_string"] == "{city}: {degrees}"


def test_structured_message_loads_only_once_registered() -> None:
    message = StructuredMessage[Weather](content=Weather(city="Rome", degrees=20), source="w")
    factory = MessageFactory()
    with pytest.raises(MessageTypeNotRegisteredError, match="custom_message_types") as info:
        factory.create(message.dump())
    assert isinstance(info.value, ValueError)
    factory.register(StructuredMessage[Weather])
    factory.register(StructuredMessage[Weather])  # the same class again is fine
    assert factory.is_registered(StructuredMessage[Weather])
    loaded = factory.create(message.dump())
    assert type(loaded) is StructuredMessage[Weather]
    assert loaded.dump()["content"] == {"city": "Rome", "degrees": 20}


def test_message_factory_rejects_bad_input() -> None:
    factory = MessageFactory()
    with pytest.raises(MessageTypeNotRegisteredError, match="'type'"):
        factory.create({"content": "x", "source": "u"})
    with pytest.raises(MessageTypeNotRegisteredError, match="not a message class"):
        factory.register(Weather)  # type: ignore[arg-type]

    class TextMessage(BaseChatMessage):  # a different class with a built-in's name
        content: str

        def to_text(self) -> str:
            return self.content

        def to_model_text(self) -> str:
            return self.content

        def to_model_message(self) -> UserMessage:
            return UserMessage(content=self.content, source=self.source)

    with pytest.raises(MessageTypeNotRegisteredError, match="already registered"):
        factory.register(TextMessage)


def test_custom_message_class_registers_and_loads() -> None:
    class Vote(BaseChatMessage):
        content: str
        choice: int
        type: Literal["Vote"] = "Vote"

        def to_text(self) -> str:
            return f"{self.content} ({self.choice})"

        def to_model_text(self) -> str:
            return self.to_text()

        def to_model_message(self) -> UserMessage:
            return UserMessage(content=self.to_text(), source=self.source)

    factory = MessageFactory()
    assert not factory.is_registered(Vote)
    factory.register(Vote)
    vote = Vote(content="yes", choice=2, source="a")
    assert factory.create(vote.dump()) == vote


def test_structured_message_factory_from_model_and_from_config() -> None:
    factory = StructuredMessageFactory(input_model=Weather, format_string="{city}")
    assert factory.ContentModel is Weather
    assert factory.StructuredMessage is StructuredMessage[Weather]
    config = factory.dump_component()
    assert config.provider == "parlay_agentchat.messages.StructuredMessageFactory"
    assert config.component_type == "structured_message"
    assert config.config["content_model_name"] == "Weather"

    loaded = load_component(config.model_dump(), expected=StructuredMessageFactory)
    model = loaded.ContentModel
    assert model.__name__ == "Weather"
    instance = model.model_validate({"city": "Oslo", "degrees": 3})
    message = loaded.StructuredMessage(content=instance, source="a", format_string="{city}")
    assert message.to_text() == "Oslo"
    with pytest.raises(ValidationError):
        model.model_validate({"city": "Oslo", "degrees": "warm"})


def test_structured_message_factory_builds_nested_optional_and_enum_fields() -> None:
    class Point(BaseModel):
        x: float
        y: float

    class Shape(BaseModel):
        kind: Literal["circle", "square"]
        center: Point
        tags: list[str]
        label: str | None = None
        scores: dict[str, int] = {}

    factory = StructuredMessageFactory(json_schema=Shape.model_json_schema())
    model = factory.ContentModel
    data: dict[str, Any] = {"kind": "circle", "center": {"x": 1, "y": 2.5}, "tags": ["a"]}
    built = model.model_validate(data)
    assert built.model_dump()["center"] == {"x": 1.0, "y": 2.5}
    assert built.model_dump()["label"] is None
    with pytest.raises(ValidationError):
        model.model_validate({**data, "kind": "triangle"})
    with pytest.raises(ValidationError):
        model.model_validate({"kind": "circle", "tags": []})  # center is required


def test_structured_message_factory_checks_bounds_and_refuses_uncheckable_keywords() -> None:
    class Reading(BaseModel):
        city: str = Field(min_length=1)
        degrees: int = Field(ge=-90, le=60)
        note: str = ""

    model = StructuredMessageFactory(json_schema=Reading.model_json_schema()).ContentModel
    reading: Any = model.model_validate({"city": "Oslo", "degrees": 3, "note": None})
    assert (reading.city, reading.degrees, reading.note) == ("Oslo", 3, None)
    with pytest.raises(ValidationError, match="less than or equal to 60"):
        model.model_validate({"city": "Oslo", "degrees": 61})
    with pytest.raises(ValidationError, match="at least 1 character"):
        model.model_validate({"city": "", "degrees": 3})
    schema = {"type": "object", "properties": {"tags": {"type": "array", "uniqueItems": True}}}
    with pytest.raises(AgentConfigurationError, match=r"uses \['uniqueItems'\] at"):
        StructuredMessageFactory(json_schema=schema)


def test_structured_message_factory_needs_a_schema_or_model() -> None:
    with pytest.raises(ValueError, match="json_schema or input_model"):
        StructuredMessageFactory()
    with pytest.raises(ValueError, match="object schema"):
        StructuredMessageFactory(json_schema={"type": "string"})


def test_message_ids_are_random_uuid4_strings() -> None:
    ids = {TextMessage(content="x", source="a").id for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == value


def test_model_construct_fills_defaults_but_reports_only_what_was_given() -> None:
    built = TextMessage.model_construct(content="hi", source="a")
    validated = TextMessage(content="hi", source="a")
    assert built.model_fields_set == validated.model_fields_set == {"content", "source"}
    assert built.model_dump(exclude={"id", "created_at"}) == validated.model_dump(
        exclude={"id", "created_at"}
    )
    assert list(built.__dict__) == list(validated.__dict__)  # fields in declaration order
    assert built.id != validated.id
