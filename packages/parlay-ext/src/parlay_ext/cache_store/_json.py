"""The JSON encoding the persistent cache stores share: values never pickled, read back as JSON."""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_jsonable_python

__all__ = ["decode_value", "encode_value"]


def encode_value(value: object, store: str) -> str:
    """Return ``value`` as JSON text; pydantic models and dataclasses become their JSON form.

    Args:
        value: What to store.
        store: The store's class name, for the error message.

    Raises:
        TypeError: ``value`` has no JSON form.
    """
    try:
        return json.dumps(to_jsonable_python(value), ensure_ascii=False)
    except Exception as exc:
        raise TypeError(
            f"{store} keeps values as JSON and cannot store a {type(value).__name__}: {exc}"
        ) from exc


def decode_value(raw: object) -> Any:
    """Return the JSON value in ``raw`` (text or UTF-8 bytes).

    Entries another program wrote that are not JSON come back as text (bytes that are not UTF-8
    come back unchanged), so a cache shared with code that stores raw strings still reads.
    """
    if isinstance(raw, (bytes, bytearray)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return raw
    elif isinstance(raw, str):
        text = raw
    else:
        return raw
    try:
        return json.loads(text)
    except ValueError:
        return text
