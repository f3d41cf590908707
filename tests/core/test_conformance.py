"""The shared runtime conformance tests, run against the in-process runtime (fixture in conftest)."""

from __future__ import annotations

from tests.conformance.closure import *  # noqa: F403
from tests.conformance.events import *  # noqa: F403
from tests.conformance.publish import *  # noqa: F403
from tests.conformance.registration import *  # noqa: F403
from tests.conformance.routing import *  # noqa: F403
from tests.conformance.rpc import *  # noqa: F403
