"""The user's own packages, trusted process-wide to provide components named in configs.

Parlay imports a config's dotted provider only from trusted modules (see
:mod:`parlay_core._component_providers`). Applications that define their own components trust
their packages once, at start-up, instead of passing ``allow_import_paths=`` to every load:

- in code, with :func:`trust_component_modules` (``trust_component_modules("myapp")``);
- from the environment, with ``PARLAY_TRUSTED_COMPONENT_MODULES=myapp,otherpkg`` (read at each
  load, so it can be set after Parlay is imported).

Both take dotted module prefixes: ``"myapp"`` covers ``myapp`` and ``myapp.x.y`` but not
``myapp_tools``.
"""

from __future__ import annotations

import os
import threading

__all__ = [
    "TRUSTED_MODULES_ENV_VAR",
    "checked_module_prefix",
    "is_trusted_module",
    "trust_component_modules",
    "trusted_component_modules",
]

TRUSTED_MODULES_ENV_VAR = "PARLAY_TRUSTED_COMPONENT_MODULES"
"""Environment variable listing module prefixes (comma-separated) that configs may import."""

# Process-wide on purpose: trusting one's own code is a start-up decision, like installing a
# plugin, not a per-load grant (those live in the load_permissions context variable).
_trusted: list[str] = []
_lock = threading.Lock()


def checked_module_prefix(prefix: str, source: str = "allow_import_paths") -> str:
    """Return ``prefix`` if it is a dotted module name, else raise naming where it came from.

    Args:
        prefix: A module prefix such as ``"myapp"`` or ``"myapp.components"``.
        source: Where the prefix was given, for the message.

    Returns:
        The prefix, unchanged.

    Raises:
        ValueError: ``prefix`` is not a dotted module name.
    """
    if not prefix or not all(part.isidentifier() for part in prefix.split(".")):
        raise ValueError(
            f"{source} entries are dotted module prefixes such as 'myapp' or "
            f"'myapp.components'; got {prefix!r}."
        )
    return prefix


def trust_component_modules(*modules: str) -> None:
    """Let component configs name classes in these packages, in this whole process.

    Use it for your application's own components, so that ``load_component`` can import them
    by the dotted path ``dump_component`` wrote, without ``allow_import_paths=`` at each call.
    Trust is never withdrawn; call it only with packages you control.

    Args:
        *modules: Dotted module prefixes; ``"myapp"`` covers ``myapp`` and every
            ``myapp.*`` submodule, not ``myapp_other``.

    Raises:
        ValueError: An entry is not a dotted module name.

    Example:
        >>> from parlay_core import trust_component_modules
        >>> trust_component_modules("myapp")  # doctest: +SKIP
    """
    checked = [checked_module_prefix(m, "trust_component_modules") for m in modules]
    with _lock:
        _trusted.extend(m for m in checked if m not in _trusted)


def trusted_component_modules() -> tuple[str, ...]:
    """The module prefixes trusted process-wide: the environment variable's, then the code's.

    Returns:
        The prefixes from ``PARLAY_TRUSTED_COMPONENT_MODULES`` and
        :func:`trust_component_modules`, without duplicates.

    Raises:
        ValueError: The environment variable holds an entry that is not a dotted module name.
    """
    raw = os.environ.get(TRUSTED_MODULES_ENV_VAR, "")
    from_env = [
        checked_module_prefix(entry.strip(), TRUSTED_MODULES_ENV_VAR)
        for entry in raw.split(",")
        if entry.strip()
    ]
    with _lock:
        from_code = list(_trusted)
    return tuple(dict.fromkeys(from_env + from_code))


def is_trusted_module(module: str) -> bool:
    """Whether ``module`` lies inside a prefix trusted process-wide.

    Args:
        module: A dotted module name.

    Returns:
        True when it equals a trusted prefix or is a submodule of one.
    """
    return any(module == p or module.startswith(p + ".") for p in trusted_component_modules())
