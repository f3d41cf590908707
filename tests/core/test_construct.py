"""The fast model_construct builds exactly what pydantic's own model_construct builds."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from parlay_core import FunctionCall
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    SystemMessage,
    UserMessage,
)
from parlay_core.utils import construct_model


def pydantic_built(cls: type[BaseModel], values: dict[str, Any]) -> BaseModel:
    return BaseModel.model_construct.__func__(cls, **values)  # type: ignore[attr-defined,no-any-return]


def same(a: BaseModel, b: BaseModel) -> None:
    assert type(a) is type(b)
    assert list(a.__dict__.items()) == list(b.__dict__.items())  # same values, same order
    assert a.model_fields_set == b.model_fields_set
    assert a.model_dump() == b.model_dump()
    assert repr(a) == repr(b)


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (SystemMessage, {"content": "Be brief."}),
        (UserMessage, {"content": "hi", "source": "user"}),
        (AssistantMessage, {"content": "ok", "source": "a"}),
        (AssistantMessage, {"content": "ok", "source": "a", "thought": "hmm"}),
        (
            AssistantMessage,
            {"content": [FunctionCall(id="1", name="f", arguments="{}")], "source": "a"},
        ),
        (FunctionExecutionResult, {"content": "4", "name": "add", "call_id": "1"}),
        (
            FunctionExecutionResultMessage,
            {"content": [FunctionExecutionResult(content="4", name="add", call_id="1")]},
        ),
    ],
)
def test_core_messages_match_pydantic(cls: type[BaseModel], values: dict[str, Any]) -> None:
    fast = cls.model_construct(**values)
    same(fast, pydantic_built(cls, dict(values)))
    assert fast == cls.model_validate(values)


def test_explicit_fields_set_is_kept() -> None:
    fast = UserMessage.model_construct({"content"}, content="hi", source="user")
    assert fast.model_fields_set == {"content"}


class WithFactory(BaseModel):
    name: str
    tags: list[str] = Field(default_factory=list)
    size: int = 1


class WithMutableDefault(BaseModel):
    name: str
    tags: list[str] = []


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (WithFactory, {"name": "x"}),  # a default factory not given: pydantic calls it
        (WithFactory, {"name": "x", "tags": ["a"]}),
        (WithFactory, {"size": 3}),  # a required field left out: left out, as pydantic does
        (WithFactory, {"name": "x", "unknown": 1}),  # not a field: dropped, as pydantic does
        (WithMutableDefault, {"name": "x"}),
    ],
)
def test_every_case_matches_pydantic(cls: type[BaseModel], values: dict[str, Any]) -> None:
    same(construct_model(cls, dict(values)), pydantic_built(cls, dict(values)))


def test_mutable_defaults_are_not_shared() -> None:
    first = construct_model(WithMutableDefault, {"name": "a"})
    second = construct_model(WithMutableDefault, {"name": "b"})
    first.tags.append("x")
    assert second.tags == []


MADE_BY_NEW: list[int] = []


class WithOwnNew(BaseModel):
    """A model whose instances are made by its own __new__, which construct must honour."""

    name: str

    def __new__(cls, *args: Any, **kwargs: Any) -> WithOwnNew:
        instance = super().__new__(cls)
        MADE_BY_NEW.append(id(instance))
        return instance


def test_a_model_with_its_own_new_is_made_through_it() -> None:
    built = construct_model(WithOwnNew, {"name": "x"})
    same(built, pydantic_built(WithOwnNew, {"name": "x"}))
    assert id(built) in MADE_BY_NEW
