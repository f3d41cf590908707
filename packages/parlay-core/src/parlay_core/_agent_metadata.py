"""Agent metadata."""

from __future__ import annotations

from typing import TypedDict

__all__ = ["AgentMetadata"]


class AgentMetadata(TypedDict):
    """What a runtime reports about an agent: its type, key and description."""

    type: str
    key: str
    description: str
