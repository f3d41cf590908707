"""Agents and state of a hosted runtime: registration, subscriptions, and access to agents.

The part of :class:`~parlay_core.hosting.HostedRuntime` that does not carry messages: it asks
the host for agents and their state, and the transport whether an agent's object lives in
this process (another process's agent is reached by messages only).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, overload

from parlay_core._agent import Agent
from parlay_core._agent_id import AgentId, AgentType
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._constants import ROOT_LOGGER_NAME
from parlay_core._exceptions import (
    AgentClassMismatchError,
    AgentRegistrationError,
    NotAccessibleError,
    RuntimeStateError,
)
from parlay_core._hosting import AgentHost
from parlay_core._serialization import MessageSerializer
from parlay_core._subscription import Subscription
from parlay_core._transport import InProcessTransport, Transport

__all__ = ["AgentDirectory"]

logger = logging.getLogger(ROOT_LOGGER_NAME)

T = TypeVar("T", bound=Agent)


class AgentDirectory(AgentRuntime):
    """Registration, subscriptions, agents and their state, over a host and a transport.

    Args:
        host: The runtime's host.
        transport: The runtime's transport.
    """

    def __init__(self, host: AgentHost, transport: Transport) -> None:
        self._host = host
        self._transport = transport
        # Every recipient is local: the hot paths skip asking the transport.
        self._all_local = isinstance(transport, InProcessTransport)
        # Set by close(): a closed runtime registers nothing and carries no messages.
        self._closed = False

    @property
    def host(self) -> AgentHost:
        """The host: registry, lazy instantiation, subscriptions and dispatch."""
        return self._host

    @property
    def transport(self) -> Transport:
        """Where this runtime's messages go."""
        return self._transport

    def _closed_error(self) -> RuntimeStateError:
        return RuntimeStateError(f"The runtime is closed; create a new {type(self).__name__}.")

    # --- registration ------------------------------------------------------------------------

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register ``agent_factory`` for agents of ``type``; each key gets its own agent, lazily.

        Raises:
            AgentRegistrationError: ``type`` is already registered.
        """
        if self._closed:
            raise self._closed_error()
        return self._host.register_factory(type, agent_factory, expected_class)

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register a pre-built agent under ``agent_id``."""
        if self._closed:
            raise self._closed_error()
        return await self._host.register_instance(agent_instance, agent_id)

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add a subscription.

        Raises:
            AgentRegistrationError: A subscription with the same id, or an equal one, was added
                already (a ``ValueError``, as in AutoGen).
        """
        if not self._host.subscriptions.add(subscription):
            raise AgentRegistrationError(
                f"Subscription already exists: {subscription!r} (or one with its id) was added "
                "before. Add each subscription once."
            )

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription.

        Raises:
            SubscriptionNotFoundError: No subscription has that id.
        """
        self._host.subscriptions.remove(id)

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers (used only where messages leave the process)."""
        self._host.serializers.add_serializer(serializer)

    # --- agents and state --------------------------------------------------------------------

    def _check_held(self, agent_id: AgentId) -> None:
        # The agent's object must live here: another process's agent is reached by messages.
        if self._all_local:
            return
        transport = self._transport
        transport.ready()
        if transport.holds(agent_id):
            return
        if not self._host.is_known_type(agent_id.type):
            transport.check_recipient(agent_id)  # AgentTypeNotFoundError if nobody hosts it
        raise NotAccessibleError(
            f"{agent_id} lives on another worker (this process does not hold it); talk to it with "
            "send_message."
        )

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = Agent) -> T:  # type: ignore[assignment]
        """Return the agent object for ``id`` (creating it), checked to be an instance of ``type``.

        Raises:
            NotAccessibleError: The agent lives in another process.
            AgentClassMismatchError: The agent is not an instance of ``type``.
        """
        self._check_held(id)
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
        """Return the id of an agent, creating it now unless ``lazy`` (if it lives here).

        Raises:
            AgentTypeNotFoundError: No process hosts the type.
        """
        agent_id = id_or_type if isinstance(id_or_type, AgentId) else AgentId(id_or_type, key)
        if not self._all_local:
            self._transport.ready()
        if not self._host.is_known_type(agent_id.type):
            self._transport.check_recipient(agent_id)
        elif not lazy and self._transport.holds(agent_id):
            await self._host.get_agent(agent_id)
        return agent_id

    async def save_state(self) -> Mapping[str, Any]:
        """The state of every agent instantiated here, keyed ``"type/key"``."""
        return await self._host.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load a state from :meth:`save_state`; entries of unregistered types (and, in a
        distributed runtime, of agents held elsewhere) are skipped with a warning."""
        if self._all_local:
            mine = state
        else:
            self._transport.ready()
            mine = {key: value for key, value in state.items() if self._holds_key(key)}
        skipped = await self._host.load_state(mine)
        skipped += [key for key in state if key not in mine]
        if skipped:
            logger.warning("load_state skipped agents not hosted here: %s", skipped)

    def _holds_key(self, key: str) -> bool:
        try:
            return self._transport.holds(AgentId.from_str(key))
        except ValueError:
            return True  # the host reports the invalid key

    async def checkpoint(self, agent_ids: Sequence[AgentId] | None = None) -> list[AgentId]:
        """Write the state of the given (default: every instantiated) agent to the state store.

        Returns:
            The ids written; ids of agents not instantiated here are skipped.

        Raises:
            RuntimeStateError: No state store is configured, or the policy is ``"never"``.
            StateConflictError: Another process wrote an agent's state since this one read it.
        """
        return await self._host.checkpoint(agent_ids)

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """One agent's metadata."""
        self._check_held(agent)
        return (await self._host.get_agent(agent)).metadata

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """One agent's state."""
        self._check_held(agent)
        return await (await self._host.get_agent(agent)).save_state()

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Restore one agent's state."""
        self._check_held(agent)
        await (await self._host.get_agent(agent)).load_state(state)
