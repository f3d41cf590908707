"""Turning a component config's ``provider`` into a class, and who may import what.

The security decision: a component config is data, often read from a file, and importing a module
runs its code. So a dotted provider path is imported only when it lies inside Parlay's own packages
or inside a top-level package of a distribution that declares a Parlay plugin (an installed
distribution is already trusted code), inside packages the application trusted process-wide
(:mod:`parlay_core._component_trust`), or inside the module of a class that ``load_component`` was
called on (or given as ``expected``): that module is already imported, so naming it runs no new
code, and the caller chose the class. Any other path needs the caller's explicit permission,
given to ``load_component`` or with :func:`load_permissions`. Likewise a component whose config
carries source code, or that executes code or commands at all, calls
:func:`require_code_execution` while it is built; and a model client whose endpoint comes from a
config asks :func:`are_environment_keys_allowed` before sending it a key read from the
environment. ``docs/security.md`` states the whole trust model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from parlay_core._component_trust import is_trusted_module
from parlay_core._exceptions import (
    ComponentLoadError,
    ComponentNotAllowedError,
    ComponentPermissionError,
    PluginNotFoundError,
)
from parlay_core.plugins import (
    CACHE_STORES,
    CODE_EXECUTORS,
    MEMORIES,
    MODEL_CLIENTS,
    PLUGIN_GROUPS,
    RUNTIMES,
    STATE_STORES,
    TOOLS,
    find_plugin,
    list_plugins,
    load_plugin,
    plugin_packages,
)

__all__ = [
    "PARLAY_PACKAGES",
    "are_environment_keys_allowed",
    "is_code_execution_allowed",
    "load_permissions",
    "require_code_execution",
    "resolve_provider",
    "trusting_class_modules",
]

PARLAY_PACKAGES: tuple[str, ...] = ("parlay_core", "parlay_agentchat", "parlay_ext")
"""Import packages whose classes a config may always name."""

_DISTRIBUTIONS = {
    "parlay_core": "parlay-core",
    "parlay_agentchat": "parlay-agentchat",
    "parlay_ext": "parlay-ext",
}

# Configs written by AutoGen name AutoGen's packages; Parlay mirrors their layout.
_AUTOGEN_PACKAGES = {
    "autogen_core": "parlay_core",
    "autogen_agentchat": "parlay_agentchat",
    "autogen_ext": "parlay_ext",
}

_TYPE_GROUPS: dict[str, tuple[str, ...]] = {
    "model": (MODEL_CLIENTS,),
    "tool": (TOOLS,),
    "workbench": (TOOLS,),
    "code_executor": (CODE_EXECUTORS,),
    "runtime": (RUNTIMES,),
    "state_store": (STATE_STORES,),
    "cache_store": (CACHE_STORES,),
    "memory": (MEMORIES,),
}


@dataclass(frozen=True)
class _Permissions:
    import_paths: tuple[str, ...] = ()
    any_import: bool = False
    code_execution: bool = False
    environment_keys: bool = False
    # Exact module names (not prefixes) of classes load_component was called on, or expected.
    class_modules: tuple[str, ...] = ()


# A context variable, so that nested loads (a team loading its agents, an agent its tools) inherit
# the permission the outermost caller gave, and concurrent tasks do not see each other's.
_NONE_GRANTED = _Permissions()
_permissions: ContextVar[_Permissions] = ContextVar(
    "parlay_component_permissions", default=_NONE_GRANTED
)


def _checked_prefix(prefix: str) -> str:
    if not prefix or not all(part.isidentifier() for part in prefix.split(".")):
        raise ValueError(
            f"allow_import_paths entries are dotted module prefixes such as 'myapp' or "
            f"'myapp.components'; got {prefix!r}."
        )
    return prefix


@contextmanager
def load_permissions(
    *,
    allow_import_paths: Iterable[str] = (),
    allow_any_import: bool = False,
    allow_code_execution: bool = False,
    allow_environment_keys: bool = False,
) -> Generator[None, None, None]:
    """Grant extra permissions to every component load inside the ``with`` block.

    Permissions only widen: a nested block adds to what an outer one granted.

    Args:
        allow_import_paths: Module prefixes (``"myapp"`` covers ``myapp`` and ``myapp.x.y``) whose
            classes configs may name by dotted path.
        allow_any_import: Let configs import any module. Use only for configs you wrote.
        allow_code_execution: Let configs build components that execute code or commands
            (code executors, the code-execution tool, MCP stdio servers, a function tool's
            source code).
        allow_environment_keys: Let model clients whose config sets a custom ``base_url`` (and
            no key) send that server the API key from the environment (``OPENAI_API_KEY``,
            ``ANTHROPIC_API_KEY``).

    Yields:
        Nothing; the permissions hold inside the block.

    Raises:
        ValueError: An entry of ``allow_import_paths`` is not a dotted module name.
    """
    current = _permissions.get()
    extra = tuple(_checked_prefix(p) for p in allow_import_paths)
    token = _permissions.set(
        replace(
            current,
            import_paths=current.import_paths + extra,
            any_import=current.any_import or allow_any_import,
            code_execution=current.code_execution or allow_code_execution,
            environment_keys=current.environment_keys or allow_environment_keys,
        )
    )
    try:
        yield
    finally:
        _permissions.reset(token)


@contextmanager
def trusting_class_modules(modules: Iterable[str]) -> Generator[None, None, None]:
    """Trust the modules of classes the caller named, for the loads inside the block.

    ``MyComponent.load_component(config)`` trusts the module ``MyComponent`` is defined in (and
    the module its dumped provider path names), exactly, not its submodules or its parent
    package: that module is already imported, so a config naming it imports no new code. Nested
    loads inherit the trust, so an outer component may load inner ones from its own module.

    Args:
        modules: Exact module names to trust.

    Yields:
        Nothing; the trust holds inside the block.
    """
    current = _permissions.get()
    added = tuple(m for m in dict.fromkeys(modules) if m not in current.class_modules)
    if not added:
        yield
        return
    token = _permissions.set(replace(current, class_modules=current.class_modules + added))
    try:
        yield
    finally:
        _permissions.reset(token)


def is_code_execution_allowed() -> bool:
    """Whether the component load in progress may execute code carried by its config.

    A component's ``_from_config`` calls this (or :func:`require_code_execution`) before it
    compiles or runs source code taken from the config, or builds anything that executes code or
    commands.

    Returns:
        True only inside ``load_component(..., allow_code_execution=True)`` or
        ``load_permissions(allow_code_execution=True)``.
    """
    return _permissions.get().code_execution


def require_code_execution(what: str) -> None:
    """Refuse, with a clear message, unless the caller allowed code execution.

    Args:
        what: What would run, for the message, e.g. ``"the source code of FunctionTool 'add'"``.

    Raises:
        ComponentPermissionError: Code execution was not allowed (its ``permission`` is
            ``"allow_code_execution"``).
    """
    if not is_code_execution_allowed():
        reason = (
            f"Loading this config would execute {what}. Configs can come from anywhere, so "
            "this needs explicit permission."
        )
        raise ComponentPermissionError(
            f"{reason} If you trust the config, pass allow_code_execution=True to "
            "load_component() (or use load_permissions(allow_code_execution=True)).",
            permission="allow_code_execution",
            reason=reason,
        )


def are_environment_keys_allowed() -> bool:
    """Whether a model client being loaded may send an environment API key to its config's URL.

    A config that sets ``base_url`` chooses where requests go; the key in ``OPENAI_API_KEY`` (or
    ``ANTHROPIC_API_KEY``) is the user's. A client loaded from a config that names a server other
    than the provider's own, and carries no key of its own, asks this before it uses the
    environment's key; without permission it sends no key.

    Returns:
        True only inside ``load_component(..., allow_environment_keys=True)`` or
        ``load_permissions(allow_environment_keys=True)``.
    """
    return _permissions.get().environment_keys


def _is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in PARLAY_PACKAGES:
        return True
    granted = _permissions.get()
    if granted.any_import:
        return True
    if any(module == p or module.startswith(p + ".") for p in granted.import_paths):
        return True
    if module in granted.class_modules or is_trusted_module(module):
        return True
    return top in plugin_packages()


def _below_class_module(module: str) -> bool:
    # "mod.Outer" under the trusted class module "mod": no submodule is imported, the rest of
    # the path is read as attributes of "mod".
    return any(module.startswith(m + ".") for m in _permissions.get().class_modules)


def _refuse(provider: str, module: str) -> ComponentNotAllowedError:
    top = module.split(".")[0]
    return ComponentNotAllowedError(
        f"Refusing to import {module!r} for the provider {provider!r}: it is neither part of "
        f"Parlay ({', '.join(PARLAY_PACKAGES)}) nor of a distribution that declares a Parlay "
        "plugin, and importing a module runs its code. If you trust this config, pass "
        f"allow_import_paths=[{top!r}] (or allow_any_import=True) to load_component(); if it "
        f"is your application's own package, trust it once with "
        f"parlay_core.trust_component_modules({top!r}) or the environment variable "
        f"PARLAY_TRUSTED_COMPONENT_MODULES={top}; or publish the class as a plugin entry point.",
        module=module,
    )


def _missing_module(provider: str, module: str) -> ComponentLoadError:
    top = module.split(".")[0]
    dist = _DISTRIBUTIONS.get(top)
    hint = (
        f"pip install {dist}"
        if dist
        else f"install the distribution that provides the package {top!r}"
    )
    return ComponentLoadError(
        f"Cannot load the provider {provider!r}: no module for it is installed ({module!r} "
        f"cannot be imported). To fix it, {hint}, or check the provider's spelling."
    )


def _import_dotted(provider: str) -> object:
    parts = provider.split(".")
    # Dunder attributes past the module name lead to interpreter internals, never to a class.
    if not all(p.isidentifier() for p in parts) or any(p.startswith("__") for p in parts[1:]):
        raise ComponentLoadError(
            f"The provider {provider!r} is not a dotted path such as 'package.module.Class' "
            "nor an entry-point name; fix the config's 'provider' field."
        )
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        if not _is_allowed(module_name):
            if _below_class_module(module_name):
                continue
            raise _refuse(provider, module_name)
        try:
            obj: object = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue  # this prefix is not a module: the rest may be attributes
            raise ComponentLoadError(
                f"Cannot load the provider {provider!r}: importing {module_name!r} needs "
                f"{exc.name!r}, which is not installed ({exc}). Install it, or the extra of "
                "the distribution that provides the component."
            ) from exc
        except Exception as exc:
            raise ComponentLoadError(
                f"Cannot load the provider {provider!r}: importing {module_name!r} failed with "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        for attribute in parts[cut:]:
            try:
                obj = getattr(obj, attribute)
            except AttributeError:
                dist = _DISTRIBUTIONS.get(parts[0])
                origin = f" (it would come from {dist})" if dist else ""
                missing = f"{module_name!r} has no attribute path {'.'.join(parts[cut:])!r}"
                if cut < len(parts) - 1:
                    missing = f"there is no module {'.'.join(parts[:-1])!r}, and {missing}"
                raise ComponentLoadError(
                    f"Cannot load the provider {provider!r}: {missing}{origin}. Check the "
                    "spelling, or install or upgrade the distribution that provides it."
                ) from None
        return obj
    raise _missing_module(provider, parts[0])


def _translate(provider: str) -> str:
    head, dot, rest = provider.partition(".")
    if dot and head in _AUTOGEN_PACKAGES:
        return f"{_AUTOGEN_PACKAGES[head]}.{rest}"
    return provider


def resolve_provider(
    provider: str,
    component_type: str | None,
    accepts: Callable[[object], bool],
) -> object:
    """Find the object a config's ``provider`` names.

    The provider is first looked up as an entry-point name (in the groups that match the
    component type, or all of Parlay's groups), then imported as a dotted path under the import
    rules in this module's docstring. A path into ``autogen_core``, ``autogen_agentchat`` or
    ``autogen_ext`` is read as the same path into Parlay's package.

    Args:
        provider: The config's provider string.
        component_type: The config's component type, used to choose entry-point groups.
        accepts: Tells whether a candidate fits; it breaks ties when one name exists in
            several groups.

    Returns:
        The object the provider names (not yet checked to be a component class).

    Raises:
        ComponentLoadError: Nothing matches, or the match is ambiguous.
        ComponentNotAllowedError: The dotted path lies outside the trusted packages.
        PluginConflictError: Two distributions claim the entry-point name.
        PluginLoadError: The plugin's module failed to import.
    """
    groups = _TYPE_GROUPS.get(component_type or "", PLUGIN_GROUPS)
    names = {(info.group, info.name) for info in list_plugins()}
    hits = [g for g in groups if (g, provider) in names]
    if len(hits) == 1:
        return load_plugin(hits[0], provider)
    if len(hits) > 1:
        fitting = [obj for obj in (load_plugin(g, provider) for g in hits) if accepts(obj)]
        if len(fitting) == 1:
            return fitting[0]
        raise ComponentLoadError(
            f"The provider {provider!r} names plugins in several groups ({', '.join(hits)}); "
            "set the config's component_type (for example 'model' or 'tool') to choose one."
        )
    if "." in provider:
        return _import_dotted(_translate(provider))
    if len(groups) == 1:
        try:
            find_plugin(groups[0], provider)
        except PluginNotFoundError as exc:
            raise ComponentLoadError(f"Cannot load the provider {provider!r}: {exc}") from exc
    raise ComponentLoadError(
        f"Cannot load the provider {provider!r}: it is not a plugin name in any of the groups "
        f"{', '.join(groups)}, nor a dotted path such as 'package.module.Class'. Install the "
        "distribution that provides it, or fix the config's 'provider' field."
    )
