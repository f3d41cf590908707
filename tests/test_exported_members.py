"""Public modules export a sorted ``__all__`` whose names exist and are documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest


def _public_modules() -> list[str]:
    names: list[str] = []
    for top in ("parlay_core", "parlay_agentchat", "parlay_ext"):
        try:
            package = importlib.import_module(top)
        except ImportError:  # a layering session installs one distribution alone
            continue
        names.append(top)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{top}."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            names.append(info.name)
    return names


def _isort_key(name: str) -> tuple[int, str]:
    # Constants, then classes, then functions: the order ruff's RUF022 keeps.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError as e:
        # Optional integrations raise an ImportError that names the extra to install.
        assert "pip install" in str(e), f"{name}: ImportError without install advice: {e}"
        return None


@pytest.mark.parametrize("module_name", _public_modules())
def test_all_is_sorted_and_resolves(module_name: str) -> None:
    module = _load(module_name)
    if module is None:
        return
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_key), (
        f"{module_name}.__all__ is not sorted"
    )
    assert len(set(exported)) == len(exported)
    for name in exported:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert getattr(value, "__doc__", None), f"{module_name}.{name} has no docstring"


def test_public_exceptions_module_exports_the_whole_tree() -> None:
    import parlay_core._exceptions as private
    import parlay_core.exceptions as public

    assert set(public.__all__) == set(private.__all__)
    assert all(issubclass(getattr(public, name), private.ParlayError) for name in public.__all__)
