"""Checkpoints: how a hosting core writes agent state to a store and reads it back.

The :class:`~parlay_core._hosting.AgentHost` owns one :class:`Checkpointer` when a state store is
configured, and none otherwise (so a runtime without a store does no extra work per message).
It is transport-neutral: every runtime built on the host gets durable state from it.

Two rules keep the stored state right:

* Writes for one agent never overlap. A write started while another is running waits for it,
  then stores the state as it is *then*; requests that a later write already covered return at
  once. So the last write always holds the newest state, and concurrent handlers of one agent do
  not cost one write each.
* Each write passes the revision this process last read or wrote as ``expected_revision``. If
  another process wrote the key meanwhile (it took the agent over), the write fails with
  :class:`~parlay_core.exceptions.StateConflictError` instead of overwriting newer state.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from parlay_core._exceptions import StateError
from parlay_core.state._protocol import CheckpointPolicy, StateStore

if TYPE_CHECKING:
    from parlay_core._agent import Agent
    from parlay_core._agent_id import AgentId

__all__ = ["CHECKPOINT_POLICIES", "Checkpointer"]

CHECKPOINT_POLICIES: tuple[CheckpointPolicy, ...] = ("every_message", "explicit", "never")


class _Slot:
    """Write bookkeeping for one agent."""

    __slots__ = ("lock", "requested", "saved")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.requested = 0
        self.saved = 0


class Checkpointer:
    """Reads and writes the state of a host's agents in a :class:`StateStore`.

    Args:
        store: Where state is kept.
        policy: When state is written (see :data:`~parlay_core.state.CheckpointPolicy`).

    Raises:
        ValueError: ``policy`` is not one of the three policies.
    """

    __slots__ = ("_revisions", "_slots", "after_each_message", "policy", "store")

    def __init__(self, store: StateStore, policy: CheckpointPolicy) -> None:
        if policy not in CHECKPOINT_POLICIES:
            raise ValueError(
                f"Unknown checkpoint policy {policy!r}; use one of {list(CHECKPOINT_POLICIES)}."
            )
        self.store = store
        self.policy: CheckpointPolicy = policy
        self.after_each_message = policy == "every_message"
        # The revision this process last read or wrote per agent (0: known to be absent).
        self._revisions: dict[AgentId, int] = {}
        self._slots: dict[AgentId, _Slot] = {}

    async def rehydrate(self, agent_id: AgentId, agent: Agent) -> None:
        """Load the stored state of a newly created agent, if there is one.

        Raises:
            StateError: The store failed, or the agent's ``load_state`` rejected the stored state.
        """
        entry = await self.store.get(str(agent_id))
        if entry is None:
            self._revisions[agent_id] = 0
            return
        try:
            await agent.load_state(entry.value)
        except StateError:
            raise
        except Exception as e:
            raise StateError(
                f"{agent_id} could not load its stored state (revision {entry.revision}): "
                f"{type(e).__name__}: {e}"
            ) from e
        self._revisions[agent_id] = entry.revision

    async def save(self, agent_id: AgentId, agent: Agent) -> None:
        """Write ``agent``'s current state, unless a write that started later already did.

        Raises:
            StateConflictError: Another process wrote this agent's state since this one read it.
            StateError: The state could not be serialized or written.
        """
        slot = self._slots.get(agent_id)
        if slot is None:
            slot = self._slots[agent_id] = _Slot()
        slot.requested += 1
        ticket = slot.requested
        async with slot.lock:
            if slot.saved >= ticket:
                return  # a write that began after this request already stored newer state
            covered = slot.requested
            state = await agent.save_state()
            revision = await self.store.put(
                str(agent_id), state, expected_revision=self._revisions.get(agent_id)
            )
            self._revisions[agent_id] = revision
            slot.saved = covered

    def forget(self, agent_id: AgentId) -> None:
        """Drop the bookkeeping for an agent that this process no longer hosts."""
        self._revisions.pop(agent_id, None)
        self._slots.pop(agent_id, None)
