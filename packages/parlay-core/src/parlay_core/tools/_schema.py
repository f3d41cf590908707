"""Tool schemas: the JSON shape a model sees, and how a Python signature becomes one."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic_core import PydanticUndefined
from typing_extensions import NotRequired

from parlay_core._exceptions import ToolSchemaError

__all__ = [
    "CANCELLATION_TOKEN_PARAMETER",
    "ParametersSchema",
    "ToolSchema",
    "args_model_from_function",
    "inline_refs",
    "parameters_schema",
    "typed_signature",
]

CANCELLATION_TOKEN_PARAMETER = "cancellation_token"
"""A function parameter with this name receives the call's token and is left out of the schema."""

_DEFS_PREFIX = "#/$defs/"


class ParametersSchema(TypedDict):
    """The JSON schema of a tool's arguments, always an object.

    Attributes:
        type: Always ``"object"``.
        properties: One JSON schema per argument.
        required: The names of the arguments without a default.
        additionalProperties: Whether arguments beyond ``properties`` are accepted.
    """

    type: str
    properties: dict[str, Any]
    required: NotRequired[Sequence[str]]
    additionalProperties: NotRequired[bool]


class ToolSchema(TypedDict):
    """What a model is told about a tool: the function-calling definition.

    Attributes:
        name: The name the model calls the tool by.
        description: What the tool does, for the model.
        parameters: The schema of the arguments.
        strict: Whether the provider should force the arguments to match the schema exactly.
    """

    parameters: NotRequired[ParametersSchema]
    name: str
    description: NotRequired[str]
    strict: NotRequired[bool]


def inline_refs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Replace every ``$ref`` into ``$defs`` with the definition it points to.

    Many providers reject ``$ref``, so nested models are written out in place. Keys next to a
    ``$ref`` (such as the field's ``description`` or ``default``) are kept and win over the
    definition's own.

    Args:
        schema: A JSON schema, as produced by ``BaseModel.model_json_schema()``.

    Returns:
        A new schema without ``$defs`` and without local references.

    Raises:
        ToolSchemaError: If a model refers to itself, which cannot be written out in place.
    """
    defs: Mapping[str, Any] = schema.get("$defs", {})

    def resolve(node: object, seen: frozenset[str]) -> Any:
        if isinstance(node, dict):
            items = typing.cast("dict[str, object]", node)
            ref = items.get("$ref")
            if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
                key = ref[len(_DEFS_PREFIX) :].replace("~1", "/").replace("~0", "~")
                if key in seen:
                    raise ToolSchemaError(
                        f"The model {key!r} refers to itself, so its schema cannot be written "
                        "out for a tool. Flatten the recursive field into a list or a string."
                    )
                if key not in defs:
                    raise ToolSchemaError(
                        f"The schema refers to {ref!r}, which it does not define."
                    )
                target = resolve(defs[key], seen | {key})
                siblings = {k: resolve(v, seen) for k, v in items.items() if k != "$ref"}
                return {**target, **siblings}
            return {k: resolve(v, seen) for k, v in items.items()}
        if isinstance(node, list):
            return [resolve(v, seen) for v in typing.cast("list[object]", node)]
        return node

    top = {k: v for k, v in schema.items() if k != "$defs"}
    result: dict[str, Any] = resolve(top, frozenset())
    return result


def parameters_schema(args_type: type[BaseModel]) -> ParametersSchema:
    """Build the ``parameters`` part of a tool schema from an argument model.

    Args:
        args_type: The pydantic model that validates the tool's arguments.

    Returns:
        The object schema, with nested models written out in place.
    """
    model_schema = inline_refs(args_type.model_json_schema())
    return ParametersSchema(
        type="object",
        properties=model_schema.get("properties", {}),
        required=list(model_schema.get("required", [])),
        additionalProperties=bool(model_schema.get("additionalProperties", False)),
    )


def typed_signature(func: Callable[..., Any]) -> inspect.Signature:
    """Return the signature of ``func`` with string annotations resolved to real types.

    ``functools.partial`` objects keep the parameters that are still open.

    Raises:
        ToolSchemaError: If an annotation names a type that cannot be found.
    """
    signature = inspect.signature(func)
    target: Any = func
    while isinstance(target, functools.partial):
        target = typing.cast(Any, target.func)
    if not (inspect.isroutine(target) or inspect.isclass(target)):
        # A callable object: its annotations live on the class's __call__.
        target = inspect.getattr_static(type(typing.cast(object, target)), "__call__")
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError) as exc:
        reason = str(exc).rstrip(".")
        raise ToolSchemaError(
            f"Cannot resolve the type annotations of {_func_name(func)!r}: {reason}. Define "
            "every type used in the signature at module level, or import it there."
        ) from exc
    parameters = [
        param.replace(annotation=hints.get(name, param.annotation))
        for name, param in signature.parameters.items()
    ]
    return signature.replace(
        parameters=parameters,
        return_annotation=hints.get("return", signature.return_annotation),
    )


def _func_name(func: Callable[..., Any]) -> str:
    target: Any = func
    while isinstance(target, functools.partial):
        target = typing.cast(Any, target.func)
    return str(getattr(target, "__name__", repr(target)))


def _split_annotation(param_name: str, annotation: Any) -> tuple[Any, str]:
    """Take the description out of ``Annotated[T, "description", ...]``.

    Other metadata (``Field(...)``, constraints) stays on the type so pydantic still applies it.
    Without a description the parameter name is used, which is what AutoGen sends to the model.
    """
    if typing.get_origin(annotation) is not Annotated:
        return annotation, param_name
    base, *metadata = typing.get_args(annotation)
    descriptions = [m for m in metadata if isinstance(m, str)]
    rest = [m for m in metadata if not isinstance(m, str)]
    description = descriptions[0] if descriptions else param_name
    # Re-wrapping one item at a time: nested Annotated flattens, and it needs no star syntax.
    annotated: Any = base
    for item in rest:
        annotated = Annotated[annotated, item]
    return annotated, description


def args_model_from_function(
    model_name: str, signature: inspect.Signature, *, strict: bool = False
) -> type[BaseModel]:
    """Build the pydantic model that validates a function's arguments.

    Args:
        model_name: The model's class name.
        signature: The function's signature with resolved annotations (see :func:`typed_signature`).
        strict: Forbid arguments that are not parameters of the function.

    Returns:
        A model with one field per parameter, except ``cancellation_token``.

    Raises:
        ToolSchemaError: If a parameter has no annotation or is ``*args``/``**kwargs``.
    """
    fields: dict[str, Any] = {}
    for name, param in signature.parameters.items():
        if name == CANCELLATION_TOKEN_PARAMETER:
            continue
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ToolSchemaError(
                f"Parameter {name!r} of {model_name!r} collects extra arguments (*args or "
                "**kwargs), which a tool schema cannot describe. Name every parameter."
            )
        if param.annotation is inspect.Parameter.empty:
            raise ToolSchemaError(
                f"Parameter {name!r} of {model_name!r} has no type annotation. Annotate it, for "
                f'example `{name}: Annotated[str, "what it means"]`.'
            )
        field_type, description = _split_annotation(name, param.annotation)
        default = PydanticUndefined if param.default is inspect.Parameter.empty else param.default
        fields[name] = (field_type, Field(default=default, description=description))
    config = ConfigDict(extra="forbid" if strict else "ignore", arbitrary_types_allowed=False)
    try:
        model: type[BaseModel] = create_model(model_name, __config__=config, **fields)
    except Exception as exc:
        raise ToolSchemaError(
            f"Cannot build an argument model for {model_name!r}: {exc}. Use JSON-compatible "
            "parameter types (str, int, float, bool, lists, dicts, Literal, pydantic models)."
        ) from exc
    return model
