"""The one place ``httpx`` is imported; a missing package names the extra to install."""

from __future__ import annotations

try:
    import httpx
except ImportError as _error:  # pragma: no cover - exercised in an environment without httpx
    raise ImportError(
        f"The HTTP tool needs the 'httpx' package, which is not installed ({_error}). Install "
        'it with: pip install "parlay-ext[http]"'
    ) from _error

__all__ = ["httpx"]
