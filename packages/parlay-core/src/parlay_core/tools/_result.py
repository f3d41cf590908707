"""What a workbench returns from a tool call, and how a workbench may rename a tool."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from parlay_core._image import Image

__all__ = [
    "ImageResultContent",
    "ResultContent",
    "TextResultContent",
    "ToolOverride",
    "ToolResult",
    "result_content_from_value",
]


class TextResultContent(BaseModel):
    """A piece of text returned by a tool.

    Attributes:
        content: The text.
    """

    type: Literal["TextResultContent"] = "TextResultContent"
    content: str


class ImageResultContent(BaseModel):
    """An image returned by a tool.

    Attributes:
        content: The image.
    """

    type: Literal["ImageResultContent"] = "ImageResultContent"
    content: Image


ResultContent = Annotated[TextResultContent | ImageResultContent, Field(discriminator="type")]
"""One part of a :class:`ToolResult`: text or an image."""


class ToolResult(BaseModel):
    """The outcome of :meth:`Workbench.call_tool`.

    A failed call is still a result: ``is_error`` is true and the text says what went wrong, in
    words meant for the model, so that it can correct its call.

    Attributes:
        name: The tool name the call used.
        result: The parts of the result, in order.
        is_error: Whether the call failed.
    """

    type: Literal["ToolResult"] = "ToolResult"
    name: str
    result: list[ResultContent]
    is_error: bool = False

    def to_text(self, replace_image: str | None = None) -> str:
        """Join the parts of the result into one string, one part per line.

        Args:
            replace_image: Text to put in place of each image. By default an image is written
                as ``[Image: <base64>]``.

        Returns:
            The text of the result.
        """
        parts: list[str] = []
        for item in self.result:
            if isinstance(item, TextResultContent):
                parts.append(item.content)
            elif replace_image is not None:
                parts.append(replace_image)
            else:
                parts.append(f"[Image: {item.content.to_base64()}]")
        return "\n".join(parts)


class ToolOverride(BaseModel):
    """A new name and/or description under which a workbench shows a tool to the model.

    Attributes:
        name: The name the model sees and calls; ``None`` keeps the tool's own.
        description: The description the model sees; ``None`` keeps the tool's own.
    """

    name: str | None = None
    description: str | None = None


def result_content_from_value(value: Any, as_text: str) -> list[ResultContent]:
    """Turn a tool's return value into result parts.

    Images (alone or in a list or tuple) become :class:`ImageResultContent` so that a
    multimodal model can see them; anything else becomes one text part, ``as_text``.
    """
    if isinstance(value, Image):
        return [ImageResultContent(content=value)]
    if isinstance(value, (list, tuple)):
        items = typing.cast("Sequence[object]", value)
        if items and any(isinstance(item, Image) for item in items):
            parts: list[ResultContent] = []
            for item in items:
                if isinstance(item, Image):
                    parts.append(ImageResultContent(content=item))
                else:
                    parts.append(TextResultContent(content=str(item)))
            return parts
    return [TextResultContent(content=as_text)]
