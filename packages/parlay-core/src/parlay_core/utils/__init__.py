"""Utilities for working with model output: JSON schemas as pydantic models, JSON in text.

:func:`schema_to_pydantic_model` turns a JSON schema (for example one a config or a tool server
supplies) into a pydantic model that checks values against it; :func:`extract_json_from_str`
reads the JSON objects a model wrote, bare or in fenced code blocks.
"""

from parlay_core._exceptions import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    SchemaConversionError,
    UnsupportedKeywordError,
)
from parlay_core.utils._json_extraction import extract_json_from_str
from parlay_core.utils._schema_to_pydantic import schema_to_pydantic_model

__all__ = [
    "FormatNotSupportedError",
    "ReferenceNotFoundError",
    "SchemaConversionError",
    "UnsupportedKeywordError",
    "extract_json_from_str",
    "schema_to_pydantic_model",
]
