"""Build a pydantic model from a JSON schema, so structured-output configs need no Python code.

Only the parts of JSON Schema that pydantic models themselves produce are supported: typed
properties, nested objects, arrays, enums and constants, ``anyOf``/``oneOf``, nullable types,
defaults, descriptions and ``$ref`` into ``$defs``/``definitions``. Anything else is refused with
an error naming the unsupported keyword, rather than silently accepting any value.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any, Literal, Union, cast

from pydantic import BaseModel, Field, create_model

from parlay_agentchat._exceptions import AgentConfigurationError

__all__ = ["model_from_json_schema"]

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}


def _class_name(text: str) -> str:
    cleaned = re.sub(r"\W+", "_", text).strip("_") or "Model"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = f"M_{cleaned}"
    return cleaned[0].upper() + cleaned[1:]


class _Builder:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self._defs: Mapping[str, Any] = {
            **cast(Mapping[str, Any], root.get("definitions", {})),
            **cast(Mapping[str, Any], root.get("$defs", {})),
        }
        self._built: dict[str, Any] = {}

    def resolve(self, ref: str) -> Any:
        name = ref.rsplit("/", 1)[-1]
        if name not in self._defs:
            raise AgentConfigurationError(
                f"The JSON schema refers to {ref!r}, which is not in its $defs/definitions."
            )
        if name not in self._built:
            self._built[name] = self.annotation(self._defs[name], _class_name(name))
        return self._built[name]

    def annotation(self, schema: Mapping[str, Any], name: str) -> Any:
        if "$ref" in schema:
            return self.resolve(str(schema["$ref"]))
        if "const" in schema:
            return Literal[schema["const"]]  # type: ignore[valid-type]
        if "enum" in schema:
            values = tuple(cast(list[Any], schema["enum"]))
            return Literal[values]  # type: ignore[valid-type]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = cast(list[Mapping[str, Any]], schema[key])
                members = [self.annotation(o, f"{name}Option{i}") for i, o in enumerate(options)]
                return Union[tuple(members)]  # type: ignore[valid-type]
        if "allOf" in schema:
            parts = cast(list[Mapping[str, Any]], schema["allOf"])
            if len(parts) == 1:
                return self.annotation(parts[0], name)
            raise AgentConfigurationError(
                "allOf with several schemas is not supported in a structured-output schema."
            )
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = cast(list[str], kind)
            members = [self.annotation({**schema, "type": k}, name) for k in kinds]
            return Union[tuple(members)]  # type: ignore[valid-type]
        if kind == "array":
            items = cast(Mapping[str, Any], schema.get("items", {}))
            return list[self.annotation(items, f"{name}Item")] if items else list[Any]  # type: ignore[misc]
        if kind == "object" or (kind is None and "properties" in schema):
            if "properties" in schema:
                return self.model(schema, _class_name(str(schema.get("title", name))))
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping):
                value = self.annotation(cast(Mapping[str, Any], extra), f"{name}Value")
                return dict[str, value]  # type: ignore[valid-type]
            return dict[str, Any]
        if isinstance(kind, str) and kind in _SCALARS:
            return _SCALARS[kind]
        if kind is None:
            return Any
        raise AgentConfigurationError(
            f"Unsupported JSON schema type {kind!r} in a structured-output schema."
        )

    def model(self, schema: Mapping[str, Any], name: str) -> type[BaseModel]:
        properties = cast(Mapping[str, Mapping[str, Any]], schema.get("properties", {}))
        required = set(cast(list[str], schema.get("required", [])))
        fields: dict[str, Any] = {}
        for prop, prop_schema in properties.items():
            annotation = self.annotation(prop_schema, f"{name}_{prop}")
            description = prop_schema.get("description")
            if prop in required:
                fields[prop] = (annotation, Field(..., description=description))
            else:
                default = prop_schema.get("default")
                fields[prop] = (annotation | None, Field(default, description=description))
        return create_model(name, __doc__=schema.get("description"), **fields)


def model_from_json_schema(schema: Mapping[str, Any], name: str | None = None) -> type[BaseModel]:
    """Build a pydantic model class from an object JSON schema.

    Args:
        schema: A JSON schema of ``type: object`` with ``properties``.
        name: The class name; defaults to the schema's ``title``.

    Returns:
        The model class.

    Raises:
        AgentConfigurationError: The schema is not an object schema or uses an unsupported
            feature.
    """
    if schema.get("type", "object") != "object" or "properties" not in schema:
        raise AgentConfigurationError(
            "A structured-output schema must be an object schema with 'properties', as "
            "produced by YourModel.model_json_schema()."
        )
    builder = _Builder(schema)
    return builder.model(schema, _class_name(name or str(schema.get("title", "ContentModel"))))
