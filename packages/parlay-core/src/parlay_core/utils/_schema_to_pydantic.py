"""Turn a JSON schema into a pydantic model (AutoGen's ``schema_to_pydantic_model``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from parlay_core.tools._schema_model import model_from_json_schema

__all__ = ["schema_to_pydantic_model"]


def schema_to_pydantic_model(
    schema: Mapping[str, Any], model_name: str = "GeneratedModel"
) -> type[BaseModel]:
    """Build a pydantic model that checks values against an object JSON schema.

    The fields carry the property names. A property that is not required may be left out or
    be ``null`` and defaults to its ``default`` (or ``None``). Supported: the JSON types;
    ``properties``, ``required``, ``default``, ``title``, ``description`` and
    ``additionalProperties``; nested objects and arrays (``items``); ``enum`` and ``const``
    (as ``Literal``); ``anyOf``/``oneOf``, with an OpenAPI ``discriminator``; ``allOf`` of
    object schemas, merged; ``$ref`` into ``$defs`` or ``definitions``, recursive ones included
    (so ``SomeModel.model_json_schema()`` round-trips); the string, number and array bounds; and
    ``format`` (``date-time``, ``date``, ``time``, ``duration``, ``uuid`` and ``uuid1``-``uuid5``,
    ``email``, ``uri``, ``hostname``, ``ipv4``/``ipv6`` and their ``-network`` forms, ``int32``,
    ``int64``, ``json``, and the other JSON Schema formats as plain strings). ``email`` uses
    pydantic's ``EmailStr`` when the email-validator package is installed, and a pattern check
    otherwise.

    Args:
        schema: The JSON schema of an object, for example ``SomeModel.model_json_schema()``.
        model_name: The class name of the model.

    Returns:
        The model class. Nested objects become models of their own.

    Raises:
        ReferenceNotFoundError: A ``$ref`` names a definition the schema lacks.
        FormatNotSupportedError: A ``format`` is unknown.
        UnsupportedKeywordError: A property has no type or an unknown one, or the schema uses a
            keyword whose constraint cannot be checked (``not``, ``if``, ``patternProperties``,
            ...), since ignoring it would accept values the schema forbids.
        SchemaConversionError: The schema cannot be built otherwise (the base class of the
            three above; also a ``ToolSchemaError`` and a ``ValueError``).

    Example:
        .. code-block:: python

            from parlay_core.utils import schema_to_pydantic_model

            User = schema_to_pydantic_model(
                {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                    "required": ["name"],
                },
                "User",
            )
            User(name="Ada").age  # None
    """
    return model_from_json_schema(
        schema,
        model_name,
        subject=f"The JSON schema of {model_name!r}",
        aliased=False,
        nullable_optional=True,
        formats=True,
        typed_properties=True,
    )
