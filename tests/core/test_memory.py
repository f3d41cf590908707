"""Memory: content serialization, ListMemory behaviour and component round trips."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image as PILImage
from pydantic import ValidationError

from parlay_core._component_config import ComponentModel
from parlay_core._image import Image
from parlay_core.memory import (
    ListMemory,
    Memory,
    MemoryContent,
    MemoryMimeType,
    MemoryQueryResult,
    UpdateContextResult,
)
from parlay_core.model_context import BufferedChatCompletionContext, UnboundedChatCompletionContext
from parlay_core.models import SystemMessage, UserMessage


def _text(value: str) -> MemoryContent:
    return MemoryContent(content=value, mime_type=MemoryMimeType.TEXT)


def _image() -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1, 1)).save(buffer, format="PNG")
    return Image(buffer.getvalue())


def test_mime_type_dumps_as_its_string() -> None:
    item = MemoryContent(content="x", mime_type=MemoryMimeType.MARKDOWN, metadata={"k": 1})
    assert item.model_dump() == {"content": "x", "mime_type": "text/markdown", "metadata": {"k": 1}}
    assert MemoryContent(content="x", mime_type="text/csv").model_dump()["mime_type"] == "text/csv"


def test_json_content_round_trips() -> None:
    item = MemoryContent(content={"units": "metric", "n": [1, 2]}, mime_type=MemoryMimeType.JSON)
    assert MemoryContent.model_validate_json(item.model_dump_json()).content == {
        "units": "metric",
        "n": [1, 2],
    }


def test_binary_content_round_trips_through_json_as_bytes() -> None:
    item = MemoryContent(content=b"\x00\xffraw", mime_type=MemoryMimeType.BINARY)
    text = item.model_dump_json()
    assert json.loads(text)["content"] == "AP9yYXc="
    loaded = MemoryContent.model_validate_json(text)
    assert loaded.content == b"\x00\xffraw"
    assert MemoryContent.model_validate(json.loads(text)).content == b"\x00\xffraw"


def test_binary_content_given_as_bad_base64_is_rejected() -> None:
    with pytest.raises(ValidationError, match="base64"):
        MemoryContent(content="not base64!", mime_type=MemoryMimeType.BINARY)


def test_image_content_round_trips() -> None:
    image = _image()
    item = MemoryContent(content=image, mime_type="image/png")
    dumped = json.loads(item.model_dump_json())
    assert dumped["content"] == {"data": image.to_base64()}
    loaded = MemoryContent.model_validate(dumped)
    assert loaded.content == image
    assert MemoryContent.model_validate_json(item.model_dump_json()).content == image


async def test_list_memory_adds_queries_and_clears() -> None:
    memory = ListMemory(name="prefs")
    assert memory.name == "prefs"
    await memory.add(_text("metric units"))
    await memory.add(_text("short answers"))
    result = await memory.query("anything")
    assert [item.content for item in result.results] == ["metric units", "short answers"]
    assert [item.content for item in memory.content] == ["metric units", "short answers"]
    await memory.clear()
    assert (await memory.query("anything")).results == []
    await memory.close()


async def test_update_context_adds_one_numbered_system_message() -> None:
    memory = ListMemory(memory_contents=[_text("metric units"), _text("short answers")])
    context = UnboundedChatCompletionContext(
        initial_messages=[UserMessage(content="hi", source="u")]
    )
    outcome = await memory.update_context(context)
    assert isinstance(outcome, UpdateContextResult)
    assert [item.content for item in outcome.memories.results] == ["metric units", "short answers"]
    messages = await context.get_messages()
    assert len(messages) == 2
    added = messages[1]
    assert isinstance(added, SystemMessage)
    assert "1. metric units\n2. short answers" in added.content


async def test_update_context_describes_non_text_items() -> None:
    memory = ListMemory(
        memory_contents=[
            MemoryContent(content={"units": "metric"}, mime_type=MemoryMimeType.JSON),
            MemoryContent(content=b"\x00\x01\x02", mime_type=MemoryMimeType.BINARY),
            MemoryContent(content=_image(), mime_type=MemoryMimeType.IMAGE),
        ]
    )
    context = UnboundedChatCompletionContext()
    await memory.update_context(context)
    (added,) = await context.get_messages()
    assert isinstance(added, SystemMessage)
    assert '1. {"units": "metric"}' in added.content
    assert "2. [3 bytes, application/octet-stream]" in added.content
    assert "3. [image, image/png]" in added.content


async def test_update_context_with_no_memories_changes_nothing() -> None:
    memory = ListMemory()
    context = BufferedChatCompletionContext(buffer_size=3)
    outcome = await memory.update_context(context)
    assert outcome.memories == MemoryQueryResult(results=[])
    assert await context.get_messages() == []


async def test_content_setter_replaces_items() -> None:
    memory = ListMemory()
    memory.content = [_text("a")]
    assert (await memory.query("")).results == [_text("a")]


async def test_list_memory_component_round_trip() -> None:
    memory = ListMemory(
        name="facts",
        memory_contents=[
            _text("water boils at 100 C"),
            MemoryContent(
                content={"k": "v"}, mime_type=MemoryMimeType.JSON, metadata={"source": "test"}
            ),
            MemoryContent(content=b"\x01\x02", mime_type=MemoryMimeType.BINARY),
            MemoryContent(content=_image(), mime_type=MemoryMimeType.IMAGE),
        ],
    )
    dumped = json.loads(memory.dump_component().model_dump_json())
    assert dumped["provider"] == "parlay_core.memory.ListMemory"
    assert dumped["component_type"] == "memory"
    assert dumped["config"]["name"] == "facts"
    first = dumped["config"]["memory_contents"][0]
    assert (first["content"], first["mime_type"]) == ("water boils at 100 C", "text/plain")
    loaded = Memory.load_component(ComponentModel.model_validate(dumped))
    assert isinstance(loaded, ListMemory)
    assert loaded.name == "facts"
    assert loaded.content == memory.content


def test_default_name() -> None:
    assert ListMemory().name == "default_list_memory"
