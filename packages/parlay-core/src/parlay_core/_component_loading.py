"""Loading a component from its config: resolve, check, upgrade, validate, build."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast, overload

from pydantic import BaseModel, ValidationError

from parlay_core._component_config import (
    GENERIC_LOADERS,
    ComponentLoader,
    ComponentModel,
    config_schema,
    is_component_class,
)
from parlay_core._component_providers import resolve_provider
from parlay_core._component_secrets import masked_secret_fields
from parlay_core._exceptions import ComponentConfigError, ComponentTypeError

__all__ = ["load_component", "load_into"]

ExpectedT = TypeVar("ExpectedT")


def _field_errors(error: ValidationError) -> str:
    lines: list[str] = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "<config>"
        lines.append(f"{where}: {item['msg']} (got {item.get('input')!r})")
    return "; ".join(lines)


def _without_masked_secrets(target: type, provider: str, config: BaseModel) -> BaseModel:
    masked = masked_secret_fields(config)
    if not masked:
        return config
    fallbacks: Mapping[str, str] = getattr(target, "component_secret_fallbacks", {})
    fields = type(config).model_fields
    # Only an optional field can be dropped; anything else would build the component with ten
    # asterisks as its secret, failing later and far from the cause.
    stuck = [
        f for f in masked if f not in fallbacks or f not in fields or fields[f].default is not None
    ]
    if stuck:
        raise ComponentConfigError(
            f"The config of {provider!r} holds masked secrets in {', '.join(stuck)}: it was "
            "dumped without include_secrets=True. Put the real values back, or drop the "
            "fields if the component can read them elsewhere (e.g. an environment variable)."
        )
    for field in masked:
        warnings.warn(
            f"The config of {provider!r} holds a masked {field} (it was dumped without "
            f"include_secrets=True); loading it as absent, so the component uses "
            f"{fallbacks[field]}.",
            UserWarning,
            stacklevel=5,
        )
    return config.model_copy(update=dict.fromkeys(masked))


def load_into(
    loader: type, model: ComponentModel | Mapping[str, Any], expected: type[Any] | None
) -> Any:
    """Load a component for ``loader.load_component`` (permissions are already in place).

    Args:
        loader: The class ``load_component`` was called on; unless it is one of the generic
            bases, the result must be an instance of it.
        model: The component model or its dict form.
        expected: A class the result must be an instance of.

    Returns:
        The new component instance.
    """
    if not isinstance(model, ComponentModel):
        try:
            model = ComponentModel.model_validate(model)
        except ValidationError as exc:
            raise ComponentConfigError(
                f"This is not a component config: {_field_errors(exc)}. A component config is a "
                "mapping with at least 'provider' and 'config'."
            ) from None
    wanted = expected if expected is not None else (None if loader in GENERIC_LOADERS else loader)
    provider = model.provider
    target = resolve_provider(
        provider,
        model.component_type,
        lambda obj: is_component_class(obj) and (wanted is None or issubclass(obj, wanted)),
    )
    if not is_component_class(target):
        raise ComponentTypeError(
            f"The provider {provider!r} resolves to {target!r}, which is not a component class "
            "(one that subclasses parlay_core.Component)."
        )
    declared = getattr(target, "component_type", None)
    if model.component_type is not None and declared != model.component_type:
        raise ComponentTypeError(
            f"The config says component_type {model.component_type!r}, but {provider!r} is a "
            f"{declared!r} component. Fix the config's component_type or provider."
        )
    stored = model.component_version if model.component_version is not None else model.version
    current = target.component_version
    if stored is not None and stored > current:
        raise ComponentConfigError(
            f"The config of {provider!r} was written by component_version {stored}, newer than "
            f"the installed {current}. Upgrade the distribution that provides it."
        )
    if stored is not None and stored < current:
        try:
            instance: object = target._from_config_past_version(model.config, stored)  # pyright: ignore[reportPrivateUsage]
        except ValidationError as exc:  # the class validated the old config itself
            raise ComponentConfigError(
                f"The version-{stored} config of {provider!r} does not validate: "
                f"{_field_errors(exc)}. Fix these fields in the config."
            ) from exc
    else:
        schema = config_schema(target)
        try:
            config = schema.model_validate(model.config)
        except ValidationError as exc:
            raise ComponentConfigError(
                f"The config of {provider!r} does not match {schema.__name__}: "
                f"{_field_errors(exc)}. Fix these fields in the config."
            ) from None
        config = _without_masked_secrets(target, provider, config)
        instance = target._from_config(config)  # pyright: ignore[reportPrivateUsage]
    for required in (wanted, target):
        if required is not None and not isinstance(instance, required):
            raise ComponentTypeError(
                f"Loading {provider!r} produced a {type(instance).__qualname__}, which is not a "
                f"{required.__qualname__}. Check that the config describes the kind of component "
                "you are loading."
            )
    return instance


@overload
def load_component(
    model: ComponentModel | Mapping[str, Any],
    expected: None = None,
    *,
    allow_import_paths: Sequence[str] = (),
    allow_any_import: bool = False,
    allow_code_execution: bool = False,
    allow_environment_keys: bool = False,
) -> Any: ...


@overload
def load_component(
    model: ComponentModel | Mapping[str, Any],
    expected: type[ExpectedT],
    *,
    allow_import_paths: Sequence[str] = (),
    allow_any_import: bool = False,
    allow_code_execution: bool = False,
    allow_environment_keys: bool = False,
) -> ExpectedT: ...


def load_component(
    model: ComponentModel | Mapping[str, Any],
    expected: type[Any] | None = None,
    *,
    allow_import_paths: Sequence[str] = (),
    allow_any_import: bool = False,
    allow_code_execution: bool = False,
    allow_environment_keys: bool = False,
) -> Any:
    """Build any component from its config; the same as ``ComponentLoader.load_component``.

    Args:
        model: A :class:`ComponentModel` or the equivalent dict.
        expected: A class the result must be an instance of.
        allow_import_paths: Module prefixes a dotted provider may additionally come from.
        allow_any_import: Let the config import any module (only for configs you wrote).
        allow_code_execution: Let the config build components that execute code or commands.
        allow_environment_keys: Let model clients whose config sets a custom ``base_url`` send
            it the API key from the environment.

    Returns:
        The new component instance.
    """
    return cast(Any, ComponentLoader).load_component(
        model,
        expected,
        allow_import_paths=allow_import_paths,
        allow_any_import=allow_any_import,
        allow_code_execution=allow_code_execution,
        allow_environment_keys=allow_environment_keys,
    )
