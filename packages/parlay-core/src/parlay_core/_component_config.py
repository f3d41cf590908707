"""Component configuration: dump a component to a declarative config and load it back.

A component is a class whose instances can be described by a pydantic config model. Subclass
:class:`Component` (AutoGen's shape), declare the class variables, and implement ``_to_config``
and ``_from_config``::

    class GreeterConfig(BaseModel):
        greeting: str

    class Greeter(Component[GreeterConfig]):
        component_type = "greeter"
        component_config_schema = GreeterConfig

        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        def _to_config(self) -> GreeterConfig:
            return GreeterConfig(greeting=self.greeting)

        @classmethod
        def _from_config(cls, config: GreeterConfig) -> Greeter:
            return cls(config.greeting)
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from types import FrameType, MappingProxyType
from typing import Any, ClassVar, Generic, Literal, TypeGuard, Union, cast, overload

from pydantic import BaseModel
from typing_extensions import Self, TypeVar

from parlay_core._component_providers import load_permissions, trusting_class_modules
from parlay_core._component_secrets import config_to_dict, revealing_secrets
from parlay_core._exceptions import (
    ComponentDefinitionError,
    ComponentTypeError,
    ComponentVersionError,
)

__all__ = [
    "Component",
    "ComponentBase",
    "ComponentFromConfig",
    "ComponentLoader",
    "ComponentModel",
    "ComponentSchemaType",
    "ComponentToConfig",
    "ComponentType",
    "is_component_class",
    "is_component_instance",
]

ComponentType = Union[
    Literal[
        "model",
        "agent",
        "tool",
        "termination",
        "token_provider",
        "workbench",
        "chat_completion_context",
        "memory",
        "code_executor",
    ],
    str,
]
"""The kind of a component. The listed values are Parlay's (and AutoGen's); any string works."""

ConfigT = TypeVar("ConfigT", bound=BaseModel)
FromConfigT = TypeVar("FromConfigT", bound=BaseModel, contravariant=True)
ToConfigT = TypeVar("ToConfigT", bound=BaseModel, covariant=True)
ExpectedT = TypeVar("ExpectedT")


class ComponentModel(BaseModel):
    """A component's declarative description: which class to build, and its config.

    Attributes:
        provider: Where the class comes from: an entry-point name (``"echo"``) or a dotted path
            (``"parlay_agentchat.conditions.MaxMessageTermination"``).
        component_type: The component's kind, for example ``"model"`` or ``"termination"``.
        version: Kept equal to ``component_version``, as AutoGen writes it.
        component_version: The version of the config's schema; older versions are upgraded on
            load through ``_from_config_past_version``.
        description: A human-readable description.
        label: A short human-readable name (defaults to the class name).
        config: The config, validated on load against the class's ``component_config_schema``.
    """

    provider: str
    component_type: ComponentType | None = None
    version: int | None = None
    component_version: int | None = None
    description: str | None = None
    label: str | None = None
    config: dict[str, Any]


def _public_path(cls: type) -> str:
    # Classes live in private modules and are re-exported by a public package; write the
    # deepest public package that really exports this class, so configs survive refactoring.
    module, qualname = cls.__module__, cls.__qualname__
    parts = module.split(".")
    private = next((i for i, part in enumerate(parts) if part.startswith("_")), None)
    if private is not None and "." not in qualname:
        for end in range(private, 0, -1):
            candidate = ".".join(parts[:end])
            if getattr(sys.modules.get(candidate), qualname, None) is cls:
                return f"{candidate}.{qualname}"
    return f"{module}.{qualname}"


def _own_modules(cls: type) -> list[str]:
    # Where the class is defined, and the module of the provider path its dumps carry (a public
    # package re-exporting it, or its override) when that is already imported: trusting a module
    # that is loaded already cannot make a config import new code.
    override = cls.__dict__.get("component_provider_override")
    provider = override if isinstance(override, str) else _public_path(cls)
    published = provider.rpartition(".")[0]
    return [cls.__module__, *([published] if published in sys.modules else [])]


# The loader's own frames, skipped when looking for the code that asked for a load.
_LOADER_MODULES = frozenset({__name__, "parlay_core._component_loading"})


def _calling_module() -> str | None:
    # The module whose code called load_component. It is imported already, and the classes a
    # config may then name are ones that code could have named itself, so trusting it lets
    # scripts, notebooks and tests load the components they define without granting anything new.
    frame: FrameType | None = sys._getframe(1)  # pyright: ignore[reportPrivateUsage]
    while frame is not None and frame.f_globals.get("__name__") in _LOADER_MODULES:
        frame = frame.f_back
    name = frame.f_globals.get("__name__") if frame is not None else None
    return name if isinstance(name, str) and name in sys.modules else None


def _first_paragraph(doc: str | None) -> str | None:
    if not doc:
        return None
    paragraph = doc.strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines()) or None


class ComponentFromConfig(Generic[FromConfigT]):
    """Mixin: the class can be built from its config model."""

    @classmethod
    def _from_config(cls, config: FromConfigT) -> Self:
        """Build an instance from a validated config. Components override this.

        Args:
            config: The validated config model.

        Returns:
            The new instance.

        Raises:
            ComponentTypeError: The class does not implement it.
        """
        raise ComponentTypeError(
            f"{cls.__qualname__} cannot be loaded from a config: it does not implement the "
            "classmethod _from_config(config). Implement it to build an instance from its config."
        )

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Self:
        """Build an instance from a config written by an older ``component_version``.

        Override this to upgrade old configs; the default refuses them.

        Args:
            config: The raw (unvalidated) config of the old version.
            version: The ``component_version`` the config was written with.

        Returns:
            The new instance.

        Raises:
            ComponentVersionError: The class cannot read that version (also a
                ``NotImplementedError``, as in AutoGen).
        """
        current = getattr(cls, "component_version", 1)
        raise ComponentVersionError(
            f"{cls.__qualname__} is at component_version {current} and cannot read a config of "
            f"version {version}: it does not implement _from_config_past_version. Dump the "
            "component again with the installed version, or implement the upgrade."
        )


class ComponentToConfig(Generic[ToConfigT]):
    """Mixin: the instance can describe itself as a config, and be dumped.

    Attributes:
        component_type: The component's kind (required on concrete components).
        component_version: The version of the config schema, 1 unless upgraded.
        component_provider_override: The public dotted path to write as ``provider``, when the
            automatic one is not wanted. It applies to the class that sets it, not to subclasses.
        component_description: A description; defaults to the docstring's first paragraph.
        component_label: A label; defaults to the class name.
        component_secret_fallbacks: Secret config fields (optional ones, default None) that
            the component can do without, mapped to where it then finds the secret, for the
            warning (``{"api_key": "the OPENAI_API_KEY environment variable"}``). A masked
            value in such a field loads as None with a warning instead of failing.
    """

    component_type: ClassVar[ComponentType]
    component_version: ClassVar[int] = 1
    component_provider_override: ClassVar[str | None] = None
    component_description: ClassVar[str | None] = None
    component_label: ClassVar[str | None] = None
    component_secret_fallbacks: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def _to_config(self) -> ToConfigT:
        """Describe this instance as its config model. Components override this.

        Returns:
            The config model.

        Raises:
            ComponentTypeError: The class does not implement it.
        """
        raise ComponentTypeError(
            f"{type(self).__qualname__} cannot be dumped: it does not implement _to_config(). "
            "Implement it to return the instance's config model."
        )

    def dump_component(self, *, include_secrets: bool = False) -> ComponentModel:
        """Dump this component (and the components inside its config) to a :class:`ComponentModel`.

        Secrets (pydantic ``SecretStr`` fields) are written as ``"**********"`` unless
        ``include_secrets`` is True. A config with masked secrets loads only where the component
        declares a fallback for them (``component_secret_fallbacks``, for example an API key's
        environment variable); otherwise the real values must be put back.

        Args:
            include_secrets: Write secret values in clear, here and in nested components. Only
                for storage you protect like the secrets themselves.

        Returns:
            The component model; ``model_dump_json()`` turns it into JSON.

        Raises:
            ComponentDefinitionError: The class declares no ``component_type`` (also an
                ``AttributeError``, as in AutoGen).
            ComponentTypeError: ``_to_config`` does not return a pydantic model, or the class is
                defined inside a function (configs could not name it) and sets no
                ``component_provider_override``.
        """
        cls = type(self)
        component_type: object = getattr(cls, "component_type", None)
        if not isinstance(component_type, str):
            raise ComponentDefinitionError(
                f"{cls.__qualname__} cannot be dumped: it declares no component_type. Add a "
                "class variable such as component_type = 'tool'."
            )
        with revealing_secrets(include_secrets):
            config = cast(object, self._to_config())
            if not isinstance(config, BaseModel):
                raise ComponentTypeError(
                    f"{cls.__qualname__}._to_config() returned {type(config).__name__}; it must "
                    "return an instance of the component's pydantic config model."
                )
            data = config_to_dict(config)
        override = cls.__dict__.get("component_provider_override")
        provider = override if isinstance(override, str) else _public_path(cls)
        if "<locals>" in provider:
            # No import path reaches a class defined inside a function, so the dump could never
            # be loaded; AutoGen refuses with a TypeError too.
            raise ComponentTypeError(
                f"{cls.__qualname__} cannot be dumped: it is defined inside a function, so a "
                "config cannot name it. Define the class at module level (or set "
                "component_provider_override to a path that loads it)."
            )
        return ComponentModel(
            provider=provider,
            component_type=component_type,
            version=cls.component_version,
            component_version=cls.component_version,
            description=cls.component_description or _first_paragraph(cls.__doc__),
            label=cls.component_label or cls.__name__,
            config=data,
        )


def _is_abstract(cls: type) -> bool:
    # ABCMeta computes __abstractmethods__ only after __init_subclass__ has run, so work it out.
    if any(getattr(value, "__isabstractmethod__", False) for value in vars(cls).values()):
        return True
    inherited: set[str] = set()
    for base in cls.__bases__:
        inherited.update(getattr(base, "__abstractmethods__", ()))
    return any(
        getattr(getattr(cls, name, None), "__isabstractmethod__", False) for name in inherited
    )


class ComponentSchemaType(Generic[ConfigT]):
    """Mixin: the class declares its config model in ``component_config_schema``.

    Concrete subclasses are checked when they are defined: a malformed declaration raises
    :class:`~parlay_core.ComponentTypeError`; a missing one warns (as AutoGen does), since
    the class still works until somebody dumps or loads it.
    """

    component_config_schema: type[ConfigT]
    required_class_vars: ClassVar[Sequence[str]] = ("component_config_schema", "component_type")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("__parameters__") or _is_abstract(cls):
            return  # generic or abstract intermediate classes need not be complete
        name = cls.__qualname__
        schema: object = getattr(cls, "component_config_schema", None)
        if schema is not None and not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise ComponentTypeError(
                f"{name}.component_config_schema must be a pydantic BaseModel subclass, not {schema!r}."
            )
        kind: object = getattr(cls, "component_type", None)
        if kind is not None and not isinstance(kind, str):
            raise ComponentTypeError(
                f"{name}.component_type must be a string such as 'tool', not {kind!r}."
            )
        version: object = getattr(cls, "component_version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ComponentTypeError(
                f"{name}.component_version must be an integer >= 1, not {version!r}."
            )
        missing = [var for var in cls.required_class_vars if getattr(cls, var, None) is None]
        for method in ("_to_config", "_from_config"):
            owner = next((k for k in cls.__mro__ if method in vars(k)), None)
            if owner in (ComponentToConfig, ComponentFromConfig):
                missing.append(f"{method}()")
        if missing:
            warnings.warn(
                f"Component class {name} does not define {', '.join(missing)}; it cannot be "
                "dumped or loaded until it does.",
                UserWarning,
                stacklevel=2,
            )


class ComponentLoader:
    """Mixin: ``load_component`` builds a component from a :class:`ComponentModel`."""

    @overload
    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: None = None,
        *,
        allow_import_paths: Sequence[str] = (),
        allow_any_import: bool = False,
        allow_code_execution: bool = False,
        allow_environment_keys: bool = False,
    ) -> Self: ...

    @overload
    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: type[ExpectedT],
        *,
        allow_import_paths: Sequence[str] = (),
        allow_any_import: bool = False,
        allow_code_execution: bool = False,
        allow_environment_keys: bool = False,
    ) -> ExpectedT: ...

    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: type[Any] | None = None,
        *,
        allow_import_paths: Sequence[str] = (),
        allow_any_import: bool = False,
        allow_code_execution: bool = False,
        allow_environment_keys: bool = False,
    ) -> Any:
        """Build a component from its config.

        The provider is resolved as an entry-point name first, then as a dotted path; a dotted
        path outside Parlay's packages, registered plugin packages, packages trusted with
        :func:`~parlay_core.trust_component_modules`, the module of the class this is called
        on (or of ``expected``) and the module whose code calls this needs permission. Then the
        class is checked, an older ``component_version`` is upgraded, the config is validated
        and the instance is built. Called on a specific class (``ChatCompletionClient.load_component``),
        the result must be an instance of it.

        Args:
            model: A :class:`ComponentModel` or the equivalent dict (for example parsed JSON).
            expected: A class the result must be an instance of.
            allow_import_paths: Module prefixes a dotted provider may additionally come from.
            allow_any_import: Let the config import any module (only for configs you wrote).
            allow_code_execution: Let the config build components that execute code or
                commands (code executors, the code-execution tool, MCP stdio servers, function
                tool source code). Only for configs you trust; see ``docs/security.md``.
            allow_environment_keys: Let model clients whose config sets a ``base_url`` other
                than the provider's own (and no key) send it the API key from the environment.

        Returns:
            The new component instance.

        Raises:
            ComponentLoadError: The provider cannot be found or imported.
            ComponentNotAllowedError: The provider lies outside the trusted packages, or the
                config would execute code and ``allow_code_execution`` is False (a
                :class:`ComponentPermissionError`).
            ComponentConfigError: The config does not validate, or holds a masked secret.
            ComponentTypeError: The provider is not a component class, or not of the expected
                type.
            PluginError: An entry-point plugin conflicts or fails to import.
        """
        # Imported here: the load pipeline needs the classes defined in this module.
        from parlay_core._component_loading import load_into

        # The caller named these classes in code, so their own (already imported) modules are
        # trusted for this load and its nested loads; so is the calling module itself.
        named: list[type] = [c for c in (cls, expected) if c is not None]
        modules = [m for c in named if c not in GENERIC_LOADERS for m in _own_modules(c)]
        caller = _calling_module()
        if caller is not None:
            modules.append(caller)
        with (
            load_permissions(
                allow_import_paths=allow_import_paths,
                allow_any_import=allow_any_import,
                allow_code_execution=allow_code_execution,
                allow_environment_keys=allow_environment_keys,
            ),
            trusting_class_modules(modules),
        ):
            return load_into(cls, model, expected)


class ComponentBase(ComponentToConfig[ConfigT], ComponentLoader, Generic[ConfigT]):
    """Base of abstract component families (model clients, tools, ...): dumpable and loadable."""


class Component(
    ComponentFromConfig[ConfigT],
    ComponentSchemaType[ConfigT],
    ComponentToConfig[ConfigT],
    ComponentLoader,
    Generic[ConfigT],
):
    """The usual base of a concrete component: declare the class variables, implement the hooks.

    Class variables: ``component_type`` and ``component_config_schema`` (required),
    ``component_version``, ``component_provider_override``, ``component_description``,
    ``component_label``. Methods: ``_to_config()``, classmethod ``_from_config(config)``, and
    optionally classmethod ``_from_config_past_version(config, version)``.
    """


GENERIC_LOADERS: tuple[type, ...] = (ComponentLoader, ComponentBase, Component)
"""Classes whose ``load_component`` accepts any component (no instance check on the result)."""

_SCHEMA = "component_config_schema"


def config_schema(cls: type) -> type[BaseModel]:
    """Return a component class's config model.

    Args:
        cls: A component class.

    Returns:
        Its ``component_config_schema``.

    Raises:
        ComponentDefinitionError: The class declares no pydantic config model.
    """
    schema: object = getattr(cls, _SCHEMA, None)
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise ComponentDefinitionError(
            f"{cls.__qualname__} declares no component_config_schema (a pydantic model), so its "
            "config cannot be validated. Add the class variable."
        )
    return schema


def is_component_class(cls: object) -> TypeGuard[type[Component[Any]]]:
    """Whether ``cls`` is a class that can be dumped and loaded as a component.

    Args:
        cls: Any object.

    Returns:
        True if it is a class with all four component mixins.
    """
    return isinstance(cls, type) and all(
        issubclass(cls, mixin)
        for mixin in (ComponentFromConfig, ComponentToConfig, ComponentSchemaType, ComponentLoader)
    )


def is_component_instance(obj: object) -> TypeGuard[Component[Any]]:
    """Whether ``obj`` is an instance of a component class.

    Args:
        obj: Any object.

    Returns:
        True if ``type(obj)`` passes :func:`is_component_class`.
    """
    return is_component_class(type(obj))
