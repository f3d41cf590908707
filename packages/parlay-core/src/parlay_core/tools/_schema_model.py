"""Build the pydantic model that checks values against a JSON object schema.

Used where a schema arrives as data and values must be held to it: an HTTP tool's arguments
(parlay-ext), a structured-output content model loaded from a config (parlay-agentchat) and
:func:`parlay_core.utils.schema_to_pydantic_model`. Supported: ``type`` (one or a list),
``properties``/``required``/``default``/``title``, ``additionalProperties``, nested objects,
``items``, ``enum``/``const``, ``anyOf``/``oneOf`` (with an OpenAPI ``discriminator``), ``allOf``
of one schema or of object schemas (their properties merged), local ``$ref`` into ``$defs`` or
``definitions`` (recursive ones included, and at the root as pydantic writes them), and the
string, number and array bounds (draft 4's boolean ``exclusiveMinimum``/``exclusiveMaximum``
included). Keywords that restrict values in ways the model cannot check are refused, since
ignoring them would let through values the schema forbids; annotations such as ``examples`` are
ignored, as JSON Schema allows, and so is ``format`` unless the caller asks for formats to be
checked.
"""

from __future__ import annotations

import keyword
import re
import typing
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from parlay_core._exceptions import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    SchemaConversionError,
    ToolSchemaError,
    UnsupportedKeywordError,
)
from parlay_core.tools._schema_formats import format_type

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
# Keywords that say what type a value has; a property with none of them has no type.
_TYPING_KEYWORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "properties")


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
        self,
        root: Mapping[str, Any],
        subject: str,
        *,
        aliased: bool,
        nullable_optional: bool,
        formats: bool,
        typed_properties: bool,
    ) -> None:
        self._root = root
        self._subject = subject
        self._aliased = aliased
        self._nullable_optional = nullable_optional
        self._formats = formats
        self._typed_properties = typed_properties
        self._shared: dict[str, Any] = {}
        self._resolving: list[str] = []
        # A definition that refers to itself gets a forward reference by a name of ours while it
        # is built; the models are rebuilt with these names bound once everything exists.
        self._placeholders: dict[str, str] = {}
        self._namespace: dict[str, Any] = {}
        self._models: list[type[BaseModel]] = []

    def error(
        self, message: str, kind: type[SchemaConversionError] = SchemaConversionError
    ) -> SchemaConversionError:
        return kind(f"{self._subject} {message}")

    def build_root(
        self, schema: Mapping[str, Any], name: str, also_required: Collection[str]
    ) -> type[BaseModel]:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            # pydantic writes the schema of a recursive model as a $ref to its definition.
            target = self.definition(ref, "#")
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            self._resolving.append(ref)
        if "allOf" in schema:
            schema = self.merge_all_of(schema, "#")
        kind = schema.get("type", "object")
        if kind != "object":
            raise self.error(f"must describe an object (type 'object'), not {kind!r}.")
        model = self.model(schema, "#", name, also_required)
        if isinstance(ref, str):
            self._resolving.pop()
            self.bind(ref, model)
        for built in self._models:
            if not built.__pydantic_complete__:
                built.model_rebuild(force=True, _types_namespace=self._namespace)
        return model

    def bind(self, ref: str, built: Any) -> None:
        placeholder = self._placeholders.get(ref)
        if placeholder is not None and placeholder not in self._namespace:
            self._namespace[placeholder] = built

    def annotation(self, schema: Mapping[str, Any], pointer: str, name: str) -> Any:
        refused = [key for key in _REFUSED if key in schema]
        if refused:
            raise self.error(
                f"uses {refused} at {pointer!r}, which cannot be checked. Remove these "
                "keywords or describe the constraint in the description.",
                UnsupportedKeywordError,
            )
        if "$ref" in schema:
            return self.reference(schema, pointer)
        if "const" in schema:
            return Literal[schema["const"]]
        if "enum" in schema:
            return Literal[tuple(typing.cast("list[Any]", schema["enum"]))]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = typing.cast("list[Mapping[str, Any]]", schema[key])
                members = [
                    self.member(option, f"{pointer}/{key}/{i}", f"{name}_{i}")
                    for i, option in enumerate(options)
                ]
                return self.discriminated(members, schema)
        if "allOf" in schema:
            return self.annotation(self.merge_all_of(schema, pointer), pointer, name)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = typing.cast("list[str]", kind)
            members = [self.annotation({**schema, "type": k}, pointer, name) for k in kinds]
            return Union[tuple(members)]
        if kind == "object" or (kind is None and "properties" in schema):
            return self.object(schema, pointer, name)
        if kind == "array":
            return self.bounded(self.array(schema, pointer, name), "array", schema)
        if kind is None:
            return Any
        if kind not in _SCALARS:
            raise self.error(
                f"has an unknown type {kind!r} at {pointer!r}.", UnsupportedKeywordError
            )
        return self.scalar(kind, schema, pointer)

    def member(self, schema: Mapping[str, Any], pointer: str, name: str) -> Any:
        if self._typed_properties and not any(key in schema for key in _TYPING_KEYWORDS):
            raise self.error(f"gives no type at {pointer!r}.", UnsupportedKeywordError)
        return self.annotation(schema, pointer, name)

    def discriminated(self, members: list[Any], schema: Mapping[str, Any]) -> Any:
        union: Any = Union[tuple(members)]
        found: object = schema.get("discriminator")
        if not isinstance(found, Mapping):
            return union
        discriminator = typing.cast("Mapping[str, Any]", found).get("propertyName")
        # pydantic picks the member by that property only when every member is a model.
        if isinstance(discriminator, str) and all(
            isinstance(m, type) and issubclass(m, BaseModel) for m in members
        ):
            return Annotated[union, Field(discriminator=discriminator)]
        return union

    def scalar(self, kind: str, schema: Mapping[str, Any], pointer: str) -> Any:
        fmt = schema.get("format")
        if not self._formats or fmt is None or kind in ("boolean", "null"):
            return self.bounded(_SCALARS[kind], kind, schema)
        checked = format_type(str(fmt))
        if checked is None:
            raise self.error(
                f"uses the unknown format {fmt!r} at {pointer!r}. Remove it or use a format "
                "JSON Schema or OpenAPI defines.",
                FormatNotSupportedError,
            )
        base = typing.get_args(checked)[0] if typing.get_origin(checked) is Annotated else checked
        # Bounds fit a format whose values are plain strings or numbers, not dates or UUIDs.
        return self.bounded(checked, kind, schema) if base in (str, int, float) else checked

    def definition(self, ref: str, pointer: str) -> Mapping[str, Any]:
        prefix = next((p for p in _DEFS_PREFIXES if ref.startswith(p)), None)
        container = "$defs" if prefix == "#/$defs/" else "definitions"
        defs = typing.cast("Mapping[str, Any]", self._root.get(container, {}))
        key = ref[len(prefix) :].replace("~1", "/").replace("~0", "~") if prefix else ""
        if prefix is None or key not in defs:
            raise self.error(
                f"refers to {ref!r} at {pointer!r}, which is not one of its $defs or definitions.",
                ReferenceNotFoundError,
            )
        return typing.cast("Mapping[str, Any]", defs[key])

    def reference(self, schema: Mapping[str, Any], pointer: str) -> Any:
        ref = str(schema["$ref"])
        target = self.definition(ref, pointer)
        if ref in self._resolving:
            placeholder = self._placeholders.setdefault(ref, f"ParlayRef{len(self._placeholders)}")
            return typing.ForwardRef(placeholder)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        shared = set(siblings) <= _ANNOTATIONS
        if shared and ref in self._shared:
            return self._shared[ref]
        key = ref.rsplit("/", 1)[-1]
        self._resolving.append(ref)
        try:
            built = self.annotation({**target, **siblings}, ref, class_name(key))
        finally:
            self._resolving.pop()
        self.bind(ref, built)
        if shared:
            self._shared[ref] = built
        return built

    def resolved(self, schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
        seen: set[str] = set()
        while "$ref" in schema and str(schema["$ref"]) not in seen:
            ref = str(schema["$ref"])
            seen.add(ref)
            schema = {
                **self.definition(ref, pointer),
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
        return schema

    def merge_all_of(self, schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
        parts = typing.cast("list[Mapping[str, Any]]", schema["allOf"])
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        if len(parts) == 1:
            return {**parts[0], **rest}
        objects = [self.resolved(part, f"{pointer}/allOf/{i}") for i, part in enumerate(parts)]
        if not all(
            part.get("type") == "object"
            or ("type" not in part and ("properties" in part or "required" in part))
            for part in objects
        ):
            raise self.error(
                f"combines {len(parts)} schemas with allOf at {pointer!r}, which cannot "
                "be checked unless all are object schemas. Merge them into one schema.",
                UnsupportedKeywordError,
            )
        # Object schemas combine by taking every property and every requirement of each part.
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in [*objects, rest]:
            own = typing.cast("Mapping[str, Any]", part.get("properties", {}))
            for prop, prop_schema in own.items():
                if prop in properties and properties[prop] != prop_schema:
                    raise self.error(
                        f"combines schemas with allOf at {pointer!r} that describe the property "
                        f"{prop!r} differently, which cannot be checked. Describe it once.",
                        UnsupportedKeywordError,
                    )
                properties[prop] = prop_schema
            required += [
                r for r in typing.cast("list[str]", part.get("required", [])) if r not in required
            ]
        return {**rest, "type": "object", "properties": properties, "required": required}

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
                "be checked. Describe every item with one schema.",
                UnsupportedKeywordError,
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
            if self._typed_properties and not any(k in prop_schema for k in _TYPING_KEYWORDS):
                raise self.error(
                    f"gives no type for the property {prop!r} at {where!r}. Add a 'type'.",
                    UnsupportedKeywordError,
                )
            annotation = self.annotation(prop_schema, where, f"{name}_{prop}")
            described: dict[str, Any] = {
                "description": prop_schema.get("description"),
                "title": prop_schema.get("title"),
            }
            # Property names need not be Python identifiers ("user-id", "class", "schema"):
            # aliased fields get a neutral name and the property name as their alias.
            alias = prop if self._aliased else None
            if prop in required:
                field = Field(alias=alias, **described)
            else:
                if self._nullable_optional:
                    # Optional[...] rather than "| None": the annotation may be a forward reference.
                    annotation = Optional[annotation]
                default = prop_schema.get("default")
                field = Field(default=default, alias=alias, **described)
            fields[f"field_{index}" if self._aliased else prop] = (annotation, field)
        extra = schema.get("additionalProperties")
        # Undeclared properties are kept only when the schema says so; by default they are
        # dropped, so nothing the schema never declared reaches the caller.
        mode: Literal["forbid", "allow", "ignore"] = (
            "forbid" if extra is False else "ignore" if extra is None else "allow"
        )
        config = ConfigDict(extra=mode, populate_by_name=False)
        model: type[BaseModel] = create_model(
            name, __config__=config, __doc__=schema.get("description"), **fields
        )
        self._models.append(model)
        return model


def model_from_json_schema(
    schema: Mapping[str, Any],
    name: str,
    *,
    subject: str,
    aliased: bool,
    nullable_optional: bool,
    required: Collection[str] = (),
    formats: bool = False,
    typed_properties: bool = False,
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
        formats: Check ``format`` (dates, UUIDs, e-mail addresses, ...; see
            the list in :func:`parlay_core.utils.schema_to_pydantic_model`) instead of ignoring
            it, and refuse an unknown format.
        typed_properties: Refuse a property (or ``anyOf``/``oneOf`` member) that says nothing
            about its type, instead of accepting any value there.

    Returns:
        The model class.

    Raises:
        SchemaConversionError: The schema is not an object schema or cannot be built
            (a :class:`~parlay_core.exceptions.ToolSchemaError`). It is a
            ``ReferenceNotFoundError`` for a ``$ref`` to a definition the schema lacks, an
            ``UnsupportedKeywordError`` for an unknown type or a keyword that cannot be
            checked, and a ``FormatNotSupportedError`` for an unknown format. The message names
            the place in the schema as a JSON pointer.
    """
    builder = _Builder(
        schema,
        subject,
        aliased=aliased,
        nullable_optional=nullable_optional,
        formats=formats,
        typed_properties=typed_properties,
    )
    try:
        return builder.build_root(schema, name, required)
    except ToolSchemaError:
        raise
    except Exception as exc:
        # pydantic refuses some schemas only while building: a bad pattern, a bound on a type
        # it does not fit, a property name it reserves.
        raise SchemaConversionError(f"{subject} cannot be turned into a model: {exc}") from exc
