"""The simplest memory: a list, all of which is shown to the model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import Component
from parlay_core._image import Image
from parlay_core.memory._base_memory import (
    Memory,
    MemoryContent,
    MemoryQueryResult,
    UpdateContextResult,
)
from parlay_core.models import SystemMessage

if TYPE_CHECKING:
    from parlay_core.model_context import ChatCompletionContext

__all__ = ["ListMemory", "ListMemoryConfig"]

_DEFAULT_NAME = "default_list_memory"


def _describe(item: MemoryContent) -> str:
    # The memory goes into a text system message, so binary items are named rather than dumped.
    content = item.content
    mime = item.mime_type if isinstance(item.mime_type, str) else item.mime_type.value
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return json.dumps(content, ensure_ascii=False, default=str)
    if isinstance(content, Image):
        return f"[image, {content.mime_type}]"
    return f"[{len(content)} bytes, {mime}]"


class ListMemoryConfig(BaseModel):
    """Configuration of :class:`ListMemory`.

    Attributes:
        name: The memory's name.
        memory_contents: The stored items, oldest first.
    """

    name: str | None = None
    memory_contents: list[MemoryContent] = Field(default_factory=list[MemoryContent])


class ListMemory(Memory, Component[ListMemoryConfig]):
    """Keeps items in a list, oldest first; every item is relevant to every query.

    :meth:`update_context` adds one :class:`~parlay_core.models.SystemMessage` that numbers
    every stored item, in the order they were added (dicts as JSON; bytes and images by a
    short placeholder, since the message is text). :meth:`query` returns all items. Use it
    for user preferences or standing instructions; use a retrieving memory when the store is
    too large to show in full.

    Args:
        name: The memory's name (default ``"default_list_memory"``).
        memory_contents: Items to start with.

    Example:
        ```python
        memory = ListMemory()
        await memory.add(MemoryContent(content="Use metric units", mime_type="text/plain"))
        assert [item.content for item in memory.content] == ["Use metric units"]
        ```
    """

    component_config_schema = ListMemoryConfig
    component_provider_override = "parlay_core.memory.ListMemory"

    def __init__(
        self, name: str | None = None, memory_contents: Sequence[MemoryContent] | None = None
    ) -> None:
        self._name = name or _DEFAULT_NAME
        self._contents: list[MemoryContent] = list(memory_contents or ())

    @property
    def name(self) -> str:
        """The memory's name."""
        return self._name

    @property
    def content(self) -> list[MemoryContent]:
        """The stored items, oldest first (the list itself; changes to it are kept)."""
        return self._contents

    @content.setter
    def content(self, value: Sequence[MemoryContent]) -> None:
        self._contents = list(value)

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add one system message listing every item; nothing is added when the list is empty."""
        if not self._contents:
            return UpdateContextResult(memories=MemoryQueryResult(results=[]))
        lines = "\n".join(f"{n}. {_describe(item)}" for n, item in enumerate(self._contents, 1))
        text = f"\nRelevant memory content (in chronological order):\n{lines}\n"
        await model_context.add_message(SystemMessage(content=text))
        return UpdateContextResult(memories=MemoryQueryResult(results=list(self._contents)))

    async def query(
        self,
        query: str | MemoryContent = "",
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """Return every item; a list memory does not rank or filter."""
        return MemoryQueryResult(results=list(self._contents))

    async def add(
        self, content: MemoryContent, cancellation_token: CancellationToken | None = None
    ) -> None:
        """Append ``content``."""
        self._contents.append(content)

    async def clear(self) -> None:
        """Remove every item."""
        self._contents = []

    async def close(self) -> None:
        """Nothing to release."""

    def _to_config(self) -> ListMemoryConfig:
        return ListMemoryConfig(name=self._name, memory_contents=list(self._contents))

    @classmethod
    def _from_config(cls, config: ListMemoryConfig) -> Self:
        return cls(name=config.name, memory_contents=config.memory_contents)
