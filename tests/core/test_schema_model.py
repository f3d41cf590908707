"""The model built from a JSON object schema accepts what the schema allows and refuses the rest."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parlay_core.exceptions import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    ToolSchemaError,
    UnsupportedKeywordError,
)
from parlay_core.tools._schema_model import class_name, model_from_json_schema


def build(
    schema: dict[str, Any], *, aliased: bool = False, nullable_optional: bool = False
) -> type[BaseModel]:
    return model_from_json_schema(
        schema,
        "Checked",
        subject="The test schema",
        aliased=aliased,
        nullable_optional=nullable_optional,
    )


def refused(model: type[BaseModel], data: dict[str, Any]) -> str:
    """Validate data that must fail and return pydantic's message, to assert on."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value)


def props(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def test_property_names_become_fields_that_code_reads_as_attributes() -> None:
    model = build(
        {**props(city={"type": "string"}, degrees={"type": "integer"}), "required": ["city"]}
    )
    assert model.__name__ == "Checked"
    weather: Any = model.model_validate({"city": "Oslo", "degrees": 3})
    assert weather.city == "Oslo" and weather.degrees == 3
    assert weather.model_dump() == {"city": "Oslo", "degrees": 3}
    assert "city: Field required" in refused(model, {"degrees": 3}).replace("\n  ", ": ")


def test_aliased_fields_take_any_property_name_and_dump_under_it() -> None:
    schema = {**props(**{"user-id": {"type": "string"}, "class": {"type": "integer"}})}
    schema["required"] = ["user-id"]
    model = build(schema, aliased=True)
    assert list(model.model_fields) == ["field_0", "field_1"]
    args = model.model_validate({"user-id": "u7", "class": 2})
    assert args.model_dump(by_alias=True) == {"user-id": "u7", "class": 2}
    # The neutral field names are not a second way in: only the property names are.
    assert "user-id" in refused(model, {"field_0": "u7"})


def test_optional_properties_accept_null_only_when_asked() -> None:
    schema = {**props(name={"type": "string"}, size={"type": "integer", "default": 1})}
    strict = build(schema)
    assert strict.model_validate({}).model_dump() == {"name": None, "size": 1}
    assert "Input should be a valid integer" in refused(strict, {"size": None})
    lenient = build(schema, nullable_optional=True)
    assert lenient.model_validate({"size": None, "name": None}).model_dump() == {
        "name": None,
        "size": None,
    }
    assert "valid integer" in refused(lenient, {"size": "big"})


def test_required_names_can_be_added_by_the_caller() -> None:
    model = model_from_json_schema(
        props(item={"type": "string"}),
        "Args",
        subject="The test schema",
        aliased=True,
        nullable_optional=False,
        required=["item"],
    )
    assert "Field required" in refused(model, {})
    assert model.model_validate({"item": "a"}).model_dump(by_alias=True) == {"item": "a"}


def test_references_into_defs_and_definitions_build_one_class_each() -> None:
    point = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
    for container in ("$defs", "definitions"):
        ref = {"$ref": f"#/{container}/Point"}
        schema = {
            **props(a=ref, b={**ref, "description": "The second point."}),
            container: {"Point": point},
        }
        model = build(schema)
        a_type = model.model_fields["a"].annotation
        assert model.model_fields["b"].annotation is a_type
        assert getattr(a_type, "__name__", None) == "Point"
        assert model.model_fields["b"].description == "The second point."
        assert model.model_validate({"a": {"x": 1}}).model_dump() == {"a": {"x": 1.0}, "b": None}
        assert "a.x" in refused(model, {"a": {"x": "far"}})


def test_constraints_beside_a_reference_apply_to_that_use_only() -> None:
    schema = {
        **props(small={"$ref": "#/$defs/N", "maximum": 9}, any={"$ref": "#/$defs/N"}),
        "$defs": {"N": {"type": "integer", "minimum": 0}},
    }
    model = build(schema)
    assert model.model_validate({"small": 9, "any": 100}).model_dump() == {"small": 9, "any": 100}
    assert "less than or equal to 9" in refused(model, {"small": 10})
    assert "greater than or equal to 0" in refused(model, {"any": -1})


def test_missing_and_foreign_references_are_refused() -> None:
    with pytest.raises(
        ReferenceNotFoundError, match=r"refers to '#/\$defs/Gone' at '#/properties/a'"
    ):
        build(props(a={"$ref": "#/$defs/Gone"}))
    with pytest.raises(ToolSchemaError, match="not one of its"):
        build(props(a={"$ref": "https://example.com/schema.json"}))


def test_recursive_references_build_recursive_models() -> None:
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
        },
        "required": ["name"],
    }
    model = build({**props(root={"$ref": "#/$defs/Node"}), "$defs": {"Node": node}})
    tree = {"root": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}
    parsed: Any = model.model_validate(tree)
    assert parsed.root.children[0].children[0].name == "c"
    assert "name" in refused(model, {"root": {"name": "a", "children": [{"children": []}]}})


class Employee(BaseModel):
    name: str
    manager: Employee | None = None


def test_a_root_reference_is_followed_as_pydantic_writes_recursive_models() -> None:
    schema = Employee.model_json_schema()
    assert "$ref" in schema
    model = build(schema)
    data = {"name": "Ada", "manager": {"name": "Grace", "manager": None}}
    parsed: Any = model.model_validate(data)
    assert model.model_validate(data).model_dump() == data
    # The definition the root refers to is the root model itself.
    assert type(parsed.manager) is model
    assert "manager.name" in refused(model, {"name": "Ada", "manager": {}}).replace("\n", " ")


def test_pydantic_schemas_round_trip_into_equivalent_models() -> None:
    class Point(BaseModel):
        x: float = Field(ge=0)

    class Shape(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str = Field(min_length=1)
        points: list[Point] = Field(max_length=3)
        label: str | None = None

    model = build(Shape.model_json_schema())
    good = {"name": "tri", "points": [{"x": 1}, {"x": 2}], "label": None}
    assert model.model_validate(good).model_dump() == Shape.model_validate(good).model_dump()
    for bad in (
        {**good, "name": ""},
        {**good, "points": [{"x": -1}]},
        {**good, "points": [{"x": 1}] * 4},
        {**good, "colour": "red"},
    ):
        with pytest.raises(ValidationError):
            Shape.model_validate(bad)
        refused(model, bad)


def test_any_of_one_of_and_type_lists_accept_each_option() -> None:
    model = build(
        props(
            id={"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}]},
            shape={"oneOf": [props(r={"type": "number"}), props(w={"type": "number"})]},
            note={"type": ["string", "null"]},
        )
    )
    for value in (7, "abc"):
        assert model.model_validate({"id": value}).model_dump()["id"] == value
    assert "at most 3 characters" in refused(model, {"id": "abcd"})
    assert model.model_validate({"note": None}).model_dump()["note"] is None
    assert "valid string" in refused(model, {"note": 5})
    assert model.model_validate({"shape": {"r": 2}}).model_dump()["shape"] == {"r": 2.0}


def test_enum_and_const_allow_only_their_values() -> None:
    model = build(props(colour={"type": "string", "enum": ["red", "blue"]}, version={"const": 2}))
    assert model.model_validate({"colour": "red", "version": 2}).model_dump() == {
        "colour": "red",
        "version": 2,
    }
    assert "'red' or 'blue'" in refused(model, {"colour": "green"})
    assert "Input should be 2" in refused(model, {"version": 3})


def test_arrays_check_their_items_and_length() -> None:
    model = build(
        props(
            tags={"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
            anything={"type": "array"},
        )
    )
    assert model.model_validate({"tags": ["a"], "anything": [1, "b"]}).model_dump() == {
        "tags": ["a"],
        "anything": [1, "b"],
    }
    assert "at least 1 item" in refused(model, {"tags": []})
    assert "at most 2 items" in refused(model, {"tags": ["a", "b", "c"]})
    assert "tags.0" in refused(model, {"tags": [1]})
    with pytest.raises(ToolSchemaError, match="as a list"):
        build(props(pair={"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}))


def test_nested_objects_are_models_named_after_their_title_or_place() -> None:
    model = build(
        props(
            address={
                **props(city={"type": "string"}),
                "title": "Postal address",
                "required": ["city"],
            },
            geo=props(lat={"type": "number"}),
        )
    )
    assert getattr(model.model_fields["address"].annotation, "__name__", None) == "Postal_address"
    assert getattr(model.model_fields["geo"].annotation, "__name__", None) == "Checked_geo"
    assert "address.city" in refused(model, {"address": {}})
    data = {"address": {"city": "Oslo"}, "geo": {"lat": 59.9}}
    assert model.model_validate(data).model_dump() == data


@pytest.mark.parametrize(
    ("schema", "good", "bad", "message"),
    [
        ({"type": "string", "minLength": 2}, "ab", "a", "at least 2 characters"),
        ({"type": "string", "maxLength": 2}, "ab", "abc", "at most 2 characters"),
        ({"type": "string", "pattern": "^[a-z]+$"}, "ab", "A1", "should match pattern"),
        ({"type": "integer", "minimum": 1}, 1, 0, "greater than or equal to 1"),
        ({"type": "number", "maximum": 1.5}, 1.5, 1.6, "less than or equal to 1.5"),
        ({"type": "integer", "exclusiveMinimum": 1}, 2, 1, "greater than 1"),
        ({"type": "number", "exclusiveMaximum": 1}, 0.5, 1, "less than 1"),
        ({"type": "integer", "multipleOf": 5}, 10, 12, "multiple of 5"),
        # Draft 4: boolean flags turn minimum and maximum exclusive.
        ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 2, 1, "greater than 1"),
        ({"type": "integer", "maximum": 3, "exclusiveMaximum": True}, 2, 3, "less than 3"),
        ({"type": "integer", "maximum": 3, "exclusiveMaximum": False}, 3, 4, "less than or equal"),
    ],
)
def test_bounds_are_checked(schema: dict[str, Any], good: Any, bad: Any, message: str) -> None:
    model = build(props(v=schema))
    assert model.model_validate({"v": good}).model_dump() == {"v": good}
    assert message in refused(model, {"v": bad})


def test_bounds_apply_only_to_values_of_their_type() -> None:
    model = build(props(n={"type": ["integer", "null"], "minimum": 1, "maxLength": 2}))
    assert model.model_validate({"n": None}).model_dump() == {"n": None}
    assert model.model_validate({"n": 100}).model_dump() == {"n": 100}
    assert "greater than or equal to 1" in refused(model, {"n": 0})


@pytest.mark.parametrize(
    "keyword",
    ["not", "if", "patternProperties", "propertyNames", "uniqueItems", "contains", "prefixItems"],
)
def test_keywords_that_cannot_be_checked_are_refused_with_their_place(keyword: str) -> None:
    nested: dict[str, Any] = {"type": "array", "items": {"type": "object", keyword: {}}}
    with pytest.raises(ToolSchemaError) as info:
        build(props(rows=nested))
    assert str(info.value).startswith(f"The test schema uses ['{keyword}']")
    assert "'#/properties/rows/items'" in str(info.value)


def test_all_of_merges_a_single_schema_and_refuses_several_that_are_not_objects() -> None:
    model = build(props(n={"allOf": [{"type": "integer"}], "minimum": 1}))
    assert model.model_validate({"n": 1}).model_dump() == {"n": 1}
    assert "greater than or equal to 1" in refused(model, {"n": 0})
    with pytest.raises(UnsupportedKeywordError, match="combines 2 schemas with allOf"):
        build(props(n={"allOf": [{"type": "integer"}, {"minimum": 1}]}))


def test_all_of_object_schemas_merge_their_properties_and_requirements() -> None:
    schema = {
        "allOf": [
            {"$ref": "#/$defs/Named"},
            {"type": "object", "properties": {"team": {"type": "string"}}, "required": ["team"]},
        ],
        "$defs": {
            "Named": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        },
    }
    model = build(schema)
    assert model.model_validate({"name": "Ada", "team": "core"}).model_dump() == {
        "name": "Ada",
        "team": "core",
    }
    assert "team" in refused(model, {"name": "Ada"})
    clash = {
        "allOf": [
            {"type": "object", "properties": {"x": {"type": "string"}}},
            {"type": "object", "properties": {"x": {"type": "integer"}}},
        ]
    }
    with pytest.raises(UnsupportedKeywordError, match="describe the property 'x' differently"):
        build(clash)


def test_a_discriminator_picks_the_union_member_by_its_tag() -> None:
    schema = {
        "type": "object",
        "properties": {
            "pet": {
                "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
                "discriminator": {"propertyName": "kind"},
            }
        },
        "required": ["pet"],
        "$defs": {
            "Cat": props(kind={"const": "cat"}, lives={"type": "integer"}) | {"required": ["kind"]},
            "Dog": props(kind={"const": "dog"}, good={"type": "boolean"}) | {"required": ["kind"]},
        },
    }
    model = build(schema)
    parsed: Any = model.model_validate({"pet": {"kind": "dog", "good": True}})
    assert type(parsed.pet).__name__ == "Dog"
    assert model.model_json_schema()["properties"]["pet"]["discriminator"]["propertyName"] == "kind"
    assert "does not match any of the expected tags" in refused(model, {"pet": {"kind": "cow"}})


def test_formats_are_checked_only_when_asked() -> None:
    schema = props(
        at={"type": "string", "format": "date-time"},
        id={"type": "string", "format": "uuid"},
        code={"type": "string", "format": "hostname", "maxLength": 10},
    )
    loose = build(schema)
    assert loose.model_validate({"at": "soon", "id": "x"}).model_dump()["at"] == "soon"
    checked = model_from_json_schema(
        schema,
        "Checked",
        subject="The test schema",
        aliased=False,
        nullable_optional=False,
        formats=True,
    )
    parsed: Any = checked.model_validate(
        {"at": "2024-05-01T10:00:00Z", "id": "12345678-1234-5678-1234-567812345678"}
    )
    assert parsed.at.year == 2024
    assert "valid datetime" in refused(checked, {"at": "soon"})
    assert "UUID" in refused(checked, {"id": "x"})
    assert "pattern" in refused(checked, {"code": "not a host"})
    assert "at most 10 characters" in refused(checked, {"code": "a.very.long.host"})
    with pytest.raises(FormatNotSupportedError, match="unknown format 'shoe-size'"):
        model_from_json_schema(
            props(x={"type": "string", "format": "shoe-size"}),
            "Checked",
            subject="The test schema",
            aliased=False,
            nullable_optional=False,
            formats=True,
        )


def test_untyped_properties_are_refused_only_when_asked() -> None:
    schema = props(anything={"title": "Anything"})
    assert build(schema).model_validate({"anything": [1]}).model_dump() == {"anything": [1]}
    with pytest.raises(UnsupportedKeywordError, match="no type for the property 'anything'"):
        model_from_json_schema(
            schema,
            "Checked",
            subject="The test schema",
            aliased=False,
            nullable_optional=False,
            typed_properties=True,
        )


def test_property_titles_are_kept() -> None:
    model = build(props(first_name={"type": "string", "title": "Given name"}))
    assert model.model_json_schema()["properties"]["first_name"]["title"] == "Given name"


def test_additional_properties_decide_what_happens_to_undeclared_keys() -> None:
    declared = props(a={"type": "integer"})
    dropped = build(declared).model_validate({"a": 1, "b": 2})
    assert dropped.model_dump() == {"a": 1}
    kept = build({**declared, "additionalProperties": True}).model_validate({"a": 1, "b": 2})
    assert kept.model_dump() == {"a": 1, "b": 2}
    forbidding = build({**declared, "additionalProperties": False})
    assert "b\n  Extra inputs are not permitted" in refused(forbidding, {"a": 1, "b": 2})
    mapping = build(props(scores={"type": "object", "additionalProperties": {"type": "integer"}}))
    assert mapping.model_validate({"scores": {"x": 1}}).model_dump() == {"scores": {"x": 1}}
    assert "scores.x" in refused(mapping, {"scores": {"x": "high"}})
    empty_only = build(props(none={"type": "object", "additionalProperties": False}))
    assert empty_only.model_validate({"none": {}}).model_dump() == {"none": {}}
    assert "Extra inputs" in refused(empty_only, {"none": {"x": 1}})


def test_schemas_that_are_not_object_schemas_or_cannot_be_built_are_refused() -> None:
    with pytest.raises(ToolSchemaError, match="must describe an object"):
        build({"type": "string"})
    with pytest.raises(ToolSchemaError, match="unknown type 'decimal' at '#/properties/x'"):
        build(props(x={"type": "decimal"}))
    with pytest.raises(ToolSchemaError, match="cannot be turned into a model"):
        build(props(x={"type": "string", "pattern": "(unclosed"}))
    with pytest.raises(ToolSchemaError, match="cannot be turned into a model"):
        build(props(_private={"type": "string"}))
    assert build({}).model_validate({"x": 1}).model_dump() == {}


def test_class_names_are_identifiers() -> None:
    assert class_name("weather report") == "Weather_report"
    assert class_name("3d") == "M_3d"
    assert class_name("class") == "M_class"
    assert class_name("--") == "Model"
