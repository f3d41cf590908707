"""parlay_core.utils: JSON schemas as pydantic models, and JSON read from a model's reply."""

from __future__ import annotations

import datetime
import json
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel, Field, ValidationError

from parlay_core.exceptions import ParlayError, ToolSchemaError
from parlay_core.utils import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    SchemaConversionError,
    UnsupportedKeywordError,
    extract_json_from_str,
    schema_to_pydantic_model,
)


class Address(BaseModel):
    street: str
    zipcode: str = Field(min_length=5, max_length=5)


class Person(BaseModel):
    id: UUID
    name: str
    born: datetime.date
    age: int = Field(ge=0)
    address: Address
    tags: list[str] = []
    role: Literal["admin", "user"] = "user"
    boss: Person | None = None


def test_a_pydantic_models_schema_round_trips_into_an_equivalent_model() -> None:
    model = schema_to_pydantic_model(Person.model_json_schema(), "Person")
    assert model.__name__ == "Person"
    data = {
        "id": str(uuid4()),
        "name": "Ada",
        "born": "1815-12-10",
        "age": 36,
        "address": {"street": "St James's Square", "zipcode": "12345"},
        "tags": ["maths"],
        "role": "admin",
        "boss": {
            "id": str(uuid4()),
            "name": "Charles",
            "born": "1791-12-26",
            "age": 60,
            "address": {"street": "Dorset Street", "zipcode": "54321"},
        },
    }
    person: Any = model.model_validate(data)
    assert person.born == datetime.date(1815, 12, 10)
    assert person.boss.name == "Charles"
    assert person.model_dump(mode="json", exclude_none=True) == {
        **data,
        "boss": {**data["boss"], "tags": [], "role": "user"},
    }
    for bad in (
        {**data, "id": "not-a-uuid"},
        {**data, "age": -1},
        {**data, "role": "owner"},
        {**data, "address": {"street": "x", "zipcode": "1"}},
        {**data, "boss": {**data["boss"], "born": "yesterday"}},
    ):
        with pytest.raises(ValidationError):
            model.model_validate(bad)


def test_properties_that_are_not_required_default_to_none() -> None:
    model = schema_to_pydantic_model(
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
            "required": ["name"],
        }
    )
    assert model.__name__ == "GeneratedModel"
    assert model.model_validate({"name": "x"}).model_dump() == {"name": "x", "size": None}
    assert model.model_fields["size"].annotation == int | None


def test_schema_errors_are_autogens_classes_inside_parlays_tree() -> None:
    with pytest.raises(ReferenceNotFoundError) as missing:
        schema_to_pydantic_model({"type": "object", "properties": {"a": {"$ref": "#/$defs/X"}}})
    with pytest.raises(FormatNotSupportedError):
        schema_to_pydantic_model(
            {"type": "object", "properties": {"a": {"type": "string", "format": "shoe-size"}}}
        )
    with pytest.raises(UnsupportedKeywordError):
        schema_to_pydantic_model({"type": "object", "properties": {"a": {"title": "A"}}})
    with pytest.raises(UnsupportedKeywordError):
        schema_to_pydantic_model({"type": "object", "properties": {"a": {"type": "decimal"}}})
    error = missing.value
    assert isinstance(error, SchemaConversionError)
    assert isinstance(error, ToolSchemaError)
    assert isinstance(error, ParlayError)
    assert isinstance(error, ValueError)
    assert "'#/$defs/X'" in str(error)


def test_extract_json_reads_bare_json_and_fenced_blocks() -> None:
    assert extract_json_from_str(' {"a": 1} ') == [{"a": 1}]
    reply = 'Two answers:\n```json\n{"a": 1}\n```\nand\n```\n{"b": 2}\n```\n'
    assert extract_json_from_str(reply) == [{"a": 1}, {"b": 2}]
    with pytest.raises(ValueError, match="tagged 'python'"):
        extract_json_from_str('```python\n{"a": 1}\n```\n')
    with pytest.raises(json.JSONDecodeError):
        extract_json_from_str('{"a": 1')
