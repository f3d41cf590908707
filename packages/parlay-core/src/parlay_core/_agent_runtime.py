"""The runtime protocol: what every transport (in-process, NATS) offers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

from parlay_core._agent import Agent
from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._cancellation_token import CancellationToken
from parlay_core._serialization import MessageSerializer
from parlay_core._subscription import Subscription

__all__ = ["AgentRuntime"]

T = TypeVar("T", bound=Agent)


@runtime_checkable
class AgentRuntime(Protocol):
    """Hosts agents, delivers direct messages and publishes to topics."""

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send ``message`` to ``recipient`` and return its handler's response."""
        ...

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish ``message`` to every agent subscribed to ``topic_id``; returns at once."""
        ...

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register a factory that creates agents of ``type`` lazily, one per key."""
        ...

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register a pre-built agent instance under ``agent_id``."""
        ...

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = Agent) -> T:  # type: ignore[assignment]
        """Return the local agent object for ``id`` (instantiating it), checked against ``type``."""
        ...

    @overload
    async def get(self, id_or_type: AgentId, /, *, lazy: bool = ...) -> AgentId: ...

    @overload
    async def get(
        self, id_or_type: AgentType | str, /, key: str = ..., *, lazy: bool = ...
    ) -> AgentId: ...

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        """Return the id of an agent, creating it now unless ``lazy``."""
        ...

    async def save_state(self) -> Mapping[str, Any]:
        """Return the state of every instantiated agent, keyed ``"type/key"``."""
        ...

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`save_state`."""
        ...

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """Return one agent's metadata."""
        ...

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """Return one agent's state."""
        ...

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Restore one agent's state."""
        ...

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add a subscription (ignored if one with the same id exists)."""
        ...

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription by id."""
        ...

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers for messages that cross a process boundary."""
        ...
