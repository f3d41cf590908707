"""parlay_agentchat.utils: message content as text, and conversations without images."""

from __future__ import annotations

from pydantic import BaseModel

from parlay_agentchat.utils import content_to_str, remove_images
from parlay_core import FunctionCall, Image
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


class Weather(BaseModel):
    city: str
    degrees: int


def test_content_to_str_renders_every_kind_of_content() -> None:
    assert content_to_str("plain") == "plain"
    assert content_to_str(["look", Image.from_base64(PIXEL), "here"]) == "look\n<image>\nhere"
    assert content_to_str(Weather(city="Oslo", degrees=3)) == '{"city":"Oslo","degrees":3}'
    call = FunctionCall(id="1", arguments="{}", name="now")
    result = FunctionExecutionResult(content="12:00", name="now", call_id="1", is_error=False)
    assert content_to_str([call]) == str(call)
    assert content_to_str([result]) == str(result)


def test_remove_images_turns_multimodal_user_messages_into_text() -> None:
    messages: list[LLMMessage] = [
        SystemMessage(content="Be brief."),
        UserMessage(content=["What is this?", Image.from_base64(PIXEL)], source="user"),
        AssistantMessage(content="A pixel.", source="assistant"),
        UserMessage(content="Thanks.", source="user"),
    ]
    result = remove_images(messages)
    assert result == [
        messages[0],
        UserMessage(content="What is this?\n<image>", source="user"),
        messages[2],
        messages[3],
    ]
    # The caller's conversation is left as it was.
    assert isinstance(messages[1].content, list)
