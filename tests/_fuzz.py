"""Hypothesis strategies and settings shared by the property-based tests of untrusted input.

Every place where bytes or JSON enter Parlay from outside the process (a serialized message, a
wire error, a state file, a component config) must fail with a ``ParlayError`` and a message
that says what to fix, never with whatever the parser happened to raise. The strategies below
produce the inputs that broke those places before: very deep nesting, NaN and infinities,
integers beyond JSON's reach, lone surrogates, bytes and objects that JSON cannot hold.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "DEEP",
    "FUZZ",
    "deep_json_text",
    "deeply_nested",
    "json_values",
    "odd_payloads",
    "odd_values",
]

FUZZ = settings(
    max_examples=100,
    deadline=None,
    # Reproducible in CI: the same examples on every run, and no example database on disk.
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""The settings of every fuzz test: bounded, so each runs in about a second, and reproducible."""

DEEP = 200_000
"""A nesting depth far beyond Python's recursion limit (and pydantic's)."""


class _DeepList(list[Any]):
    # Printing a failing example must not itself hit the recursion limit, nor walk the nesting.
    depth = 0

    def __repr__(self) -> str:
        return f"deeply_nested({self.depth})"


class _DeepDict(dict[str, Any]):
    depth = 0

    def __repr__(self) -> str:
        return f"deeply_nested({self.depth}, 'dict')"


@functools.cache
def deeply_nested(depth: int, kind: str = "list") -> Any:
    """A list (or dict) nested ``depth`` levels deep, built without recursion.

    Only the outermost container is a subclass, with a short ``repr``; JSON and pydantic treat
    it as a plain list or dict. Built once per depth and kind (building and freeing 200,000
    levels takes a good part of a second); nothing that receives it may change it.
    """
    value: Any = []
    for _ in range(depth - 1):
        value = [value] if kind == "list" else {"a": value}
    outer = _DeepList([value]) if kind == "list" else _DeepDict(a=value)
    outer.depth = depth
    return outer


def deep_json_text(depth: int, kind: str = "list") -> bytes:
    """JSON text nested ``depth`` levels deep (a list, or objects), built without recursion."""
    if kind == "list":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


_any_text = st.text(st.characters(exclude_categories=()), max_size=12)  # lone surrogates too
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**64, -(2**200), 10**400])
    | st.floats(allow_nan=True, allow_infinity=True)
    | _any_text
)

json_values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_any_text, children, max_size=4)
    ),
    max_leaves=20,
)
"""JSON-shaped values, including ones JSON cannot faithfully carry (NaN, surrogates, huge ints)."""

_unexpected = (
    st.binary(max_size=8)
    | st.complex_numbers()
    | st.frozensets(st.integers(), max_size=3)
    | st.tuples(st.integers(), _any_text)
    | st.builds(object)
    | st.dictionaries(st.tuples(st.integers()), st.integers(), min_size=1, max_size=2)
)

odd_values: st.SearchStrategy[Any] = st.one_of(
    json_values,
    st.recursive(
        _scalars | _unexpected,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(_any_text, children, max_size=3)
        ),
        max_leaves=10,
    ),
    st.sampled_from(["list", "dict"]).flatmap(
        lambda kind: st.sampled_from([900, 5_000, DEEP]).map(lambda n: deeply_nested(n, kind))
    ),
)
"""Anything a caller might put in a message field: JSON values, odd types, very deep nesting."""


def _encode(value: Any) -> bytes:
    import json

    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError, RecursionError):
        return b"null"


odd_payloads: st.SearchStrategy[bytes] = st.one_of(
    st.binary(max_size=64),
    json_values.map(_encode),
    st.sampled_from(["list", "dict"]).flatmap(
        lambda kind: st.sampled_from([900, 5_000, DEEP]).map(lambda n: deep_json_text(n, kind))
    ),
    st.sampled_from(
        [b"", b"null", b"[]", b"1" * 5000, b"NaN", b'"\\ud800"', b"\xff\xfe", b'{"a": 1', b"{}" * 3]
    ),
)
"""Bytes as they might arrive from another process: garbage, odd JSON, very deep JSON."""
