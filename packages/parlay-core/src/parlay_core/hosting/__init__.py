"""What a runtime built on Parlay's hosting core uses: the public surface for extenders.

A runtime (the in-process one, the NATS runtime in ``parlay-ext``, or one of your own) is a
:class:`HostedRuntime` with a :class:`Transport`: the :class:`AgentHost` registers agents,
creates them lazily, matches subscriptions and calls handlers; the runtime layer implements the
whole ``AgentRuntime`` API over it (contexts, interventions, event logging, idle tracking, the
stops, agent access); the transport only says where an agent lives and carries the messages for
agents elsewhere. The pieces:

* :class:`HostedRuntime`: the runtime layer; subclass it, give it a transport and a ``start()``.
* :class:`Transport`: the seam; :class:`InProcessTransport` is the one where every agent is local.
* :class:`AgentHost`: registry, lazy instantiation, subscriptions and dispatch.
* :class:`DeliveryTracking`: outstanding-work counting for ``stop_when_idle()`` and
  ``stop_when()``, and the kept exception of ``ignore_unhandled_exceptions=False``.
* :class:`SubscriptionTable`: the subscription index a host matches topics with.
* :class:`CancelScope`: cancel the current task when a :class:`~parlay_core.CancellationToken`
  is cancelled (remove it again with :meth:`~parlay_core.CancellationToken.remove_callback`).
* :func:`start_batch`: run many short deliveries in one task (before Python 3.12, each task
  costs a loop iteration); the first that has to wait keeps the task, the rest go on in another.
* :func:`wire_type_name`: the name a message type travels under between processes.
* :func:`get_tracer`: the OpenTelemetry tracer a runtime's spans use, or None.
"""

from parlay_core._cancellation_token import CancelScope
from parlay_core._delivery_batch import start_batch
from parlay_core._delivery_tracking import DeliveryTracking
from parlay_core._hosted_runtime import HostedRuntime
from parlay_core._hosting import AgentHost
from parlay_core._serialization import wire_type_name
from parlay_core._subscription_table import SubscriptionTable
from parlay_core._telemetry import get_tracer
from parlay_core._transport import InProcessTransport, LocalDelivery, Transport

__all__ = [
    "AgentHost",
    "CancelScope",
    "DeliveryTracking",
    "HostedRuntime",
    "InProcessTransport",
    "LocalDelivery",
    "SubscriptionTable",
    "Transport",
    "get_tracer",
    "start_batch",
    "wire_type_name",
]
