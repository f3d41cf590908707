"""The subscription table: which agents receive a message published to a topic.

Part of the hosting core shared by every runtime. Lookups are cached per topic, because the same
topics are published to again and again while subscriptions change rarely.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlay_core._agent_id import AgentId, TopicId
from parlay_core._exceptions import SubscriptionNotFoundError
from parlay_core._subscription import Subscription, TypeSubscription

__all__ = ["SubscriptionTable"]

_CACHE_LIMIT = 4096


class SubscriptionTable:
    """Subscriptions by id, with an index on exact topic types and a per-topic recipient cache."""

    __slots__ = ("_by_id", "_by_topic_type", "_cache", "_others")

    def __init__(self) -> None:
        self._by_id: dict[str, Subscription] = {}
        # Exact TypeSubscriptions are the common case: index them by topic type. Anything else
        # (prefix or user-defined subscriptions) is checked one by one on a cache miss.
        self._by_topic_type: dict[str, list[Subscription]] = {}
        self._others: list[Subscription] = []
        self._cache: dict[TopicId, tuple[AgentId, ...]] = {}

    def __contains__(self, subscription_id: str) -> bool:
        return subscription_id in self._by_id

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, subscription: Subscription) -> bool:
        """Add a subscription; return False (and change nothing) if an equal one is present."""
        if subscription.id in self._by_id or any(subscription == s for s in self._by_id.values()):
            return False
        self._by_id[subscription.id] = subscription
        if type(subscription) is TypeSubscription or (
            isinstance(subscription, TypeSubscription)
            and type(subscription).is_match is TypeSubscription.is_match
        ):
            self._by_topic_type.setdefault(subscription.topic_type, []).append(subscription)
        else:
            self._others.append(subscription)
        self._cache.clear()
        return True

    def remove(self, subscription_id: str) -> Subscription:
        """Remove a subscription by id.

        Raises:
            SubscriptionNotFoundError: No subscription has that id.
        """
        subscription = self._by_id.pop(subscription_id, None)
        if subscription is None:
            raise SubscriptionNotFoundError(
                f"No subscription with id {subscription_id!r}. Use the id of a subscription you added "
                "(subscription.id)."
            )
        if isinstance(subscription, TypeSubscription) and subscription in self._by_topic_type.get(
            subscription.topic_type, []
        ):
            self._by_topic_type[subscription.topic_type].remove(subscription)
        else:
            self._others.remove(subscription)
        self._cache.clear()
        return subscription

    def recipients(self, topic_id: TopicId) -> tuple[AgentId, ...]:
        """The distinct agents that receive a message published to ``topic_id``, in subscription order."""
        cached = self._cache.get(topic_id)
        if cached is not None:
            return cached
        found: dict[AgentId, None] = {}
        for subscription in self._by_topic_type.get(topic_id.type, ()):
            found[subscription.map_to_agent(topic_id)] = None
        for subscription in self._others:
            if subscription.is_match(topic_id):
                found[subscription.map_to_agent(topic_id)] = None
        result = tuple(found)
        if len(self._cache) >= _CACHE_LIMIT:
            # Topic sources are often per conversation and unbounded: forget rather than grow.
            self._cache.clear()
        self._cache[topic_id] = result
        return result
