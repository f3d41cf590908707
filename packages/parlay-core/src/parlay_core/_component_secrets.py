"""Keeping secrets out of dumped component configs, and noticing masked ones on the way back in.

Configs declare secrets as pydantic ``SecretStr`` (or ``SecretBytes``). A dump writes them as
pydantic's mask (``"**********"``) unless the caller asked for secrets, and a load refuses a
config whose secret field still holds the mask, because building a client with the mask as its
API key would only fail later, far from the cause.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

__all__ = ["SECRET_MASK", "config_to_dict", "masked_secret_fields", "revealing_secrets"]

SECRET_MASK = "**********"
"""What a secret looks like in a config dumped without ``include_secrets=True``."""

# Nested components are dumped by their parent's _to_config(), which cannot pass arguments
# through; a context variable carries the caller's choice down the whole tree.
_reveal: ContextVar[bool] = ContextVar("parlay_reveal_secrets", default=False)


@contextmanager
def revealing_secrets(enabled: bool) -> Generator[None, None, None]:
    """Write secrets in clear in every dump made inside the block, when ``enabled`` is True."""
    if not enabled:
        yield
        return
    token = _reveal.set(True)
    try:
        yield
    finally:
        _reveal.reset(token)


def _is_secret(value: object) -> bool:
    return callable(getattr(value, "get_secret_value", None))


def _reveal_all(value: object) -> object:
    if _is_secret(value):
        return cast(Any, value).get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal_all(v) for k, v in cast(dict[object, object], value).items()}
    if isinstance(value, (list, tuple)):
        return [_reveal_all(v) for v in cast("list[object] | tuple[object, ...]", value)]
    return value


def config_to_dict(config: BaseModel) -> dict[str, Any]:
    """Dump a config model to JSON-ready data, masking secrets unless they are being revealed.

    A field left at a default of None is omitted, which keeps dumps short without changing what
    they mean; a None that overrides another default is kept.

    Args:
        config: The model returned by a component's ``_to_config()``.

    Returns:
        A dict of JSON-compatible values.
    """
    fields = type(config).model_fields
    omit = {
        name
        for name, info in fields.items()
        if info.default is None and getattr(config, name) is None
    }
    raw: object = config.model_dump(mode="python", exclude=omit or None)
    if _reveal.get():
        raw = _reveal_all(raw)
    return cast(dict[str, Any], to_jsonable_python(raw))


def _walk_masked(value: object, path: str) -> Iterator[str]:
    if _is_secret(value):
        secret: object = cast(Any, value).get_secret_value()
        if secret in (SECRET_MASK, SECRET_MASK.encode()):
            yield path
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk_masked(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in cast(dict[object, object], value).items():
            yield from _walk_masked(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(cast("list[object] | tuple[object, ...]", value)):
            yield from _walk_masked(item, f"{path}[{index}]")


def masked_secret_fields(config: BaseModel) -> list[str]:
    """List the secret fields of a validated config that hold the mask instead of a secret.

    Args:
        config: A validated config model.

    Returns:
        Dotted field paths, such as ``["api_key"]``; empty when every secret is real.
    """
    return list(_walk_masked(config, ""))
