"""Discovering, loading and registering plugins.

Listing reads installed distributions' metadata only: no plugin module is imported until somebody
asks for that plugin. The metadata snapshot is cached per ``sys.path``; call
:func:`refresh_plugins` after installing a distribution into a running interpreter.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parlay_core._exceptions import PluginConflictError, PluginLoadError, PluginNotFoundError
from parlay_core.plugins._groups import parlay_ext_extra

if TYPE_CHECKING:
    from importlib import metadata

__all__ = [
    "PluginInfo",
    "find_plugin",
    "list_plugins",
    "load_plugin",
    "plugin_packages",
    "refresh_plugins",
    "register",
    "registered",
    "unregister",
]

_GROUP_PREFIX = "parlay."


@dataclass(frozen=True)
class PluginInfo:
    """What is known about one plugin without importing it.

    Attributes:
        group: The entry-point group, for example ``"parlay.model_clients"``.
        name: The plugin's name inside its group, for example ``"echo"``.
        value: The entry point's target (``"package.module:attribute"``); for an object given to
            :func:`register`, its module and qualified name.
        distribution: The name of the distribution that declares the entry point, or None for an
            object given to :func:`register`.
        version: That distribution's version, or None for a registered object.
        registered: True for an object given to :func:`register` rather than found in metadata.
    """

    group: str
    name: str
    value: str
    distribution: str | None
    version: str | None
    registered: bool = False

    @property
    def module(self) -> str:
        """The module the plugin lives in (the part of ``value`` before the colon)."""
        return self.value.partition(":")[0].strip()

    def load(self) -> object:
        """Import (once) and return the object this entry describes.

        Returns:
            The plugin object, usually a class.

        Raises:
            PluginLoadError: Importing the plugin's module or attribute failed.
        """
        return _load_info(self)

    def describe(self) -> str:
        """Return a short human-readable origin, such as ``"echo (parlay-echo 0.1.0)"``."""
        if self.registered:
            return f"{self.name} (registered in this process)"
        return f"{self.name} ({self.distribution} {self.version})"


@dataclass
class _Snapshot:
    key: tuple[str, ...]
    by_group: dict[str, list[PluginInfo]]
    distributions: dict[str, metadata.Distribution]
    packages: frozenset[str] | None = None


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    snapshot: _Snapshot | None = None
    loaded: dict[PluginInfo, object] = field(default_factory=dict[PluginInfo, object])
    registered: dict[tuple[str, str], object] = field(default_factory=dict[tuple[str, str], object])


_state = _State()


def _read_snapshot(key: tuple[str, ...]) -> _Snapshot:
    # Imported here, not at module level: importlib.metadata costs more to import than a
    # cached listing costs to run, and `import parlay_core` should not pay for it.
    from importlib import metadata

    # One pass over all installed metadata: entry_points() reads each distribution's
    # entry_points.txt and nothing else, which keeps this cheap enough for startup paths.
    every = metadata.entry_points()
    by_group: dict[str, list[PluginInfo]] = {}
    distributions: dict[str, metadata.Distribution] = {}
    for group in sorted(g for g in every.groups if g.startswith(_GROUP_PREFIX)):
        infos: list[PluginInfo] = []
        for entry in every.select(group=group):
            dist = entry.dist
            dist_name = dist.name if dist is not None else "<unknown distribution>"
            dist_version = dist.version if dist is not None else "?"
            if dist is not None:
                distributions.setdefault(dist_name, dist)
            infos.append(PluginInfo(group, entry.name, entry.value, dist_name, dist_version))
        infos.sort(key=lambda info: (info.name, info.distribution or ""))
        by_group[group] = infos
    return _Snapshot(key, by_group, distributions)


def _snapshot() -> _Snapshot:
    key = tuple(sys.path)
    with _state.lock:
        current = _state.snapshot
        if current is not None and current.key == key:
            return current
        fresh = _read_snapshot(key)
        _state.snapshot = fresh
        return fresh


def refresh_plugins() -> None:
    """Forget cached metadata and loaded plugins, so newly installed distributions are seen.

    Objects given to :func:`register` stay registered.
    """
    import importlib

    # importlib.metadata caches directory listings too; without this, a distribution installed
    # after the first lookup could stay invisible.
    importlib.invalidate_caches()
    with _state.lock:
        _state.snapshot = None
        _state.loaded.clear()


def _registered_info(group: str, name: str, obj: object) -> PluginInfo:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return PluginInfo(group, name, f"{module}:{qualname}", None, None, registered=True)


def list_plugins(group: str | None = None) -> list[PluginInfo]:
    """List plugins from installed metadata and :func:`register`, importing nothing.

    Args:
        group: One entry-point group (see :data:`~parlay_core.plugins.PLUGIN_GROUPS`), or None
            for every group whose name starts with ``"parlay."``.

    Returns:
        Every entry, sorted by group and name. A registered object and an installed entry point
        of the same name are both listed; :func:`find_plugin` prefers the registered one.
    """
    snap = _snapshot()
    with _state.lock:
        extra = [
            _registered_info(g, n, obj)
            for (g, n), obj in _state.registered.items()
            if group is None or g == group
        ]
    if group is None:
        found = [info for infos in snap.by_group.values() for info in infos]
    else:
        found = list(snap.by_group.get(group, []))
    everything = extra + found
    everything.sort(key=lambda info: (info.group, info.name, not info.registered))
    return everything


def _not_found(group: str, name: str, snap: _Snapshot) -> PluginNotFoundError:
    lines = [f"No plugin named {name!r} in the entry-point group {group!r}."]
    extra = parlay_ext_extra(group, name)
    if extra is not None:
        package = f'"parlay-ext[{extra}]"' if extra else "parlay-ext"
        lines.append(f"It ships with parlay-ext: install it with pip install {package}.")
    else:
        lines.append(
            "Install the distribution that provides it (it must declare an entry point named "
            f"{name!r} in the group {group!r}), or register an object under that name with "
            "parlay_core.plugins.register()."
        )
    available = list_plugins(group)
    if available:
        lines.append("Available in this group: " + ", ".join(i.describe() for i in available) + ".")
    else:
        lines.append("No plugins are installed in this group.")
    elsewhere = sorted(
        g for g, infos in snap.by_group.items() if g != group and any(i.name == name for i in infos)
    )
    if elsewhere:
        lines.append(f"A plugin named {name!r} exists in: {', '.join(elsewhere)}.")
    return PluginNotFoundError(" ".join(lines))


def find_plugin(group: str, name: str) -> PluginInfo:
    """Find one plugin by group and name without importing it.

    An object given to :func:`register` wins over installed entry points of the same name.

    Args:
        group: The entry-point group, for example ``"parlay.model_clients"``.
        name: The plugin's name in that group.

    Returns:
        The plugin's :class:`PluginInfo`.

    Raises:
        PluginNotFoundError: Nothing has that name; the message says what to install.
        PluginConflictError: Two distributions declare that name in the group; the message names
            both.
    """
    with _state.lock:
        if (group, name) in _state.registered:
            return _registered_info(group, name, _state.registered[(group, name)])
    snap = _snapshot()
    matches = [info for info in snap.by_group.get(group, []) if info.name == name]
    if not matches:
        raise _not_found(group, name, snap)
    if len(matches) > 1:
        claims = " and ".join(f"{i.distribution} {i.version} ({i.value})" for i in matches)
        raise PluginConflictError(
            f"The plugin name {name!r} in the group {group!r} is claimed by {claims}. "
            "Uninstall one of these distributions, or register the one you want with "
            "parlay_core.plugins.register(), which takes precedence over installed entry points."
        )
    return matches[0]


def _load_info(info: PluginInfo) -> object:
    if info.registered:
        with _state.lock:
            try:
                return _state.registered[(info.group, info.name)]
            except KeyError:
                raise PluginNotFoundError(
                    f"The plugin {info.name!r} in the group {info.group!r} was unregistered; "
                    "look it up again with find_plugin()."
                ) from None
    with _state.lock:
        if info in _state.loaded:
            return _state.loaded[info]
    from importlib.metadata import EntryPoint

    entry = EntryPoint(name=info.name, value=info.value, group=info.group)
    try:
        obj = entry.load()
    except Exception as exc:
        raise PluginLoadError(
            f"The plugin {info.name!r} in the group {info.group!r} (entry point {info.value!r} "
            f"of {info.distribution} {info.version}) failed to load: "
            f"{type(exc).__name__}: {exc}. Check that {info.distribution} and its dependencies "
            "are installed for this Python, or uninstall it if it is no longer wanted."
        ) from exc
    with _state.lock:
        _state.loaded[info] = obj
    return obj


def load_plugin(group: str, name: str) -> object:
    """Find a plugin and import it; later calls return the cached object.

    Args:
        group: The entry-point group, for example ``"parlay.tools"``.
        name: The plugin's name in that group.

    Returns:
        The object the entry point names (usually a class), or the registered object.

    Raises:
        PluginNotFoundError: Nothing has that name.
        PluginConflictError: Two distributions claim the name.
        PluginLoadError: The plugin's module or attribute failed to import.
    """
    return _load_info(find_plugin(group, name))


def register(group: str, name: str, obj: object, *, replace: bool = False) -> None:
    """Register an object as a plugin in this process, without any distribution metadata.

    Meant for applications and tests. A registered object takes precedence over an installed
    entry point of the same group and name.

    Args:
        group: The entry-point group, for example ``"parlay.model_clients"``.
        name: The name to register it under.
        obj: The plugin object, usually a class.
        replace: Overwrite an earlier registration of the same group and name.

    Raises:
        PluginConflictError: The name is already registered and ``replace`` is False.
        ValueError: The group or name is empty.
    """
    if not group or not name:
        raise ValueError(
            "register() needs a non-empty group and name, e.g. ('parlay.tools', 'echo')."
        )
    with _state.lock:
        key = (group, name)
        if key in _state.registered and not replace and _state.registered[key] is not obj:
            raise PluginConflictError(
                f"A plugin named {name!r} is already registered in the group {group!r} "
                f"({_registered_info(group, name, _state.registered[key]).value}). Call "
                "unregister() first, or pass replace=True."
            )
        _state.registered[key] = obj


def unregister(group: str, name: str) -> None:
    """Remove an object given to :func:`register`.

    Args:
        group: Its entry-point group.
        name: Its name.

    Raises:
        PluginNotFoundError: Nothing is registered under that group and name.
    """
    with _state.lock:
        if _state.registered.pop((group, name), None) is None:
            raise PluginNotFoundError(
                f"Nothing is registered as {name!r} in the group {group!r}; only objects given "
                "to register() can be unregistered (installed entry points cannot)."
            )


@contextmanager
def registered(group: str, name: str, obj: object) -> Generator[None, None, None]:
    """Register an object for the duration of a ``with`` block, then restore what was there.

    Args:
        group: The entry-point group.
        name: The name to register it under.
        obj: The plugin object.

    Yields:
        Nothing; the object is registered inside the block.
    """
    with _state.lock:
        previous = _state.registered.get((group, name))
        _state.registered[(group, name)] = obj
    try:
        yield
    finally:
        with _state.lock:
            if previous is None:
                _state.registered.pop((group, name), None)
            else:
                _state.registered[(group, name)] = previous


def _top_level_names(dist: metadata.Distribution) -> set[str]:
    names: set[str] = set()
    listed = dist.read_text("top_level.txt")
    if listed:
        names.update(line.strip() for line in listed.splitlines() if line.strip())
    for path in dist.files or ():
        parts = path.parts
        if (
            not parts
            or parts[0] in ("..", "__pycache__")
            or parts[0].endswith((".dist-info", ".data"))
        ):
            continue
        if len(parts) == 1:
            # A single-file module; editable installs also drop finder modules here.
            if parts[0].endswith(".py") and not parts[0].startswith("__editable__"):
                names.add(parts[0][:-3])
        elif parts[-1].endswith(".py"):
            names.add(parts[0])
    return names


def plugin_packages() -> frozenset[str]:
    """Top-level import packages of the distributions that declare Parlay plugins.

    Component configs may name classes inside these packages by dotted path. The set holds the
    top-level package of every plugin entry point, plus the packages those distributions list in
    their ``top_level.txt`` or install according to their ``RECORD``.

    Returns:
        The package names, for example ``frozenset({"parlay_ext", "parlay_echo"})``.
    """
    snap = _snapshot()
    with _state.lock:
        if snap.packages is not None:
            return snap.packages
    names: set[str] = set()
    for infos in snap.by_group.values():
        names.update(info.module.split(".")[0] for info in infos if info.module)
    for dist in snap.distributions.values():
        names.update(_top_level_names(dist))
    packages = frozenset(n for n in names if n.isidentifier())
    with _state.lock:
        snap.packages = packages
    return packages
