"""A faster ``model_construct`` for pydantic models that hot paths build from trusted values.

Pydantic's ``model_construct`` walks every field on each call (aliases, validation aliases,
default lookups): inside an AgentChat team that was several microseconds per message, paid
four times a turn. For models without aliases, private attributes, ``extra="allow"`` or a
``model_post_init``, the same instance can be built from a per-class template of plain
defaults. Anything else, or a call that leaves out a required field or a field with a default
factory, falls back to pydantic's own method, so the result is always what pydantic builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from typing_extensions import Self

__all__ = ["FastConstruct", "construct_model"]

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__
_IMMUTABLE = (str, int, float, bool, bytes, type(None), frozenset)


def _slot_setter(name: str) -> Callable[[BaseModel, Any], None]:
    # The setter of one of BaseModel's own slots, called directly: object.__setattr__ reaches the
    # same descriptor but first walks the class's bases to check that no C-level __setattr__ is
    # skipped, which made the four assignments below most of the cost of a construct.
    setter = getattr(BaseModel.__dict__.get(name), "__set__", None)
    if setter is None:  # pragma: no cover - a pydantic that keeps them elsewhere: the usual way

        def assign(model: BaseModel, value: Any) -> None:
            _set(model, name, value)

        return assign
    return cast("Callable[[BaseModel, Any], None]", setter)


_set_dict = _slot_setter("__dict__")
_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")
_new = object.__new__


class _Plan:
    __slots__ = ("needed", "size", "template")

    def __init__(self, template: dict[str, Any], needed: frozenset[str]) -> None:
        self.template = template  # every field in declaration order; placeholders for `needed`
        self.needed = needed  # required fields and fields with a default factory
        self.size = len(template)


_PLANS: dict[type[BaseModel], _Plan | None] = {}


def _plan(cls: type[BaseModel]) -> _Plan | None:
    if (
        cls.__new__ is not object.__new__  # built below with object.__new__
        or cls.__pydantic_post_init__ is not None
        or cls.__pydantic_root_model__
        or cls.__private_attributes__
        or cls.model_config.get("extra") == "allow"
    ):
        return None
    template: dict[str, Any] = {}
    needed: set[str] = set()
    for name, field in cls.model_fields.items():
        if field.alias not in (None, name) or field.validation_alias not in (None, name):
            return None
        if field.is_required() or field.default_factory is not None:
            needed.add(name)
            template[name] = None
        elif isinstance(default := cast(object, field.default), _IMMUTABLE):
            template[name] = default
        else:
            return None  # a mutable default must be copied per instance, as pydantic does
    return _Plan(template, frozenset(needed))


def construct_model(cls: type[M], values: dict[str, Any], fields_set: set[str] | None = None) -> M:
    """Build ``cls`` from already-valid ``values`` without validation, as ``model_construct``.

    Args:
        cls: The model class.
        values: Field values; the caller guarantees they are valid. The dict is not kept.
        fields_set: The fields to report as explicitly set (by default those in ``values``).

    Returns:
        The same instance pydantic's ``model_construct(**values)`` would build.
    """
    try:
        plan = _PLANS[cls]
    except KeyError:
        plan = _PLANS[cls] = _plan(cls)
    if plan is not None and values.keys() >= plan.needed:
        data = plan.template.copy()
        data.update(values)
        # A value for something that is not a field changes the size: pydantic drops it.
        if len(data) == plan.size:
            model = _new(cls)
            _set_dict(model, data)
            _set_fields_set(model, set(values) if fields_set is None else fields_set)
            _set_extra(model, None)
            _set_private(model, None)
            return model
    return _pydantic_construct(cls, fields_set, values)


def _pydantic_construct(cls: type[M], fields_set: set[str] | None, values: dict[str, Any]) -> M:
    # BaseModel's own method, bypassing FastConstruct's override.
    build = BaseModel.model_construct.__func__  # type: ignore[attr-defined]
    return build(cls, fields_set, **values)  # type: ignore[no-any-return]


class FastConstruct(BaseModel):
    """A base whose :meth:`model_construct` takes the fast path of :func:`construct_model`."""

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        """Build the model from trusted values without validation (pydantic's contract)."""
        return construct_model(cls, values, _fields_set)
