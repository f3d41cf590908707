"""The one place redis-py is imported; a missing package names the extra to install."""

from __future__ import annotations

from parlay_ext.models._common import missing_sdk

try:
    import redis
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("redis", "redis", _error) from _error

__all__ = ["redis"]
