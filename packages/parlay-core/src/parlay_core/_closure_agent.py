"""ClosureAgent: an agent made from one async function."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol, TypeVar, get_type_hints, runtime_checkable

from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._base_agent import BaseAgent
from parlay_core._cancellation_token import CancellationToken
from parlay_core._contexts import SubscriptionInstantiationContext
from parlay_core._exceptions import CantHandleException
from parlay_core._message_context import MessageContext
from parlay_core._routed_agent import _expand  # pyright: ignore[reportPrivateUsage]
from parlay_core._serialization import MessageSerializer, try_get_known_serializers_for_type
from parlay_core._subscription import Subscription, TypePrefixSubscription

__all__ = ["ClosureAgent", "ClosureContext"]

T = TypeVar("T")
UnknownTypePolicy = Literal["error", "warn", "ignore"]


@runtime_checkable
class ClosureContext(Protocol):
    """What a closure can do: know its id, send and publish."""

    @property
    def id(self) -> AgentId:
        """The closure agent's id."""
        ...

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send a direct message and return the response."""
        ...

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        cancellation_token: CancellationToken | None = None,
    ) -> None:
        """Publish a message."""
        ...


Closure = Callable[[ClosureContext, T, MessageContext], Awaitable[Any]]


def _message_types(closure: Callable[..., Any]) -> list[type[Any]]:
    hints = get_type_hints(closure)
    if "message" not in hints:
        raise TypeError(
            "A closure needs a parameter named 'message' annotated with the message type: "
            "async def closure(ctx: ClosureContext, message: MyMessage, msg_ctx: MessageContext) -> None."
        )
    return _expand(hints["message"])


class ClosureAgent(BaseAgent, ClosureContext):
    """An agent whose every message goes to one closure.

    Args:
        description: What the agent does.
        closure: ``async def closure(ctx: ClosureContext, message: T, msg_ctx: MessageContext)``.
        unknown_type_policy: What to do with a message not of the annotated type: ``"error"``
            raises :class:`CantHandleException`, ``"warn"`` warns and ignores, ``"ignore"`` ignores.
    """

    def __init__(
        self,
        description: str,
        closure: Closure[Any],
        *,
        unknown_type_policy: UnknownTypePolicy = "warn",
    ) -> None:
        super().__init__(description)
        self._closure = closure
        self._expected_types = frozenset(_message_types(closure))
        self._unknown_type_policy = unknown_type_policy

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        """Call the closure, after checking the message type against its annotation."""
        if type(message) not in self._expected_types:
            text = (
                f"Closure agent {self.id} expects {sorted(t.__name__ for t in self._expected_types)}, "
                f"got {type(message).__name__}."
            )
            if self._unknown_type_policy == "error" or ctx.is_rpc:
                # A sender awaiting a response must not wait for one that never comes.
                raise CantHandleException(text)
            if self._unknown_type_policy == "warn":
                warnings.warn(text, stacklevel=2)
            return None
        return await self._closure(self, message, ctx)

    async def save_state(self) -> Mapping[str, Any]:
        """Closure agents keep no state."""
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Closure agents keep no state."""

    @classmethod
    async def register_closure(
        cls,
        runtime: AgentRuntime,
        type: str,
        closure: Closure[Any],
        *,
        unknown_type_policy: UnknownTypePolicy = "warn",
        skip_direct_message_subscription: bool = False,
        description: str = "",
        subscriptions: Callable[[], list[Subscription] | Awaitable[list[Subscription]]]
        | None = None,
    ) -> AgentType:
        """Register a closure as agent type ``type`` and add its subscriptions.

        Args:
            runtime: The runtime to register with.
            type: The agent type.
            closure: The function that handles every message.
            unknown_type_policy: See :class:`ClosureAgent`.
            skip_direct_message_subscription: Do not add the ``"<type>:"`` topic subscription.
            description: The agents' description.
            subscriptions: A function returning the subscriptions to add.
        """
        message_types = _message_types(closure)  # fail before registering anything

        def factory() -> ClosureAgent:
            return ClosureAgent(description, closure, unknown_type_policy=unknown_type_policy)

        agent_type = await runtime.register_factory(type, factory, expected_class=cls)
        if subscriptions is not None:
            # As for class subscriptions in BaseAgent.register: a DefaultSubscription() made by
            # the factory takes its agent type from the registration in progress.
            with SubscriptionInstantiationContext.populate_context(agent_type):
                found = subscriptions()
                if not isinstance(found, list):
                    found = await found
            for subscription in found:
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            await runtime.add_subscription(
                TypePrefixSubscription(f"{agent_type.type}:", agent_type.type)
            )
        serializers: list[MessageSerializer[Any]] = [
            s for t in message_types for s in try_get_known_serializers_for_type(t)
        ]
        if serializers:
            runtime.add_message_serializer(serializers)
        return agent_type
