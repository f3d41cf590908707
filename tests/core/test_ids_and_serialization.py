"""Agent and topic ids, and the message serializers."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from parlay_core import (
    AgentId,
    AgentType,
    TopicId,
    try_get_known_serializers_for_type,
)
from parlay_core._serialization import SerializationRegistry
from parlay_core.exceptions import SerializationError, UnknownMessageTypeError


def test_agent_id_value_semantics() -> None:
    a = AgentId("writer", "conv-1")
    assert a == AgentId(AgentType("writer"), "conv-1")
    assert hash(a) == hash(AgentId("writer", "conv-1"))
    assert a != AgentId("writer", "conv-2")
    assert a != AgentId("editor", "conv-1")
    assert not a != AgentId("writer", "conv-1")  # noqa: SIM202 (__ne__ itself is tested)
    assert a != "writer/conv-1" and not a == "writer/conv-1"  # noqa: SIM201
    assert str(a) == "writer/conv-1"
    assert repr(a) == 'AgentId(type="writer", key="conv-1")'
    assert AgentId.from_str("writer/conv/1") == AgentId("writer", "conv/1")
    with pytest.raises(ValueError, match="Invalid agent type"):
        AgentId("bad type", "k")
    with pytest.raises(ValueError, match="type/key"):
        AgentId.from_str("nokey")


def test_topic_id_value_semantics() -> None:
    t = TopicId("orders.new", "shop-1")
    assert str(t) == "orders.new/shop-1"
    assert TopicId.from_str("orders.new/shop-1") == t
    assert TopicId("writer:", "k").type == "writer:"
    with pytest.raises(ValueError, match="Invalid topic type"):
        TopicId("has space", "s")


@dataclass
class DataMessage:
    text: str
    count: int


class ModelMessage(BaseModel):
    text: str
    tags: list[str]


def test_json_serializers_round_trip() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(DataMessage))
    registry.add_serializer(try_get_known_serializers_for_type(ModelMessage))
    for message in (DataMessage("a", 2), ModelMessage(text="b", tags=["x"])):
        payload = registry.serialize(message)
        assert isinstance(payload, bytes)
        assert registry.deserialize(payload, type_name=type(message).__name__) == message
    assert registry.is_registered("DataMessage")
    assert try_get_known_serializers_for_type(int) == []


def test_unknown_types_and_bad_payloads_are_typed_errors() -> None:
    registry = SerializationRegistry()
    with pytest.raises(UnknownMessageTypeError, match=r"'DataMessage'.*add_message_serializer"):
        registry.serialize(DataMessage("a", 1))
    with pytest.raises(UnknownMessageTypeError, match="'Mystery'"):
        registry.deserialize(b"{}", type_name="Mystery")
    registry.add_serializer(try_get_known_serializers_for_type(DataMessage))
    with pytest.raises(SerializationError, match="Cannot build DataMessage"):
        registry.deserialize(b'{"unexpected": 1}', type_name="DataMessage")
    with pytest.raises(SerializationError, match="Cannot build DataMessage"):
        registry.deserialize(b"not json", type_name="DataMessage")


def test_dataclass_with_unserializable_field() -> None:
    @dataclass
    class Holder:
        thing: object

    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(Holder))
    with pytest.raises(SerializationError, match="JSON"):
        registry.serialize(Holder(object()))


@dataclass
class MixedMessage:
    text: str
    ratio: float
    flag: bool
    missing: None
    tags: list[str]
    extra: dict[str, list[int]]


def test_dataclass_payload_holds_every_field_however_plain_its_values() -> None:
    # Plain values and containers take different paths to JSON: both carry every field.
    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(MixedMessage))
    registry.add_serializer(try_get_known_serializers_for_type(DataMessage))
    plain = MixedMessage("a", 0.5, True, None, [], {})
    nested = MixedMessage("b", 1.0, False, None, ["x", "y"], {"k": [1, 2]})
    for message in (plain, nested):
        payload = registry.serialize(message)
        assert registry.deserialize(payload, type_name="MixedMessage") == message
    assert json.loads(registry.serialize(nested)) == {
        "text": "b",
        "ratio": 1.0,
        "flag": False,
        "missing": None,
        "tags": ["x", "y"],
        "extra": {"k": [1, 2]},
    }

    # A str subclass (an enum member) is written as JSON writes it.
    class Colour(str, enum.Enum):
        RED = "red"

    payload = registry.serialize(DataMessage(Colour.RED, 3))
    assert json.loads(payload) == {"text": "red", "count": 3}


def test_an_agent_id_unpickled_in_another_process_finds_its_dict_entry() -> None:
    # String hashes differ between processes; an id must not carry its old hash across.
    import os
    import pickle
    import subprocess
    import sys

    pickled = pickle.dumps({"ids": [AgentId("writer", "k1")]})
    check = (
        "import pickle, sys\n"
        "from parlay_core import AgentId\n"
        "(unpickled,) = pickle.loads(sys.stdin.buffer.read())['ids']\n"
        "table = {AgentId('writer', 'k1'): 'found'}\n"
        "print(table.get(unpickled), unpickled in {unpickled}, unpickled == AgentId('writer', 'k1'))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", check], input=pickled, capture_output=True, env=env, check=True
    )
    assert done.stdout.decode().split() == ["found", "True", "True"]
