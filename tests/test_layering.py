"""The dependency direction agentchat -> core <- ext holds in the source and in the metadata."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"

# What each import package may import from the other Parlay packages.
ALLOWED = {
    "parlay_core": set(),
    "parlay_agentchat": {"parlay_core"},
    "parlay_ext": {"parlay_core"},
}
SOURCES = {
    "parlay_core": PACKAGES / "parlay-core" / "src" / "parlay_core",
    "parlay_agentchat": PACKAGES / "parlay-agentchat" / "src" / "parlay_agentchat",
    "parlay_ext": PACKAGES / "parlay-ext" / "src" / "parlay_ext",
}


def _imported_parlay_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found.update(name.split(".")[0] for name in names if name.startswith("parlay_"))
    return found


@pytest.mark.parametrize("package", sorted(SOURCES))
def test_packages_import_only_the_layers_below(package: str) -> None:
    offenders = []
    for path in sorted(SOURCES[package].rglob("*.py")):
        # parlay-ext may offer agentchat-level agents behind an extra that depends on agentchat.
        if package == "parlay_ext" and "agentchat" in path.relative_to(SOURCES[package]).parts:
            continue
        bad = _imported_parlay_packages(path) - ALLOWED[package] - {package}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_distributions_pin_core_exactly_and_move_in_lockstep() -> None:
    projects = {
        name: tomllib.loads((PACKAGES / name / "pyproject.toml").read_text())["project"]
        for name in ("parlay-core", "parlay-agentchat", "parlay-ext")
    }
    version = projects["parlay-core"]["version"]
    assert {p["version"] for p in projects.values()} == {version}
    for name in ("parlay-agentchat", "parlay-ext"):
        assert f"parlay-core=={version}" in projects[name]["dependencies"]
    assert not any(d.startswith("parlay-") for d in projects["parlay-core"]["dependencies"])
    assert not any(d.startswith("parlay-ext") for d in projects["parlay-agentchat"]["dependencies"])
