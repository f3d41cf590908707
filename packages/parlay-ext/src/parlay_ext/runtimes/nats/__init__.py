"""A distributed agent runtime on NATS with JetStream (``pip install "parlay-ext[nats]"``).

Run one :class:`NatsWorkerAgentRuntime` per process; workers that share a NATS server and a
namespace form one runtime. Agents are addressed exactly as in process (``AgentId``,
``TopicId``), created lazily on the worker that holds their partition, and reached by NATS
request/reply with a deadline::

    runtime = NatsWorkerAgentRuntime("nats://127.0.0.1:4222")
    await Worker.register(runtime, "worker", Worker)
    await runtime.start()

:class:`NatsKVStateStore` keeps agent state in a JetStream key-value bucket that every worker
reaches, so agents that move between workers keep their state. :class:`ConnectionSettings` holds
how a worker reaches NATS, as one ``connection=`` argument. See ``docs/distributed.md`` for
deployment, delivery guarantees and sizing.
"""

from parlay_ext.runtimes.nats._connection import ConnectionSettings
from parlay_ext.runtimes.nats._runtime import NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._state_store import NatsKVStateStore

__all__ = ["ConnectionSettings", "NatsKVStateStore", "NatsWorkerAgentRuntime"]
