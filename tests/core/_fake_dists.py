"""Writes installed-looking distributions (``*.dist-info`` plus modules) into a folder.

Tests put that folder on ``sys.path`` so that ``importlib.metadata`` finds the distributions
exactly as it finds ones installed by pip.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from parlay_core.plugins import refresh_plugins


def write_distribution(
    root: Path,
    name: str,
    version: str,
    entry_points: Mapping[str, Mapping[str, str]],
    modules: Mapping[str, str] | None = None,
    top_level: list[str] | None = None,
) -> Path:
    """Write ``<name>-<version>.dist-info`` and the given module files under ``root``."""
    modules = modules or {}
    for relative, source in modules.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    sections = [
        f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in points.items())
        for group, points in entry_points.items()
    ]
    (info / "entry_points.txt").write_text("\n".join(sections))
    record = [f"{relative},," for relative in modules] + [f"{info.name}/METADATA,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    if top_level is not None:
        (info / "top_level.txt").write_text("\n".join(top_level) + "\n")
    return info


@contextmanager
def on_sys_path(root: Path, *packages: str) -> Iterator[None]:
    """Put ``root`` first on ``sys.path``; afterwards remove it and forget the given packages."""
    sys.path.insert(0, str(root))
    refresh_plugins()
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for module in list(sys.modules):
            if module.split(".")[0] in packages:
                del sys.modules[module]
        refresh_plugins()
