"""Addresses: agent ids, agent types and topic ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AgentId", "AgentType", "TopicId", "is_valid_agent_type", "is_valid_topic_type"]

_AGENT_TYPE_RE = re.compile(r"^[\w\-\.]+\Z")
_TOPIC_TYPE_RE = re.compile(r"^[\w\-\.\:\=]+\Z")


def is_valid_agent_type(value: str) -> bool:
    """Return whether ``value`` may be used as an agent type (letters, digits, ``_``, ``-``, ``.``)."""
    return bool(_AGENT_TYPE_RE.match(value))


def is_valid_topic_type(value: str) -> bool:
    """Return whether ``value`` may be used as a topic type (agent-type characters plus ``:`` and ``=``)."""
    return bool(_TOPIC_TYPE_RE.match(value))


@dataclass(eq=True, frozen=True)
class AgentType:
    """The type of an agent, as registered with a runtime."""

    type: str


class AgentId:
    """The address of one agent instance: its type and a key within that type.

    Args:
        type: The agent type (a string or an :class:`AgentType`).
        key: The instance key within the type, for example a conversation id.

    Raises:
        ValueError: ``type`` contains characters other than letters, digits, ``_``, ``-`` and ``.``.
    """

    __slots__ = ("_hash", "_key", "_type")

    def __init__(self, type: str | AgentType, key: str) -> None:
        if isinstance(type, AgentType):
            type = type.type
        if not _AGENT_TYPE_RE.match(type):
            raise ValueError(
                f"Invalid agent type {type!r}: use only letters, digits, '_', '-' and '.'."
            )
        self._type = type
        self._key = key
        # Agent ids are dictionary keys on every delivery: hash once.
        self._hash = hash((type, key))

    @property
    def type(self) -> str:
        """The agent type."""
        return self._type

    @property
    def key(self) -> str:
        """The instance key."""
        return self._key

    @classmethod
    def from_str(cls, agent_id: str) -> Self:
        """Parse ``"type/key"``."""
        items = agent_id.split("/", 1)
        if len(items) != 2:
            raise ValueError(f"Invalid agent id {agent_id!r}: expected 'type/key'.")
        return cls(items[0], items[1])

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        if self is other:
            return True
        if not isinstance(other, AgentId):
            return False
        return self._type == other._type and self._key == other._key

    def __ne__(self, other: Any) -> bool:
        # Defined, not derived: ``!=`` would otherwise call __eq__ through object.__ne__, and a
        # publish compares each recipient with the sender.
        if self is other:
            return False
        if not isinstance(other, AgentId):
            return True
        return self._type != other._type or self._key != other._key

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # Pickle the type and key only: the cached hash of strings differs between processes
        # (hash randomisation), so a carried-over one would break dict lookups after unpickling.
        return (type(self), (self._type, self._key))

    def __str__(self) -> str:
        return f"{self._type}/{self._key}"

    def __repr__(self) -> str:
        return f'AgentId(type="{self._type}", key="{self._key}")'


@dataclass(eq=False, frozen=True)
class TopicId:
    """The address of a topic: a type (what kind of event) and a source (where it happened).

    Raises:
        ValueError: ``type`` contains characters other than letters, digits and ``_-.:=``.
    """

    type: str
    source: str

    def __post_init__(self) -> None:
        if not _TOPIC_TYPE_RE.match(self.type):
            raise ValueError(
                f"Invalid topic type {self.type!r}: use only letters, digits and '_', '-', '.', ':', '='."
            )

    def __eq__(self, other: object) -> bool:
        # Compare by value across subclasses: DefaultTopicId() equals TopicId("default", ...).
        if not isinstance(other, TopicId):
            return NotImplemented
        return self.type == other.type and self.source == other.source

    def __hash__(self) -> int:
        return hash((self.type, self.source))

    def __str__(self) -> str:
        return f"{self.type}/{self.source}"

    @classmethod
    def from_str(cls, topic_id: str) -> Self:
        """Parse ``"type/source"``."""
        items = topic_id.split("/", 1)
        if len(items) != 2:
            raise ValueError(f"Invalid topic id {topic_id!r}: expected 'type/source'.")
        return cls(items[0], items[1])
