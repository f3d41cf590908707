"""The JSON serializers fail with SerializationError on any payload or message, never untyped.

Serializers run where a message crosses a process boundary, so their input is whatever another
process (or an attacker on the transport) sent. A failure must be a ``SerializationError`` (a
``ValueError``, like what AutoGen's serializers raise) that says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf import struct_pb2, wrappers_pb2
from hypothesis import given
from pydantic import BaseModel

from parlay_core import (
    DataclassJsonMessageSerializer,
    ProtobufMessageSerializer,
    PydanticJsonMessageSerializer,
    SerializationRegistry,
)
from parlay_core.exceptions import ParlayError, SerializationError
from tests._fuzz import DEEP, FUZZ, deep_json_text, deeply_nested, odd_payloads, odd_values


@dataclass
class Anything:
    value: Any


@dataclass
class Typed:
    name: str
    count: int


class AnyModel(BaseModel):
    value: Any


class TypedModel(BaseModel):
    name: str
    scores: list[float]


# --- the failures once seen, one by one ------------------------------------------------------


def test_deep_json_to_a_dataclass_is_a_serialization_error() -> None:
    serializer = DataclassJsonMessageSerializer(Anything)
    with pytest.raises(SerializationError, match="too deeply nested"):
        serializer.deserialize(b'{"value": ' + deep_json_text(DEEP) + b"}")


def test_deep_dataclass_message_is_a_serialization_error() -> None:
    serializer = DataclassJsonMessageSerializer(Anything)
    with pytest.raises(SerializationError, match="too deeply nested"):
        serializer.serialize(Anything(deeply_nested(DEEP)))


def test_deep_pydantic_message_is_a_serialization_error() -> None:
    serializer = PydanticJsonMessageSerializer(AnyModel)
    with pytest.raises(SerializationError, match="AnyModel"):
        serializer.serialize(AnyModel(value=deeply_nested(DEEP)))


@pytest.mark.parametrize("value", [b"\xff", "\ud800", object()])
def test_pydantic_message_json_cannot_hold_is_a_serialization_error(value: object) -> None:
    serializer = PydanticJsonMessageSerializer(AnyModel)
    with pytest.raises(SerializationError, match="Cannot serialize AnyModel") as caught:
        serializer.serialize(AnyModel(value=value))
    assert isinstance(caught.value, ValueError)  # what AutoGen's (pydantic's) error also is


def test_deep_json_to_a_pydantic_model_is_a_serialization_error() -> None:
    serializer = PydanticJsonMessageSerializer(AnyModel)
    with pytest.raises(SerializationError):
        serializer.deserialize(b'{"value": ' + deep_json_text(DEEP) + b"}")


def test_the_registry_passes_typed_errors_through() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(DataclassJsonMessageSerializer(Anything))
    with pytest.raises(SerializationError):
        registry.deserialize(deep_json_text(DEEP), type_name="Anything")


def test_a_protobuf_payload_nested_beyond_protobufs_limit_is_a_serialization_error() -> None:
    value = struct_pb2.Value()
    inner = value
    for _ in range(3_000):
        inner = inner.list_value.values.add()
    message = struct_pb2.Struct()
    message.fields["deep"].CopyFrom(value)
    serializer = ProtobufMessageSerializer(struct_pb2.Struct)
    with pytest.raises(SerializationError, match="Struct"):
        serializer.deserialize(serializer.serialize(message))


# --- properties over odd input ---------------------------------------------------------------

_DESERIALIZERS = [
    DataclassJsonMessageSerializer(Anything),
    DataclassJsonMessageSerializer(Typed),
    PydanticJsonMessageSerializer(AnyModel),
    PydanticJsonMessageSerializer(TypedModel),
    ProtobufMessageSerializer(struct_pb2.Struct),  # nests like JSON: protobuf's depth limit
    ProtobufMessageSerializer(wrappers_pb2.StringValue),
]


@FUZZ
@given(payload=odd_payloads)
def test_any_payload_deserializes_or_fails_typed(payload: bytes) -> None:
    for serializer in _DESERIALIZERS:
        try:
            serializer.deserialize(payload)
        except ParlayError as e:
            assert isinstance(e, SerializationError), e


@FUZZ
@given(value=odd_values)
def test_any_dataclass_message_round_trips_or_fails_typed(value: Any) -> None:
    serializer = DataclassJsonMessageSerializer(Anything)
    try:
        payload = serializer.serialize(Anything(value))
    except SerializationError:
        return
    try:
        serializer.deserialize(payload)
    except SerializationError:
        pass


@FUZZ
@given(value=odd_values)
def test_any_pydantic_message_round_trips_or_fails_typed(value: Any) -> None:
    serializer = PydanticJsonMessageSerializer(AnyModel)
    try:
        payload = serializer.serialize(AnyModel(value=value))
    except SerializationError:
        return
    try:
        serializer.deserialize(payload)
    except SerializationError:
        pass
