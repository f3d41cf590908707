"""What a runtime built on Parlay's hosting core uses: the public surface for extenders.

A runtime (the in-process one, the NATS runtime in ``parlay-ext``, or one of your own) is a
transport around an :class:`AgentHost`: the host registers agents, creates them lazily, matches
subscriptions and calls handlers; the runtime decides where a message goes. The pieces here are
what such a runtime needs beyond the public API of ``parlay_core``:

* :class:`AgentHost`: registry, lazy instantiation, subscriptions and dispatch.
* :class:`DeliveryTracking`: outstanding-work counting for ``stop_when_idle()`` and
  ``stop_when()``, and the kept exception of ``ignore_unhandled_exceptions=False``.
* :class:`SubscriptionTable`: the subscription index a host matches topics with.
* :class:`CancelScope`: cancel the current task when a :class:`~parlay_core.CancellationToken`
  is cancelled (remove it again with :meth:`~parlay_core.CancellationToken.remove_callback`).
* :func:`wire_type_name`: the name a message type travels under between processes.
* :func:`get_tracer`: the OpenTelemetry tracer a runtime's spans use, or None.
"""

from parlay_core._cancellation_token import CancelScope
from parlay_core._delivery_tracking import DeliveryTracking
from parlay_core._hosting import AgentHost
from parlay_core._serialization import wire_type_name
from parlay_core._subscription_table import SubscriptionTable
from parlay_core._telemetry import get_tracer

__all__ = [
    "AgentHost",
    "CancelScope",
    "DeliveryTracking",
    "SubscriptionTable",
    "get_tracer",
    "wire_type_name",
]
