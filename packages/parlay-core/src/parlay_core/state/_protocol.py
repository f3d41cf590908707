"""The state-store protocol: a small key-value interface with compare-and-set writes.

A runtime given a store keeps each agent's state under the key ``"<type>/<key>"`` (the agent
id's string form). Values are JSON-compatible mappings. Every write returns a *revision*, a number
that grows with every write to the store; a writer that passes the revision it last saw as
``expected_revision`` only succeeds if nobody wrote the key in between. That is how a stale owner
of an agent (a process that lost the agent to another one) is kept from overwriting newer state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["CheckpointPolicy", "StateEntry", "StateStore"]

CheckpointPolicy = Literal["every_message", "explicit", "never"]
"""When a runtime writes agent state to its store.

* ``"every_message"``: after every message an agent handles (the RPC response is returned only
  once the state is written);
* ``"explicit"``: only when ``runtime.checkpoint()`` is called;
* ``"never"``: the store is only read: agents rehydrate from it, nothing is written.
"""


@dataclass(frozen=True, slots=True)
class StateEntry:
    """A stored value and the revision of the write that stored it.

    Attributes:
        value: The stored mapping (decoded from JSON).
        revision: A positive number, larger for every later write to the same store.
    """

    value: dict[str, Any]
    revision: int


@runtime_checkable
class StateStore(Protocol):
    """Durable key-value storage for agent state.

    Keys are non-empty strings; values are JSON-compatible mappings. ``expected_revision`` makes a
    write conditional: ``0`` means "only if the key does not exist", a positive number means "only
    if the key's current revision is this one", and ``None`` writes unconditionally.
    """

    async def get(self, key: str) -> StateEntry | None:
        """Return the entry stored under ``key``, or None when there is none."""
        ...

    async def put(
        self, key: str, value: Mapping[str, Any], *, expected_revision: int | None = None
    ) -> int:
        """Store ``value`` under ``key`` and return the new revision.

        Raises:
            StateConflictError: ``expected_revision`` does not match the key's current revision.
            StateError: The value is not JSON-serializable or the write failed.
        """
        ...

    async def delete(self, key: str, *, expected_revision: int | None = None) -> bool:
        """Delete ``key``; return whether it existed.

        Raises:
            StateConflictError: ``expected_revision`` does not match the key's current revision.
        """
        ...

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the stored keys that start with ``prefix``, sorted."""
        ...

    async def close(self) -> None:
        """Release connections and threads; the store cannot be used afterwards."""
        ...
