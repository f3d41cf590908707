"""BaseAgent: the usual base class of agents, with registration helpers."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, final

from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._cancellation_token import CancellationToken
from parlay_core._contexts import AgentInstantiationContext, SubscriptionInstantiationContext
from parlay_core._exceptions import AgentRegistrationError, RuntimeStateError
from parlay_core._message_context import MessageContext
from parlay_core._serialization import MessageSerializer, try_get_known_serializers_for_type
from parlay_core._subscription import Subscription, TypePrefixSubscription, UnboundSubscription

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BaseAgent"]


class BaseAgent(ABC):
    """Base class for agents: holds the id and runtime, sends and publishes, registers itself.

    Create agents through a factory given to :meth:`register`; the runtime then sets the id and
    runtime before ``__init__`` runs. An agent built outside a factory must be bound with
    :meth:`register_instance`.

    Args:
        description: What the agent does (reported in its metadata).
    """

    internal_unbound_subscriptions_list: ClassVar[list[UnboundSubscription]] = []
    """Subscription factories added by class decorators such as ``@default_subscription``."""

    internal_extra_handles_types: ClassVar[
        list[tuple[type[Any], list[MessageSerializer[Any]]]]
    ] = []
    """Extra message types (with serializers) this class handles beyond its handlers."""

    def __init__(self, description: str) -> None:
        self._description = description
        self._runtime: AgentRuntime | None
        self._id: AgentId | None
        # One context lookup: this runs for every agent created.
        context = AgentInstantiationContext._CONTEXT.get(None)  # pyright: ignore[reportPrivateUsage]
        if context is not None:
            self._runtime, self._id = context
        else:
            self._runtime = None
            self._id = None

    @property
    def metadata(self) -> AgentMetadata:
        """The agent's type, key and description."""
        return AgentMetadata(type=self.id.type, key=self.id.key, description=self._description)

    @property
    def type(self) -> str:
        """The agent's type."""
        return self.id.type

    @property
    def id(self) -> AgentId:
        """The agent's id.

        Raises:
            RuntimeStateError: The agent was built outside a factory and not registered yet.
        """
        if self._id is None:
            raise RuntimeStateError(
                f"{type(self).__name__} has no id yet: it was created outside a factory. Register "
                "it with register_instance(runtime, agent_id), or create it through register()."
            )
        return self._id

    @property
    def runtime(self) -> AgentRuntime:
        """The runtime hosting the agent."""
        if self._runtime is None:
            raise RuntimeStateError(
                f"{type(self).__name__} is not bound to a runtime. Register it with "
                "register_instance(runtime, agent_id), or create it through register()."
            )
        return self._runtime

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None:
        """Bind an agent built outside a factory; refuses to rebind to another id or runtime."""
        if self._id is not None and (self._id != id or self._runtime is not runtime):
            raise AgentRegistrationError(
                f"{type(self).__name__} is already bound to {self._id}; create a new instance for {id}."
            )
        self._id = id
        self._runtime = runtime

    @final
    async def on_message(self, message: Any, ctx: MessageContext) -> Any:
        """Deliver a message to :meth:`on_message_impl` (called by the runtime)."""
        return await self.on_message_impl(message, ctx)

    @abstractmethod
    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        """Handle a message; the return value is the RPC response."""
        ...

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send a direct message from this agent and return the recipient's response."""
        return await self.runtime.send_message(
            message,
            recipient,
            sender=self.id,
            cancellation_token=cancellation_token,
            message_id=message_id,
        )

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish a message from this agent; this agent does not receive its own publish."""
        await self.runtime.publish_message(
            message,
            topic_id,
            sender=self.id,
            cancellation_token=cancellation_token,
            message_id=message_id,
        )

    async def save_state(self) -> Mapping[str, Any]:
        """Return the agent's state; the default agent has none."""
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore state returned by :meth:`save_state`; the default agent has none."""

    async def close(self) -> None:
        """Release resources; called when the runtime closes."""

    @classmethod
    def _handles_types(cls) -> list[tuple[builtins.type[Any], list[MessageSerializer[Any]]]]:
        """The message types this class handles, with their serializers."""
        return list(cls.internal_extra_handles_types)

    @classmethod
    def _class_subscriptions(cls, agent_type: AgentType) -> list[Subscription]:
        with SubscriptionInstantiationContext.populate_context(agent_type):
            return [s for unbound in cls.internal_unbound_subscriptions_list for s in unbound()]

    @classmethod
    async def register(
        cls,
        runtime: AgentRuntime,
        type: str,
        factory: Callable[[], Self | Awaitable[Self]],
        *,
        skip_class_subscriptions: bool = False,
        skip_direct_message_subscription: bool = False,
    ) -> AgentType:
        """Register a factory for agents of this class under ``type``.

        Adds the class's decorator subscriptions, the ``"<type>:"`` direct-topic subscription and
        serializers for every handled message type.

        Raises:
            AgentRegistrationError: ``type`` is already registered.
        """
        agent_type = await runtime.register_factory(type, factory, expected_class=cls)
        if not skip_class_subscriptions:
            for subscription in cls._class_subscriptions(agent_type):
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            await runtime.add_subscription(
                TypePrefixSubscription(f"{agent_type.type}:", agent_type.type)
            )
        cls._add_serializers(runtime)
        return agent_type

    async def register_instance(
        self,
        runtime: AgentRuntime,
        agent_id: AgentId,
        *,
        skip_class_subscriptions: bool = True,
        skip_direct_message_subscription: bool = False,
    ) -> AgentId:
        """Register this pre-built instance under ``agent_id``.

        Raises:
            AgentRegistrationError: ``agent_id`` is taken, or its type is registered with a factory.
        """
        agent_id = await runtime.register_agent_instance(self, agent_id)
        agent_type = AgentType(agent_id.type)
        if not skip_class_subscriptions:
            for subscription in type(self)._class_subscriptions(agent_type):
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            try:
                await runtime.add_subscription(
                    TypePrefixSubscription(f"{agent_type.type}:", agent_type.type)
                )
            except ValueError:
                pass  # the type's first instance added it already
        type(self)._add_serializers(runtime)
        return agent_id

    @classmethod
    def _add_serializers(cls, runtime: AgentRuntime) -> None:
        serializers: list[MessageSerializer[Any]] = []
        for message_type, known in cls._handles_types():
            serializers.extend(known or try_get_known_serializers_for_type(message_type))
        if serializers:
            runtime.add_message_serializer(serializers)
