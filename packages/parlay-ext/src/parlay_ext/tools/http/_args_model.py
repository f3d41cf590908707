"""Turn an HTTP tool's JSON schema into the pydantic model that validates the model's arguments.

The schema stays what the model sees; the model built here only checks calls against it, so
that a bad call is refused (with field-by-field errors) before any request leaves the process.
Supported: ``type`` (one or a list), ``properties``/``required``/``default``, nested objects,
``items``, ``enum``/``const``, ``anyOf``/``oneOf``, a single ``allOf``, local ``$ref`` and the
usual string, number and array bounds. Keywords that restrict values in other ways are refused,
since ignoring them would let through calls the schema forbids; annotations such as ``format``
or ``examples`` are ignored, as JSON Schema allows.
"""

from __future__ import annotations

import typing
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from parlay_core._exceptions import ToolSchemaError
from parlay_core.tools._schema import inline_refs

__all__ = ["args_model_from_json_schema", "dump_args"]

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}
_BOUNDS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_length",
    "maxItems": "max_length",
    "pattern": "pattern",
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "multipleOf": "multiple_of",
}
_REFUSED = (
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "patternProperties",
    "propertyNames",
    "prefixItems",
    "contains",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)


def _annotation(schema: Mapping[str, Any], name: str) -> Any:
    refused = [key for key in _REFUSED if key in schema]
    if refused:
        raise ToolSchemaError(
            f"The JSON schema of {name!r} uses {refused}, which the HTTP tool cannot check. "
            "Remove these keywords or describe the constraint in the description."
        )
    if "const" in schema:
        return Literal[schema["const"]]  # type: ignore[valid-type]
    if "enum" in schema:
        return Literal[tuple(typing.cast("list[Any]", schema["enum"]))]  # type: ignore[valid-type]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = typing.cast("list[Mapping[str, Any]]", schema[key])
            members = [_annotation(o, f"{name}_{i}") for i, o in enumerate(options)]
            return Union[tuple(members)]  # type: ignore[valid-type]
    if "allOf" in schema:
        parts = typing.cast("list[Mapping[str, Any]]", schema["allOf"])
        if len(parts) != 1:
            raise ToolSchemaError(
                f"The JSON schema of {name!r} combines {len(parts)} schemas with allOf, which "
                "the HTTP tool cannot check. Merge them into one object schema."
            )
        return _annotation({**parts[0], **{k: v for k, v in schema.items() if k != "allOf"}}, name)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = typing.cast("list[str]", kind)
        members = [_annotation({**schema, "type": k}, name) for k in kinds]
        return Union[tuple(members)]  # type: ignore[valid-type]
    if kind == "object" or (kind is None and "properties" in schema):
        if "properties" not in schema:
            return dict[str, Any]
        return _object_model(schema, name, ())
    if kind == "array":
        items: object = schema.get("items")
        item: Any = Any
        if isinstance(items, Mapping):
            item = _annotation(typing.cast("Mapping[str, Any]", items), f"{name}_item")
        return _bounded(list[item], schema)  # pyright: ignore[reportInvalidTypeArguments]
    if kind is None:
        return Any
    if kind not in _SCALARS:
        raise ToolSchemaError(f"The JSON schema of {name!r} has an unknown type {kind!r}.")
    return _bounded(_SCALARS[kind], schema)


def _bounded(base: Any, schema: Mapping[str, Any]) -> Any:
    bounds = {
        _BOUNDS[key]: value
        for key, value in schema.items()
        if key in _BOUNDS and not isinstance(value, bool)
    }
    # Draft 4 wrote exclusive bounds as booleans that turn minimum/maximum exclusive.
    for flag, inclusive, exclusive in (
        ("exclusiveMinimum", "ge", "gt"),
        ("exclusiveMaximum", "le", "lt"),
    ):
        if schema.get(flag) is True and inclusive in bounds:
            bounds[exclusive] = bounds.pop(inclusive)
    return Annotated[base, Field(**bounds)] if bounds else base


def _object_model(
    schema: Mapping[str, Any], name: str, also_required: Collection[str]
) -> type[BaseModel]:
    properties = typing.cast("Mapping[str, Mapping[str, Any]]", schema.get("properties", {}))
    required = set(typing.cast("list[str]", schema.get("required", []))) | set(also_required)
    fields: dict[str, Any] = {}
    # Property names need not be Python identifiers ("user-id", "class", "schema"): every field
    # gets a neutral name and the property name as its alias.
    for index, (prop, prop_schema) in enumerate(properties.items()):
        annotation = _annotation(prop_schema, f"{name}.{prop}")
        description = prop_schema.get("description")
        if prop in required:
            field = Field(alias=prop, description=description)
        else:
            field = Field(default=prop_schema.get("default"), alias=prop, description=description)
        fields[f"field_{index}"] = (annotation, field)
    extra = schema.get("additionalProperties")
    # An open schema keeps the model's extra arguments only when it says so explicitly; by
    # default they are dropped, so a model cannot add parameters the tool never declared.
    mode: Literal["forbid", "allow", "ignore"] = (
        "forbid" if extra is False else "allow" if extra not in (None, False) else "ignore"
    )
    config = ConfigDict(extra=mode, populate_by_name=False)
    model: type[BaseModel] = create_model(name.replace(".", "_"), __config__=config, **fields)
    return model


def args_model_from_json_schema(
    json_schema: Mapping[str, Any], name: str, required: Collection[str] = ()
) -> type[BaseModel]:
    """Build the model that validates a tool's arguments against its JSON schema.

    Args:
        json_schema: An object schema: ``properties``, ``required`` and so on.
        name: The tool name, used in the model's name and in errors.
        required: More argument names that must be given (the path parameters).

    Raises:
        ToolSchemaError: The schema is not an object schema, refers to itself, or uses a
            keyword that cannot be checked.
    """
    if json_schema.get("type", "object") != "object":
        raise ToolSchemaError(
            f"The json_schema of tool {name!r} must describe an object (type 'object'), since "
            "a model passes its arguments as a JSON object."
        )
    try:
        return _object_model(inline_refs(json_schema), f"{name}_args", required)
    except ToolSchemaError:
        raise
    except Exception as exc:
        raise ToolSchemaError(
            f"Cannot build an argument check from the json_schema of tool {name!r}: {exc}"
        ) from exc


def dump_args(args: BaseModel) -> dict[str, Any]:
    """Return the arguments under their property names, leaving out optional ones not given."""
    data = args.model_dump(mode="json", by_alias=True)
    fields = type(args).model_fields
    given = {fields[name].alias or name for name in args.model_fields_set if name in fields}
    given |= set(args.model_extra or {})
    return {key: value for key, value in data.items() if key in given or value is not None}
