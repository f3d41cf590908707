"""The one place the ``anthropic`` SDK is imported; a missing SDK names the extra to install."""

from __future__ import annotations

from parlay_ext.models._common import missing_sdk

try:
    import anthropic
    from anthropic import AsyncAnthropic
    from anthropic.types import Message, RawMessageStreamEvent
except ImportError as _error:  # pragma: no cover - exercised in an environment without the SDK
    raise missing_sdk("anthropic", "anthropic", _error) from _error

__all__ = ["AsyncAnthropic", "Message", "RawMessageStreamEvent", "anthropic"]
