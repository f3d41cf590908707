"""What a worker offers about the agents it hosts: objects, ids, metadata and state.

Only agents of partitions this worker holds are local; asking for another worker's agent raises
:class:`~parlay_core.exceptions.NotAccessibleError` (talk to it with ``send_message``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from parlay_core import ROOT_LOGGER_NAME, Agent, AgentId, AgentMetadata, AgentType
from parlay_core.exceptions import AgentClassMismatchError, NotAccessibleError, RuntimeStateError
from parlay_core.hosting import AgentHost

if TYPE_CHECKING:
    from parlay_ext.runtimes.nats._calls import Caller
    from parlay_ext.runtimes.nats._cluster import Cluster

__all__ = ["LocalAgents"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

T = TypeVar("T", bound=Agent)


class LocalAgents:
    """The local-agent part of the runtime API; the runtime class builds on it."""

    _host: AgentHost
    _cluster: Cluster | None
    _caller: Caller

    def _require_started(self) -> None:
        # Before the first start() there is no cluster view to answer from (nor a connection).
        if self._cluster is None:
            raise RuntimeStateError(
                "The runtime is not started: call `await runtime.start()` first."
            )

    def _local_or_raise(self, agent_id: AgentId) -> None:
        self._require_started()
        if agent_id in self._host.instances and self._is_held(agent_id):
            return
        if not self._host.is_known_type(agent_id.type):
            self._caller.check_hosted(agent_id)  # AgentTypeNotFoundError if nobody hosts it
        if not self._is_held(agent_id):
            raise NotAccessibleError(
                f"{agent_id} lives on another worker (this one does not hold its partition); "
                "talk to it with send_message."
            )

    def _is_held(self, agent_id: AgentId) -> bool:
        return self._cluster is not None and self._cluster.holds(self._caller.partition(agent_id))

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = Agent) -> T:  # type: ignore[assignment]
        """Return the agent object for ``id`` if this worker holds it.

        Raises:
            NotAccessibleError: The agent lives on another worker.
            AgentClassMismatchError: The agent is not an instance of ``type``.
        """
        self._local_or_raise(id)
        agent = await self._host.get_agent(id)
        if not isinstance(agent, type):
            raise AgentClassMismatchError(
                f"Agent {id} is a {agent.__class__.__name__}, not a {type.__name__}."
            )
        return agent

    @overload
    async def get(self, id_or_type: AgentId, /, *, lazy: bool = ...) -> AgentId: ...

    @overload
    async def get(
        self, id_or_type: AgentType | str, /, key: str = ..., *, lazy: bool = ...
    ) -> AgentId: ...

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        """Return the id of an agent (checking that some worker hosts its type)."""
        agent_id = id_or_type if isinstance(id_or_type, AgentId) else AgentId(id_or_type, key)
        self._require_started()
        if not self._host.is_known_type(agent_id.type):
            self._caller.check_hosted(agent_id)
        elif not lazy and self._is_held(agent_id):
            await self._host.get_agent(agent_id)
        return agent_id

    async def save_state(self) -> Mapping[str, Any]:
        """The state of every agent instantiated on this worker, keyed ``"type/key"``."""
        return await self._host.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load states of agents this worker holds; others are skipped (with a warning)."""
        self._require_started()
        mine = {
            key: value
            for key, value in state.items()
            if self._host.is_known_type(AgentId.from_str(key).type)
            and self._is_held(AgentId.from_str(key))
        }
        await self._host.load_state(mine)
        if len(mine) < len(state):
            logger.warning(
                "load_state skipped %d agents not held by this worker", len(state) - len(mine)
            )

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """One local agent's metadata."""
        self._local_or_raise(agent)
        return (await self._host.get_agent(agent)).metadata

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """One local agent's state."""
        self._local_or_raise(agent)
        return await (await self._host.get_agent(agent)).save_state()

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Restore one local agent's state."""
        self._local_or_raise(agent)
        await (await self._host.get_agent(agent)).load_state(state)

    async def checkpoint(self, agent_ids: Sequence[AgentId] | None = None) -> list[AgentId]:
        """Write the state of this worker's agents (all, or the given ones) to the state store."""
        return await self._host.checkpoint(agent_ids)
