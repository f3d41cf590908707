"""The one place ``markitdown`` is imported; a missing package names the extra."""

from __future__ import annotations

from parlay_ext.models._common import missing_sdk

try:
    from markitdown import (
        FileConversionException,
        MarkItDown,
        MissingDependencyException,
        StreamInfo,
        UnsupportedFormatException,
    )
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("file-surfer", "markitdown", _error) from _error

__all__ = [
    "FileConversionException",
    "MarkItDown",
    "MissingDependencyException",
    "StreamInfo",
    "UnsupportedFormatException",
]
