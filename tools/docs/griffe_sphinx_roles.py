"""Griffe extension: turn Sphinx cross-reference roles in docstrings into mkdocstrings links.

Parlay's docstrings keep AutoGen's reStructuredText roles (``:class:`ChatAgent```,
``:meth:`run```). mkdocstrings renders docstrings as Markdown, where a role is literal text, so
without this the API reference would show raw ``:class:`` markup. The rewrite happens when
griffe loads the packages for the docs build, so the sources stay untouched (and readable in an
editor's hover, which understands the roles).

A role becomes an autorefs link ``[`Name`][full.path]``, the name resolved the way Sphinx does:
in the documented object's own scope first, then in its parents'. A name that resolves to
nothing Parlay documents becomes plain code instead of a link that cannot resolve.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|mod|attr|data|exc|obj|const):`(?P<body>[^`]+)`"
)
_EXPLICIT = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^>]+)>$")
_PACKAGES = ("parlay_core", "parlay_agentchat", "parlay_ext")


def _rendered(collection: griffe.ModulesCollection, path: str) -> bool:
    """Whether the API reference shows the object at ``path``, as far as can be told now.

    A package that is not loaded yet is trusted (autorefs still reports a link it cannot
    resolve). A loaded one must hold the object, and an attribute must have a docstring: the
    reference leaves out members without one.
    """
    if path.split(".", 1)[0] not in collection.members:
        return True
    try:
        member = collection.get_member(path)
        return member.is_module or member.is_class or member.is_function or bool(member.docstring)
    except (
        KeyError,
        ValueError,
        AttributeError,
        griffe.AliasResolutionError,
        griffe.CyclicAliasError,
    ):
        return False


def _resolve(
    obj: griffe.Object | griffe.Alias, name: str, loader: griffe.GriffeLoader
) -> str | None:
    collection = loader.modules_collection
    if name.startswith(_PACKAGES):
        return name if _rendered(collection, name) else None
    head, _, rest = name.partition(".")
    scope: griffe.Object | griffe.Alias | None = obj
    while scope is not None:
        if head in scope.members:
            found = f"{scope.path}.{name}"
            return found if _rendered(collection, found) else None
        try:
            base = scope.resolve(head)
        except (griffe.NameResolutionError, ValueError, KeyError):
            base = None
        if base is not None and base.startswith(_PACKAGES):
            found = f"{base}.{rest}" if rest else base
            return found if _rendered(collection, found) else None
        scope = scope.parent
    return None


def _rewrite(text: str, obj: griffe.Object | griffe.Alias, loader: griffe.GriffeLoader) -> str:
    def replace(match: re.Match[str]) -> str:
        body = match["body"].strip()
        explicit = _EXPLICIT.match(body)
        if explicit:
            title, target = explicit["title"], explicit["target"]
        else:
            target = body
            title = None
        short = target.startswith("~")
        target = target.lstrip("~").lstrip(".")
        if title is None:
            title = target.rsplit(".", 1)[-1] if short else target
            if match["role"] in {"func", "meth"}:
                title += "()"
        path = _resolve(obj, target, loader)
        if path is None:
            return f"`{title}`"
        return f"[`{title}`][{path}]"

    return _ROLE.sub(replace, text)


class SphinxRoles(griffe.Extension):
    """Rewrites the roles in every docstring of Parlay's packages once they are loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        self._walk(pkg, loader, seen=set())

    def _walk(self, obj: griffe.Object, loader: griffe.GriffeLoader, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = _rewrite(obj.docstring.value, obj, loader)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, loader, seen)  # type: ignore[arg-type]
