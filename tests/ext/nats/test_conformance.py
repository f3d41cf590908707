"""The shared runtime conformance tests, run against the NATS runtime.

The fixture's worker routes even its own agents' messages through NATS (``loopback=True``), so
every test here crosses the wire: serialization, subjects, partition leases, request/reply and
the shared subscription bucket.
"""

from __future__ import annotations

from tests.conformance.closure import *  # noqa: F403
from tests.conformance.events import *  # noqa: F403
from tests.conformance.publish import *  # noqa: F403
from tests.conformance.registration import *  # noqa: F403
from tests.conformance.routing import *  # noqa: F403
from tests.conformance.rpc import *  # noqa: F403
