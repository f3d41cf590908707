"""Build the pydantic model that checks values against a JSON object schema.

Used where a schema arrives as data and values must be held to it: an HTTP tool's arguments
(parlay-ext) and a structured-output content model loaded from a config (parlay-agentchat).
Supported: ``type`` (one or a list), ``properties``/``required``/``default``,
``additionalProperties``, nested objects, ``items``, ``enum``/``const``, ``anyOf``/``oneOf``, a
single ``allOf``, local ``$ref`` into ``$defs`` or ``definitions``, and the string, number and
array bounds (draft 4's boolean ``exclusiveMinimum``/``exclusiveMaximum`` included). Keywords
that restrict values in ways the model cannot check are refused, since ignoring them would let
through values the schema forbids; annotations such as ``format`` or ``examples`` are ignored,
as JSON Schema allows.
"""

from __future__ import annotations

import keyword
import re
import typing
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from parlay_core._exceptions import ToolSchemaError

__all__ = ["class_name", "model_from_json_schema"]

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}
_NUMBER_BOUNDS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "multipleOf": "multiple_of",
}
# A bound applies only to values of its own type, as in JSON Schema, so that
# {"type": ["integer", "null"], "minimum": 1} bounds the integer and still accepts null.
_BOUNDS: dict[str, dict[str, str]] = {
    "string": {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"},
    "integer": _NUMBER_BOUNDS,
    "number": _NUMBER_BOUNDS,
    "array": {"minItems": "min_length", "maxItems": "max_length"},
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
    "unevaluatedProperties",
    "minProperties",
    "maxProperties",
    "prefixItems",
    "additionalItems",
    "unevaluatedItems",
    "contains",
    "uniqueItems",
)
_DEFS_PREFIXES = ("#/$defs/", "#/definitions/")
# Keys beside a $ref that only annotate it: the referenced definition is then built once and
# shared, so a model used in several places is one class (and one entry in its JSON schema).
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "deprecated", "$comment"})


def class_name(text: str) -> str:
    """Turn a title, definition name or path into a class name.

    Args:
        text: Any text.

    Returns:
        An identifier that starts with a capital letter and is not a keyword.
    """
    cleaned = re.sub(r"\W+", "_", text).strip("_") or "Model"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = f"M_{cleaned}"
    return cleaned[0].upper() + cleaned[1:]


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _Builder:
    def __init__(
        self, root: Mapping[str, Any], subject: str, *, aliased: bool, nullable_optional: bool
    ) -> None:
        self._root = root
        self._subject = subject
        self._aliased = aliased
        self._nullable_optional = nullable_optional
        self._shared: dict[str, Any] = {}
        self._resolving: list[str] = []

    def error(self, message: str) -> ToolSchemaError:
        return ToolSchemaError(f"{self._subject} {message}")

    def annotation(self, schema: Mapping[str, Any], pointer: str, name: str) -> Any:
        refused = [key for key in _REFUSED if key in schema]
        if refused:
            raise self.error(
                f"uses {refused} at {pointer!r}, which cannot be checked. Remove these "
                "keywords or describe the constraint in the description."
            )
        if "$ref" in schema:
            return self.reference(schema, pointer)
        if "const" in schema:
            return Literal[schema["const"]]  # type: ignore[valid-type]
        if "enum" in schema:
            return Literal[tuple(typing.cast("list[Any]", schema["enum"]))]  # type: ignore[valid-type]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = typing.cast("list[Mapping[str, Any]]", schema[key])
                members = [
                    self.annotation(option, f"{pointer}/{key}/{i}", f"{name}_{i}")
                    for i, option in enumerate(options)
                ]
                return Union[tuple(members)]  # type: ignore[valid-type]
        if "allOf" in schema:
            parts = typing.cast("list[Mapping[str, Any]]", schema["allOf"])
            if len(parts) != 1:
                raise self.error(
                    f"combines {len(parts)} schemas with allOf at {pointer!r}, which cannot "
                    "be checked. Merge them into one schema."
                )
            merged = {**parts[0], **{k: v for k, v in schema.items() if k != "allOf"}}
            return self.annotation(merged, pointer, name)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = typing.cast("list[str]", kind)
            members = [self.annotation({**schema, "type": k}, pointer, name) for k in kinds]
            return Union[tuple(members)]  # type: ignore[valid-type]
        if kind == "object" or (kind is None and "properties" in schema):
            return self.object(schema, pointer, name)
        if kind == "array":
            return self.bounded(self.array(schema, pointer, name), "array", schema)
        if kind is None:
            return Any
        if kind not in _SCALARS:
            raise self.error(f"has an unknown type {kind!r} at {pointer!r}.")
        return self.bounded(_SCALARS[kind], kind, schema)

    def reference(self, schema: Mapping[str, Any], pointer: str) -> Any:
        ref = str(schema["$ref"])
        prefix = next((p for p in _DEFS_PREFIXES if ref.startswith(p)), None)
        container = "$defs" if prefix == "#/$defs/" else "definitions"
        defs = typing.cast("Mapping[str, Any]", self._root.get(container, {}))
        key = ref[len(prefix) :].replace("~1", "/").replace("~0", "~") if prefix else ""
        if prefix is None or key not in defs:
            raise self.error(
                f"refers to {ref!r} at {pointer!r}, which is not one of its $defs or definitions."
            )
        if ref in self._resolving:
            raise self.error(
                f"refers to {ref!r} at {pointer!r}, inside that definition itself, which "
                "cannot be checked. Flatten the recursive field into a list or a string."
            )
        target = typing.cast("Mapping[str, Any]", defs[key])
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        shared = set(siblings) <= _ANNOTATIONS
        if shared and ref in self._shared:
            return self._shared[ref]
        self._resolving.append(ref)
        try:
            built = self.annotation({**target, **siblings}, ref, class_name(key))
        finally:
            self._resolving.pop()
        if shared:
            self._shared[ref] = built
        return built

    def object(self, schema: Mapping[str, Any], pointer: str, name: str) -> Any:
        extra = schema.get("additionalProperties")
        if "properties" not in schema and extra is not False:
            if isinstance(extra, Mapping):
                values = typing.cast("Mapping[str, Any]", extra)
                value = self.annotation(values, f"{pointer}/additionalProperties", f"{name}_value")
                return dict[str, value]  # type: ignore[valid-type]
            return dict[str, Any]
        title = schema.get("title")
        return self.model(schema, pointer, class_name(str(title) if title else name))

    def array(self, schema: Mapping[str, Any], pointer: str, name: str) -> Any:
        items: object = schema.get("items")
        if isinstance(items, list):
            raise self.error(
                f"gives the items at {pointer!r} as a list (tuple validation), which cannot "
                "be checked. Describe every item with one schema."
            )
        if isinstance(items, Mapping) and items:
            item_schema = typing.cast("Mapping[str, Any]", items)
            item = self.annotation(item_schema, f"{pointer}/items", f"{name}_item")
            return list[item]  # type: ignore[valid-type]
        return list[Any]

    def bounded(self, base: Any, kind: str, schema: Mapping[str, Any]) -> Any:
        table = _BOUNDS.get(kind, {})
        bounds = {
            table[key]: value
            for key, value in schema.items()
            if key in table and not isinstance(value, bool)
        }
        # Draft 4 wrote exclusive bounds as booleans that turn minimum/maximum exclusive.
        for flag, inclusive, exclusive in (
            ("exclusiveMinimum", "ge", "gt"),
            ("exclusiveMaximum", "le", "lt"),
        ):
            if kind in ("integer", "number") and schema.get(flag) is True and inclusive in bounds:
                bounds[exclusive] = bounds.pop(inclusive)
        return Annotated[base, Field(**bounds)] if bounds else base

    def model(
        self,
        schema: Mapping[str, Any],
        pointer: str,
        name: str,
        also_required: Collection[str] = (),
    ) -> type[BaseModel]:
        properties = typing.cast("Mapping[str, Mapping[str, Any]]", schema.get("properties", {}))
        required = set(typing.cast("list[str]", schema.get("required", []))) | set(also_required)
        fields: dict[str, Any] = {}
        for index, (prop, prop_schema) in enumerate(properties.items()):
            where = f"{pointer}/properties/{_pointer_token(prop)}"
            annotation = self.annotation(prop_schema, where, f"{name}_{prop}")
            description = prop_schema.get("description")
            # Property names need not be Python identifiers ("user-id", "class", "schema"):
            # aliased fields get a neutral name and the property name as their alias.
            alias = prop if self._aliased else None
            if prop in required:
                field = Field(alias=alias, description=description)
            else:
                if self._nullable_optional:
                    annotation = annotation | None
                default = prop_schema.get("default")
                field = Field(default=default, alias=alias, description=description)
            fields[f"field_{index}" if self._aliased else prop] = (annotation, field)
        extra = schema.get("additionalProperties")
        # Undeclared properties are kept only when the schema says so; by default they are
        # dropped, so nothing the schema never declared reaches the caller.
        mode: Literal["forbid", "allow", "ignore"] = (
            "forbid" if extra is False else "ignore" if extra is None else "allow"
        )
        config = ConfigDict(extra=mode, populate_by_name=False)
        return create_model(name, __config__=config, __doc__=schema.get("description"), **fields)


def model_from_json_schema(
    schema: Mapping[str, Any],
    name: str,
    *,
    subject: str,
    aliased: bool,
    nullable_optional: bool,
    required: Collection[str] = (),
) -> type[BaseModel]:
    """Build the model that checks values against an object JSON schema.

    Args:
        schema: An object schema (``type`` ``"object"`` or no ``type``).
        name: The model's class name, used as given; nested models are named after their
            ``title``, their definition's name or their place in the schema.
        subject: How errors name the schema, at the start of a sentence (for example
            ``"The json_schema of tool 'search'"``).
        aliased: Give every field a neutral name (``field_0``, ...) and the property name as
            its alias, so any property name works; validate and dump by alias. Otherwise the
            fields carry the property names themselves, for code that reads them as attributes.
        nullable_optional: Let properties that are not required also be ``None``, as models
            that fill them in often write ``null`` for "not given".
        required: More property names that must be given, beside the schema's ``required``.

    Returns:
        The model class.

    Raises:
        ToolSchemaError: The schema is not an object schema, refers to a definition it lacks
            or to itself, uses a keyword that cannot be checked, or cannot be built otherwise.
            The message names the place in the schema as a JSON pointer.
    """
    kind = schema.get("type", "object")
    if kind != "object":
        raise ToolSchemaError(f"{subject} must describe an object (type 'object'), not {kind!r}.")
    builder = _Builder(schema, subject, aliased=aliased, nullable_optional=nullable_optional)
    try:
        return builder.model(schema, "#", name, required)
    except ToolSchemaError:
        raise
    except Exception as exc:
        # pydantic refuses some schemas only while building: a bad pattern, a bound on a type
        # it does not fit, a property name it reserves.
        raise ToolSchemaError(f"{subject} cannot be turned into a model: {exc}") from exc
