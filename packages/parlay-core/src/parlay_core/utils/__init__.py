"""Utilities for working with models and model output.

:func:`schema_to_pydantic_model` turns a JSON schema (for example one a config or a tool server
supplies) into a pydantic model that checks values against it; :func:`extract_json_from_str`
reads the JSON objects a model wrote, bare or in fenced code blocks; :func:`construct_model`
builds a pydantic model from trusted values faster than ``model_construct`` (for message
classes created on hot paths).

For packages that build their own schema-checked models (tool arguments, structured output),
:func:`model_from_json_schema` is the builder behind :func:`schema_to_pydantic_model` with every
choice exposed, :func:`model_class_name` turns a title into a class name, and
:func:`inline_refs` writes ``$ref``-erenced definitions out in place for providers that refuse
``$ref``.
"""

from parlay_core._construct import construct_model
from parlay_core._exceptions import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    SchemaConversionError,
    UnsupportedKeywordError,
)
from parlay_core.tools._schema import inline_refs
from parlay_core.tools._schema_model import class_name as model_class_name
from parlay_core.tools._schema_model import model_from_json_schema
from parlay_core.utils._json_extraction import extract_json_from_str
from parlay_core.utils._schema_to_pydantic import schema_to_pydantic_model

__all__ = [
    "FormatNotSupportedError",
    "ReferenceNotFoundError",
    "SchemaConversionError",
    "UnsupportedKeywordError",
    "construct_model",
    "extract_json_from_str",
    "inline_refs",
    "model_class_name",
    "model_from_json_schema",
    "schema_to_pydantic_model",
]
