"""Every subject, stream and bucket name of a namespace, built in one place.

Workers of one namespace find each other only through these names, so they must be spelled the
same everywhere; a name used by two modules is a method here. Agent types, keys and worker ids
enter subjects through :func:`~parlay_ext.runtimes.nats._wire.token`, which keeps them to one
subject token whatever characters they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from parlay_ext.runtimes.nats._wire import token

__all__ = ["Subjects"]


@dataclass(frozen=True, slots=True)
class Subjects:
    """The names of one namespace.

    Args:
        namespace: The namespace (letters, digits, ``_`` and ``-``).
    """

    namespace: str

    def partition(self, agent_type: str, partition: int) -> str:
        """The subject prefix of one partition of an agent type (one more token: the key)."""
        return f"{self.namespace}.agent.{token(agent_type)}.{partition}"

    def agent(self, agent_type: str, partition: int, key: str) -> str:
        """The subject that reaches one agent."""
        return f"{self.partition(agent_type, partition)}.{token(key)}"

    @property
    def cancel(self) -> str:
        """Where a caller announces that it cancelled a call."""
        return f"{self.namespace}.cancel"

    def replies(self, worker_id: str) -> str:
        """Where a worker receives the replies to its durable calls."""
        return f"{self.namespace}.reply.{token(worker_id)}"

    @property
    def work_stream(self) -> str:
        """The work-queue stream of durable mode."""
        return f"{self.namespace}_work"

    @property
    def work_all(self) -> str:
        """The subjects the work-queue stream takes in."""
        return f"{self.namespace}.work.>"

    def work_partition(self, agent_type: str, partition: int) -> str:
        """The durable subject prefix of one partition (one more token: the key)."""
        return f"{self.namespace}.work.{token(agent_type)}.{partition}"

    def work(self, agent_type: str, partition: int, key: str) -> str:
        """The durable subject of one agent."""
        return f"{self.work_partition(agent_type, partition)}.{token(key)}"

    @property
    def subscriptions_bucket(self) -> str:
        """The key-value bucket of the shared subscription table."""
        return f"{self.namespace}_subscriptions"

    @property
    def leases_bucket(self) -> str:
        """The key-value bucket of partition leases."""
        return f"{self.namespace}_leases"

    @property
    def workers_bucket(self) -> str:
        """The key-value bucket of live workers and the types they host."""
        return f"{self.namespace}_workers"
