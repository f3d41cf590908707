"""Render LLM message content as text, and drop images from a conversation."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from parlay_core import FunctionCall, Image
from parlay_core.models import FunctionExecutionResult, LLMMessage, UserMessage

__all__ = ["content_to_str", "remove_images"]

IMAGE_PLACEHOLDER = "<image>"


def content_to_str(
    content: str
    | BaseModel
    | Sequence[str | Image]
    | Sequence[FunctionCall]
    | Sequence[FunctionExecutionResult],
) -> str:
    """Render the content of an LLM message (or a structured message) as text.

    Args:
        content: A string; a pydantic model (rendered as its JSON); or a list of parts, of
            which strings stay as they are, images become ``<image>`` and anything else
            (function calls, their results) is rendered with ``str``.

    Returns:
        The text, with list parts on separate lines.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, BaseModel):
        return content.model_dump_json()
    parts: list[str] = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, Image):
            parts.append(IMAGE_PLACEHOLDER)
        else:
            parts.append(str(part))
    return "\n".join(parts)


def remove_images(messages: Sequence[LLMMessage]) -> list[LLMMessage]:
    """Return the conversation with each multimodal user message turned into text.

    A :class:`~parlay_core.models.UserMessage` whose content is a list becomes one whose content
    is :func:`content_to_str` of it (images become ``<image>``); every other message is kept as
    it is. The input list is not changed.

    Args:
        messages: The conversation.

    Returns:
        A new list of the same length and order.
    """
    return [
        UserMessage(content=content_to_str(message.content), source=message.source)
        if isinstance(message, UserMessage) and not isinstance(message.content, str)
        else message
        for message in messages
    ]
