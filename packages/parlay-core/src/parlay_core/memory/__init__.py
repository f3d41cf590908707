"""Memory: stores an agent queries to enrich its model context before each model call."""

from parlay_core.memory._base_memory import (
    ContentType,
    Memory,
    MemoryContent,
    MemoryMimeType,
    MemoryQueryResult,
    UpdateContextResult,
)
from parlay_core.memory._list_memory import ListMemory, ListMemoryConfig

__all__ = [
    "ContentType",
    "ListMemory",
    "ListMemoryConfig",
    "Memory",
    "MemoryContent",
    "MemoryMimeType",
    "MemoryQueryResult",
    "UpdateContextResult",
]
