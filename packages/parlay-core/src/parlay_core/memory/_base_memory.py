"""The memory protocol: stores an agent can query and use to enrich its model context."""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel, SerializerFunctionWrapHandler, field_serializer, model_validator

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import ComponentBase
from parlay_core._image import Image

if TYPE_CHECKING:
    from parlay_core.model_context import ChatCompletionContext

__all__ = [
    "ContentType",
    "Memory",
    "MemoryContent",
    "MemoryMimeType",
    "MemoryQueryResult",
    "UpdateContextResult",
]


class MemoryMimeType(Enum):
    """Common MIME types of memory content."""

    TEXT = "text/plain"
    JSON = "application/json"
    MARKDOWN = "text/markdown"
    IMAGE = "image/*"
    BINARY = "application/octet-stream"


_KNOWN_MIME_TYPES = {member.value: member for member in MemoryMimeType}

ContentType = Union[str, bytes, dict[str, Any], Image]
# Set at run time, so help() and API docs show it on the alias itself.
ContentType.__doc__ = """What a :class:`MemoryContent` may hold."""


class MemoryContent(BaseModel):
    """One item stored in a memory.

    When dumped, ``bytes`` content is written as base64 text (in Python and JSON mode alike, so
    dumps are always JSON-ready) and reads back as ``bytes`` when the MIME type is
    ``application/octet-stream``; image content is written as ``{"data": ...}`` and reads back
    as an :class:`~parlay_core.Image` when the MIME type starts with ``image/``.

    Attributes:
        content: Text, raw bytes, a JSON-like dict, or an image.
        mime_type: A :class:`MemoryMimeType` or any MIME type string.
        metadata: Free-form data about the item (source, score, timestamps, ...).
    """

    content: ContentType
    mime_type: Union[MemoryMimeType, str]
    metadata: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _restore_typed_content(cls, data: Any) -> Any:
        # JSON has no bytes or image type, so the MIME type tells what the text or dict was.
        if not isinstance(data, dict):
            return data
        fields: dict[str, Any] = dict(data)  # pyright: ignore[reportUnknownArgumentType]
        mime = fields.get("mime_type")
        mime_text = mime.value if isinstance(mime, MemoryMimeType) else mime
        content = fields.get("content")
        if not isinstance(mime_text, str):
            return fields
        # A known MIME type reads back as the enum member it was dumped from.
        fields["mime_type"] = _KNOWN_MIME_TYPES.get(mime_text, mime)
        if mime_text == MemoryMimeType.BINARY.value and isinstance(content, str):
            try:
                fields["content"] = base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(
                    "Binary memory content given as text must be base64; pass bytes instead."
                ) from exc
        elif mime_text.startswith("image/") and isinstance(content, dict) and "data" in content:
            fields["content"] = Image.from_base64(str(content["data"]))  # pyright: ignore[reportUnknownArgumentType]
        return fields

    @field_serializer("content", mode="wrap")
    def _serialize_content(
        self, content: ContentType, handler: SerializerFunctionWrapHandler
    ) -> Any:
        if isinstance(content, bytes):
            return base64.b64encode(content).decode("ascii")
        return handler(content)

    @field_serializer("mime_type")
    def _serialize_mime_type(self, mime_type: Union[MemoryMimeType, str]) -> str:
        return mime_type.value if isinstance(mime_type, MemoryMimeType) else mime_type


class MemoryQueryResult(BaseModel):
    """What :meth:`Memory.query` returns.

    Attributes:
        results: The matching items, most relevant first where the memory ranks them.
    """

    results: list[MemoryContent]


class UpdateContextResult(BaseModel):
    """What :meth:`Memory.update_context` returns.

    Attributes:
        memories: The items that were added to the model context.
    """

    memories: MemoryQueryResult


class Memory(ComponentBase[BaseModel], ABC):
    """A store of items an agent can query and inject into its model context.

    An agent calls :meth:`update_context` before each model call; the memory decides what is
    relevant to the conversation and adds it (usually as a system message). Implementations
    range from a plain list to vector databases. A memory is a component
    (``component_type = "memory"``).
    """

    component_type = "memory"

    @abstractmethod
    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add relevant memories to ``model_context`` and report which ones were added."""

    @abstractmethod
    async def query(
        self,
        query: str | MemoryContent,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """Return the items relevant to ``query``.

        Args:
            query: Text or an item to match against.
            cancellation_token: Cancels the query.
            **kwargs: Implementation-specific options (limits, thresholds, filters).
        """

    @abstractmethod
    async def add(
        self, content: MemoryContent, cancellation_token: CancellationToken | None = None
    ) -> None:
        """Store ``content``."""

    @abstractmethod
    async def clear(self) -> None:
        """Remove every item."""

    @abstractmethod
    async def close(self) -> None:
        """Release the memory's resources."""
