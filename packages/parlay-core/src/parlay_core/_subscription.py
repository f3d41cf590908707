"""Subscriptions map topics to the agents that receive what is published on them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._contexts import MessageHandlerContext, SubscriptionInstantiationContext
from parlay_core._exceptions import CantHandleException, ParlayError

__all__ = [
    "DefaultSubscription",
    "DefaultTopicId",
    "Subscription",
    "SubscriptionMismatchError",
    "TypePrefixSubscription",
    "TypeSubscription",
    "UnboundSubscription",
    "default_subscription",
    "type_subscription",
]


class SubscriptionMismatchError(CantHandleException, ValueError):
    """``map_to_agent`` was called with a topic the subscription does not match.

    AutoGen raises ``CantHandleException`` here, so this is one; it is also a ``ValueError``,
    which is what earlier Parlay versions raised.
    """


@runtime_checkable
class Subscription(Protocol):
    """Decides which topics an agent type receives and which instance gets each message."""

    @property
    def id(self) -> str:
        """A unique id; subscriptions with the same id are the same subscription."""
        ...

    def is_match(self, topic_id: TopicId) -> bool:
        """Whether a message published to ``topic_id`` goes to this subscription's agent type."""
        ...

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        """The agent instance that receives a message published to a matching ``topic_id``."""
        ...


UnboundSubscription = Callable[[], "list[Subscription]"]
"""A subscription factory, called with :class:`SubscriptionInstantiationContext` set."""


def _check_agent_type(agent_type: str | AgentType) -> str:
    return agent_type.type if isinstance(agent_type, AgentType) else agent_type


class TypeSubscription:
    """Topics of exactly ``topic_type`` go to ``agent_type``; the topic source is the agent key.

    So one agent instance exists per topic source (for example one per conversation).
    """

    __slots__ = ("_agent_type", "_id", "_topic_type")

    def __init__(self, topic_type: str, agent_type: str | AgentType, id: str | None = None) -> None:
        self._topic_type = topic_type
        self._agent_type = _check_agent_type(agent_type)
        self._id = id or os.urandom(16).hex()

    @property
    def id(self) -> str:
        return self._id

    @property
    def topic_type(self) -> str:
        """The topic type matched exactly."""
        return self._topic_type

    @property
    def agent_type(self) -> str:
        """The agent type that receives matching messages."""
        return self._agent_type

    def is_match(self, topic_id: TopicId) -> bool:
        return topic_id.type == self._topic_type

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        if topic_id.type != self._topic_type:
            raise SubscriptionMismatchError(f"Topic {topic_id} does not match {self!r}.")
        return AgentId(self._agent_type, topic_id.source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TypeSubscription):
            return False
        return self._id == other._id or (
            self._topic_type == other._topic_type and self._agent_type == other._agent_type
        )

    def __hash__(self) -> int:
        return hash((self._topic_type, self._agent_type))

    def __repr__(self) -> str:
        return f"TypeSubscription(topic_type={self._topic_type!r}, agent_type={self._agent_type!r}, id={self._id!r})"


class TypePrefixSubscription:
    """Topics whose type starts with ``topic_type_prefix`` go to ``agent_type``, keyed by source.

    Every registered agent type gets one with the prefix ``"<agent type>:"``, so publishing to
    ``TopicId("<agent type>:", key)`` reaches that agent directly.
    """

    __slots__ = ("_agent_type", "_id", "_topic_type_prefix")

    def __init__(
        self, topic_type_prefix: str, agent_type: str | AgentType, id: str | None = None
    ) -> None:
        self._topic_type_prefix = topic_type_prefix
        self._agent_type = _check_agent_type(agent_type)
        self._id = id or os.urandom(16).hex()

    @property
    def id(self) -> str:
        return self._id

    @property
    def topic_type_prefix(self) -> str:
        """The topic type prefix matched."""
        return self._topic_type_prefix

    @property
    def agent_type(self) -> str:
        """The agent type that receives matching messages."""
        return self._agent_type

    def is_match(self, topic_id: TopicId) -> bool:
        return topic_id.type.startswith(self._topic_type_prefix)

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        if not topic_id.type.startswith(self._topic_type_prefix):
            raise SubscriptionMismatchError(f"Topic {topic_id} does not match {self!r}.")
        return AgentId(self._agent_type, topic_id.source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TypePrefixSubscription):
            return False
        return self._id == other._id or (
            self._topic_type_prefix == other._topic_type_prefix
            and self._agent_type == other._agent_type
        )

    def __hash__(self) -> int:
        return hash((self._topic_type_prefix, self._agent_type))

    def __repr__(self) -> str:
        return (
            f"TypePrefixSubscription(topic_type_prefix={self._topic_type_prefix!r}, "
            f"agent_type={self._agent_type!r}, id={self._id!r})"
        )


class DefaultSubscription(TypeSubscription):
    """A :class:`TypeSubscription` to the ``"default"`` topic type.

    Without ``agent_type`` it takes the type being registered, so it must then be created inside
    ``register()`` (the :func:`default_subscription` class decorator does that).
    """

    __slots__ = ()

    def __init__(
        self, topic_type: str = "default", agent_type: str | AgentType | None = None
    ) -> None:
        if agent_type is None:
            agent_type = SubscriptionInstantiationContext.agent_type()
        super().__init__(topic_type, agent_type)


class DefaultTopicId(TopicId):
    """The ``"default"`` topic; its source is the current agent's key inside a handler, else ``"default"``."""

    def __init__(self, type: str = "default", source: str | None = None) -> None:
        if source is None:
            try:
                source = MessageHandlerContext.agent_id().key
            except ParlayError:
                source = "default"
        super().__init__(type, source)


AgentClassT = TypeVar("AgentClassT", bound=type[Any])


def _add_unbound(cls: Any, factory: UnboundSubscription) -> None:
    # Copy, so a subclass never appends to its parent's list.
    cls.internal_unbound_subscriptions_list = [
        *getattr(cls, "internal_unbound_subscriptions_list", []),
        factory,
    ]


# Overloads, so a class decorated with ``@default_subscription`` keeps its own type for type
# checkers (not a union with the decorator's other form).
@overload
def default_subscription(cls: AgentClassT) -> AgentClassT: ...


@overload
def default_subscription(cls: None = None) -> Callable[[AgentClassT], AgentClassT]: ...


def default_subscription(
    cls: AgentClassT | None = None,
) -> AgentClassT | Callable[[AgentClassT], AgentClassT]:
    """Class decorator: agents of the decorated class subscribe to the ``"default"`` topic type."""

    def decorate(inner: AgentClassT) -> AgentClassT:
        _add_unbound(inner, lambda: [DefaultSubscription()])
        return inner

    if cls is None:
        return decorate
    return decorate(cls)


def type_subscription(topic_type: str) -> Callable[[AgentClassT], AgentClassT]:
    """Class decorator: agents of the decorated class subscribe to ``topic_type``."""

    def decorate(cls: AgentClassT) -> AgentClassT:
        _add_unbound(cls, lambda: [DefaultSubscription(topic_type=topic_type)])
        return cls

    return decorate
