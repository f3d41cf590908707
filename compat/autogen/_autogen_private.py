"""Placeholders for AutoGen-private names that Parlay has no public equivalent of.

A test that imports such a name still imports; it fails only if it uses the name, with an
error the compat run recognises, and that test is then counted as a private-API test.
"""

from __future__ import annotations

from typing import Any, NoReturn


class PrivateAutoGenName(Exception):
    """A test used a name from one of AutoGen's private modules."""


class Placeholder:
    def __init__(self, module: str, name: str) -> None:
        self._where = f"{module}.{name}"

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PrivateAutoGenName(
            f"{self._where} is private to AutoGen; Parlay has no public equivalent"
        )

    __call__ = __getitem__ = __iter__ = __mro_entries__ = __eq__ = __hash__ = _fail
    __instancecheck__ = __subclasscheck__ = _fail

    def __getattr__(self, attribute: str) -> Any:
        self._fail()


def private(module: str, name: str) -> Placeholder:
    return Placeholder(module, name)
