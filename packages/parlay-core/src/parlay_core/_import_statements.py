"""Import statements that a serialized function needs, kept as data rather than as code.

AutoGen keeps these in ``autogen_core.code_executor``; they live in a private module here so that
both the code executors and the function tools can use them without importing each other.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Union

from parlay_core._exceptions import ComponentConfigError

__all__ = ["Alias", "Import", "ImportFromModule", "import_to_str"]


def _check_dotted(value: str) -> str:
    # Each part must be a plain identifier so that an "import" can never smuggle in a statement.
    parts = value.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        raise ValueError(
            f"{value!r} is not a module or attribute name. Use a dotted name such as 'os.path'."
        )
    return value


@dataclass
class Alias:
    """``import name as alias`` (or, inside :class:`ImportFromModule`, ``name as alias``).

    Attributes:
        name: The imported name.
        alias: The name it is bound to.
    """

    name: str
    alias: str

    def __post_init__(self) -> None:
        _check_dotted(self.name)
        _check_dotted(self.alias)


@dataclass(init=False)
class ImportFromModule:
    """``from module import a, b as c``.

    Args:
        module: The module to import from.
        imports: The names to import, each a string or an :class:`Alias`.
    """

    module: str
    imports: tuple[Union[str, Alias], ...]

    def __init__(
        self, module: str, imports: tuple[Union[str, Alias], ...] | list[Union[str, Alias]]
    ) -> None:
        self.module = module
        self.imports = tuple(imports)
        self.__post_init__()

    def __post_init__(self) -> None:
        # pydantic calls __post_init__ (not __init__) when it loads a config, so checks live here.
        _check_dotted(self.module)
        for item in self.imports:
            if isinstance(item, str):
                _check_dotted(item)


Import = Union[str, ImportFromModule, Alias]
"""A module name (``"os"``), a ``from`` import, or an aliased import."""


def import_to_str(item: Import) -> str:
    """Write an :data:`Import` as one line of Python.

    Raises:
        ComponentConfigError: A name is not a dotted identifier.
    """
    try:
        if isinstance(item, str):
            return f"import {_check_dotted(item)}"
        if isinstance(item, Alias):
            return f"import {item.name} as {item.alias}"
        names = ", ".join(
            name if isinstance(name, str) else f"{name.name} as {name.alias}"
            for name in item.imports
        )
        return f"from {item.module} import {names}"
    except ValueError as exc:
        raise ComponentConfigError(f"Invalid import in a tool config: {exc}") from exc
