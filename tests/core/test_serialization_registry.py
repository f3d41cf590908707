"""The public serializer API: registry, type names, JSON and protobuf serializers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import IntEnum

import pytest
from google.protobuf import any_pb2, timestamp_pb2, wrappers_pb2
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from parlay_core import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    DataclassJsonMessageSerializer,
    ProtobufMessageSerializer,
    PydanticJsonMessageSerializer,
    SerializationRegistry,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import SerializationError, UnknownMessageTypeError
from tests._fuzz import FUZZ


class Greeting(BaseModel):
    text: str


@dataclass
class Point:
    x: int
    y: int


def test_type_names_are_class_names_or_protobuf_full_names() -> None:
    registry = SerializationRegistry()
    assert registry.type_name(Greeting(text="hi")) == "Greeting"
    assert registry.type_name(Point) == "Point"
    assert registry.type_name(timestamp_pb2.Timestamp()) == "google.protobuf.Timestamp"
    assert registry.type_name(timestamp_pb2.Timestamp) == "google.protobuf.Timestamp"


def test_json_round_trips_through_the_registry() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(Greeting))
    registry.add_serializer(try_get_known_serializers_for_type(Point))
    assert isinstance(
        try_get_known_serializers_for_type(Greeting)[0], PydanticJsonMessageSerializer
    )
    assert isinstance(try_get_known_serializers_for_type(Point)[0], DataclassJsonMessageSerializer)
    payload = registry.serialize(Point(1, 2), type_name="Point")
    assert payload == b'{"x": 1, "y": 2}'
    assert registry.deserialize(payload, type_name="Point") == Point(1, 2)
    greeting = registry.serialize(Greeting(text="hi"), data_content_type=JSON_DATA_CONTENT_TYPE)
    assert registry.deserialize(greeting, type_name="Greeting") == Greeting(text="hi")
    assert try_get_known_serializers_for_type(str) == []


def test_protobuf_messages_travel_packed_in_an_any() -> None:
    registry = SerializationRegistry()
    (serializer,) = try_get_known_serializers_for_type(timestamp_pb2.Timestamp)
    assert isinstance(serializer, ProtobufMessageSerializer)
    assert serializer.data_content_type == PROTOBUF_DATA_CONTENT_TYPE
    registry.add_serializer(serializer)
    stamp = timestamp_pb2.Timestamp(seconds=42, nanos=7)
    payload = registry.serialize(
        stamp, type_name="google.protobuf.Timestamp", data_content_type=PROTOBUF_DATA_CONTENT_TYPE
    )
    wrapper = any_pb2.Any()
    wrapper.ParseFromString(payload)  # AutoGen's wire format: the message inside an Any
    assert wrapper.type_url.endswith("/google.protobuf.Timestamp")
    back = registry.deserialize(
        payload, type_name="google.protobuf.Timestamp", data_content_type=PROTOBUF_DATA_CONTENT_TYPE
    )
    assert back == stamp
    # The default content type is JSON, and this type has no JSON serializer.
    with pytest.raises(UnknownMessageTypeError):
        registry.serialize(stamp)


def test_a_protobuf_payload_of_another_type_is_refused() -> None:
    other = ProtobufMessageSerializer(wrappers_pb2.StringValue).serialize(
        wrappers_pb2.StringValue(value="x")
    )
    with pytest.raises(SerializationError, match=r"google\.protobuf\.StringValue"):
        ProtobufMessageSerializer(timestamp_pb2.Timestamp).deserialize(other)
    with pytest.raises(TypeError):
        ProtobufMessageSerializer(Point)


@dataclass
class _Point:
    x: int
    y: int


class _Label(BaseModel):
    text: str


@dataclass
class _Shape:
    name: str
    corners: list[_Point]
    label: _Label
    centre: _Point | None = None


@dataclass
class _Flat:
    message: str


def test_a_nested_dataclass_comes_back_as_the_classes_it_was_sent_as() -> None:
    # Across a process boundary nested values must not turn into dicts (AutoGen refuses such
    # messages because its reader would do exactly that).
    serializer = DataclassJsonMessageSerializer(_Shape)
    shape = _Shape("tri", [_Point(0, 0), _Point(1, 0)], _Label(text="t"), _Point(1, 1))
    back = serializer.deserialize(serializer.serialize(shape))
    assert back == shape
    assert isinstance(back.corners[0], _Point) and isinstance(back.label, _Label)


def test_a_flat_dataclass_keeps_autogens_bytes() -> None:
    serializer = DataclassJsonMessageSerializer(_Flat)
    assert serializer.serialize(_Flat("hello")) == b'{"message": "hello"}'
    assert serializer.deserialize(b'{"message": "hello"}') == _Flat("hello")


@dataclass
class _Plain:
    text: str
    number: int
    ratio: float
    flag: bool
    nothing: None


class _Level(IntEnum):
    LOW = 1


@dataclass
class _Empty:
    pass


@FUZZ
@given(
    text=st.text(),
    number=st.integers(),
    ratio=st.floats(allow_nan=True, allow_infinity=True),
    flag=st.booleans(),
)
def test_a_flat_dataclass_is_written_as_json_dumps_writes_it(
    text: str, number: int, ratio: float, flag: bool
) -> None:
    # Another process (or AutoGen) reads these bytes: they are json.dumps' own, whatever the
    # values (escapes, big integers, NaN and infinities included), and they read back.
    serializer = DataclassJsonMessageSerializer(_Plain)
    message = _Plain(text, number, ratio, flag, None)
    payload = serializer.serialize(message)
    assert payload == json.dumps(asdict(message)).encode()
    back = serializer.deserialize(payload)
    assert (back.text, back.number, back.flag, back.nothing) == (text, number, flag, None)
    assert back.ratio == ratio or (back.ratio != back.ratio and ratio != ratio)


def test_a_dataclass_with_other_values_or_no_fields_is_still_json_dumps_output() -> None:
    assert DataclassJsonMessageSerializer(_Empty).serialize(_Empty()) == b"{}"
    # An enum (a subclass of int) is written as json.dumps writes it.
    serializer = DataclassJsonMessageSerializer(_Plain)
    message = _Plain("a", _Level.LOW, 0.5, True, None)
    assert serializer.serialize(message) == json.dumps(asdict(message)).encode()


def test_a_payload_with_whitespace_around_it_is_read_and_trailing_data_is_refused() -> None:
    serializer = DataclassJsonMessageSerializer(_Flat)
    assert serializer.deserialize(b' \n{"message": "hi"}\r\n ') == _Flat("hi")
    with pytest.raises(SerializationError, match="_Flat"):
        serializer.deserialize(b'{"message": "hi"} {}')


def test_a_nested_payload_of_the_wrong_shape_is_a_serialization_error() -> None:
    serializer = DataclassJsonMessageSerializer(_Shape)
    with pytest.raises(SerializationError, match="_Shape"):
        serializer.deserialize(b'{"name": "x", "corners": [{"x": "nope"}], "label": {}}')
