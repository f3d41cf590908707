"""Turn an HTTP tool's JSON schema into the pydantic model that validates the model's arguments.

The schema stays what the model sees; the model built here only checks calls against it, so
that a bad call is refused (with field-by-field errors) before any request leaves the process.
What a schema may use is described in :func:`parlay_core.utils.model_from_json_schema`, which builds it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel

from parlay_core.utils import model_from_json_schema

__all__ = ["args_model_from_json_schema", "dump_args"]


def args_model_from_json_schema(
    json_schema: Mapping[str, Any], name: str, required: Collection[str] = ()
) -> type[BaseModel]:
    """Build the model that validates a tool's arguments against its JSON schema.

    Every field is aliased to its property name (property names need not be identifiers), and
    an optional argument accepts ``null`` only where the schema does.

    Args:
        json_schema: An object schema: ``properties``, ``required`` and so on.
        name: The tool name, used in the model's name and in errors.
        required: More argument names that must be given (the path parameters).

    Raises:
        ToolSchemaError: The schema is not an object schema, refers to itself, or uses a
            keyword that cannot be checked.
    """
    return model_from_json_schema(
        json_schema,
        f"{name}_args",
        subject=f"The json_schema of tool {name!r}",
        aliased=True,
        nullable_optional=False,
        required=required,
    )


def dump_args(args: BaseModel) -> dict[str, Any]:
    """Return the arguments under their property names, leaving out optional ones not given."""
    data = args.model_dump(mode="json", by_alias=True)
    fields = type(args).model_fields
    given = {fields[name].alias or name for name in args.model_fields_set if name in fields}
    given |= set(args.model_extra or {})
    return {key: value for key, value in data.items() if key in given or value is not None}
