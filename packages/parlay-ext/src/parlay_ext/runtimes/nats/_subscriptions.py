"""The shared subscription table: a key-value bucket that every worker mirrors into its host.

Only the two subscription kinds with a portable meaning cross processes: ``TypeSubscription``
(and ``DefaultSubscription``) and ``TypePrefixSubscription``. Records are keyed by content, so
equal subscriptions added by several workers (each worker of a type adds the ``"<type>:"``
direct-topic subscription) are one record, and removing it removes it everywhere.
"""

from __future__ import annotations

import json
from typing import Any, cast

from parlay_core import Subscription, TypePrefixSubscription, TypeSubscription
from parlay_core.exceptions import SerializationError
from parlay_core.hosting import SubscriptionTable
from parlay_ext.runtimes.nats._kv import KVEvent, KVMirror
from parlay_ext.runtimes.nats._sdk import KeyValue
from parlay_ext.runtimes.nats._wire import token

__all__ = ["SharedSubscriptions", "subscription_record"]


def subscription_record(subscription: Subscription) -> tuple[str, bytes]:
    """The bucket key and value that describe ``subscription``.

    Raises:
        SerializationError: The subscription is of a kind that cannot be shared.
    """
    cls = type(subscription)
    # Subclasses count only if they keep the base class's matching (DefaultSubscription does).
    if isinstance(subscription, TypeSubscription) and cls.is_match is TypeSubscription.is_match:
        kind, topic = "type", subscription.topic_type
    elif (
        isinstance(subscription, TypePrefixSubscription)
        and cls.is_match is TypePrefixSubscription.is_match
    ):
        kind, topic = "prefix", subscription.topic_type_prefix
    else:
        raise SerializationError(
            f"{cls.__name__} cannot be shared between workers: only TypeSubscription, "
            "DefaultSubscription and TypePrefixSubscription (without an overridden is_match) "
            "can. Express the routing with those."
        )
    agent_type = subscription.agent_type
    key = f"{kind}.{token(topic)}.{token(agent_type)}"
    value = {"id": subscription.id, "kind": kind, "topic": topic, "agent_type": agent_type}
    return key, json.dumps(value).encode()


def _from_record(data: bytes) -> Subscription:
    record = cast(dict[str, Any], json.loads(data))
    kind, topic = str(record["kind"]), str(record["topic"])
    agent_type, sub_id = str(record["agent_type"]), str(record["id"])
    if kind == "type":
        return TypeSubscription(topic, agent_type, id=sub_id)
    if kind == "prefix":
        return TypePrefixSubscription(topic, agent_type, id=sub_id)
    raise ValueError(f"unknown subscription kind {kind!r}")


class SharedSubscriptions:
    """Keeps a host's subscription table in step with the shared bucket.

    Args:
        table: The host's subscription table (``host.subscriptions``).
    """

    def __init__(self, table: SubscriptionTable) -> None:
        self._table = table
        self._kv: KeyValue | None = None
        self._mirror: KVMirror | None = None
        # bucket key -> id of the equal subscription in the local table
        self._local_ids: dict[str, str] = {}

    async def open(self, kv: KeyValue) -> None:
        """Share every local subscription, then mirror the bucket into the table."""
        self._kv = kv
        for subscription in list(self._table):
            key, value = subscription_record(subscription)
            self._local_ids.setdefault(key, subscription.id)
            await kv.put(key, value)
        self._mirror = KVMirror(kv, self._on_event, label="subscriptions")
        await self._mirror.start()

    async def resync(self) -> None:
        """Replay the bucket (after a reconnect)."""
        if self._mirror is not None:
            await self._mirror.restart()

    async def close(self) -> None:
        """Stop mirroring."""
        if self._mirror is not None:
            await self._mirror.stop()

    async def add(self, subscription: Subscription) -> None:
        """Add a subscription here and, once open, for every worker.

        Raises:
            SerializationError: The subscription cannot be shared.
        """
        key, value = subscription_record(subscription)
        if self._table.add(subscription):
            self._local_ids.setdefault(key, subscription.id)
        if self._kv is not None:
            await self._kv.put(key, value)

    async def remove(self, subscription_id: str) -> None:
        """Remove a subscription here and for every worker.

        Raises:
            SubscriptionNotFoundError: No subscription has that id here.
        """
        subscription = self._table.remove(subscription_id)
        key, _ = subscription_record(subscription)
        self._local_ids.pop(key, None)
        if self._kv is not None:
            await self._kv.delete(key)

    def _on_event(self, event: KVEvent) -> None:
        if event.value is None:
            local_id = self._local_ids.pop(event.key, None)
            if local_id is not None and local_id in self._table:
                self._table.remove(local_id)
            return
        if event.key in self._local_ids:
            return
        subscription = _from_record(event.value)
        if not self._table.add(subscription):
            # An equal subscription is already here under another id: remember that one.
            for existing in self._table:
                if existing == subscription:
                    subscription = existing
                    break
        self._local_ids[event.key] = subscription.id
