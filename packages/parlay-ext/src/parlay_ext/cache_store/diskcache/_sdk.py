"""The one place the ``diskcache`` package is imported; a missing package names the extra."""

from __future__ import annotations

from typing import Any

from parlay_ext.models._common import missing_sdk

try:
    import diskcache  # type: ignore[import-untyped]
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("diskcache", "diskcache", _error) from _error

__all__ = ["PickledEntryError", "open_cache"]


class PickledEntryError(Exception):
    """Raised inside a read when an entry was pickled by another program; the store skips it."""


# diskcache has no type information, so its classes are Any here, once.
_Disk: Any = diskcache.Disk
_MODE_PICKLE: int = diskcache.core.MODE_PICKLE


class _NoPickleDisk(_Disk):  # type: ignore[misc]
    """diskcache's storage with unpickling refused, so reading a cache folder runs no code."""

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == _MODE_PICKLE:
            raise PickledEntryError
        parent: Any = super()
        return parent.fetch(mode, filename, value, read)


def open_cache(directory: str) -> Any:
    """Open (creating if needed) the ``diskcache.Cache`` in ``directory`` with pickling refused."""
    return diskcache.Cache(directory, disk=_NoPickleDisk)
