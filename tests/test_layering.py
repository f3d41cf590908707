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


def _private_imports(source: str, package: str) -> list[tuple[int, str]]:
    # Every import of another Parlay package's module whose dotted path has a part that starts
    # with "_" (``parlay_core._hosting``, ``parlay_core.state._checkpoints``), with its line.
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if not any(part.startswith("_") for part in node.module.split(".")):
                # ``from parlay_core import _hosting`` reaches in just the same.
                names += [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            private = any(part.startswith("_") for part in parts[1:])
            if parts[0] in SOURCES and parts[0] != package and private:
                found.append((node.lineno, name))
    return found


@pytest.mark.parametrize("package", ["parlay_agentchat", "parlay_ext"])
def test_packages_use_only_public_names_of_other_layers(package: str) -> None:
    # Private modules may change in any release: what another distribution needs of core is
    # made public (``parlay_core.hosting``, for example) instead of reached into.
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted(SOURCES[package].rglob("*.py"))
        for line, name in _private_imports(path.read_text(encoding="utf-8"), package)
    ]
    assert offenders == []


def test_the_private_import_check_finds_every_form_of_reaching_in() -> None:
    source = (
        "from parlay_core._hosting import AgentHost\n"
        "import parlay_core.state._checkpoints\n"
        "from parlay_core import _construct\n"
        "from parlay_core.hosting import CancelScope\n"
        "from parlay_ext.runtimes.nats import _wire\n"
        "from parlay_core import AgentId\n"
    )
    assert _private_imports(source, "parlay_ext") == [
        (1, "parlay_core._hosting"),
        (2, "parlay_core.state._checkpoints"),
        (3, "parlay_core._construct"),
    ]


@pytest.mark.parametrize("package", sorted(SOURCES))
def test_packages_import_only_the_layers_below(package: str) -> None:
    offenders = []
    for path in sorted(SOURCES[package].rglob("*.py")):
        # parlay-ext may offer agentchat-level agents behind an extra that depends on agentchat
        # (Magentic-One's agents and its preset team live in parlay_ext.agents and .teams).
        parts = path.relative_to(SOURCES[package]).parts
        if package == "parlay_ext" and ("agentchat" in parts or parts[0] in {"agents", "teams"}):
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
