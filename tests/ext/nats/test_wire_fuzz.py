"""What arrives from NATS is decoded into a typed error or value, never an untyped crash.

Another worker (or anyone who can publish on the server) chooses the bytes of a payload and of an
error body. Decoding a payload fails with ``SerializationError`` (or ``UnknownMessageTypeError``),
and decoding an error body always yields an exception to raise at the caller: a Parlay error, a
``RemoteHandlerError`` that is also the remote builtin, or a plain ``RemoteHandlerError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlay_core import (
    AgentId,
    CancellationToken,
    MessageContext,
    SingleThreadedAgentRuntime,
    TopicId,
)
from parlay_core._hosting import AgentHost
from parlay_core.exceptions import (
    ParlayError,
    RemoteHandlerError,
    SerializationError,
    UnknownMessageTypeError,
)
from parlay_ext.runtimes.nats._calls import Caller
from parlay_ext.runtimes.nats._cluster import Cluster
from parlay_ext.runtimes.nats._dataconn import DataConnection
from parlay_ext.runtimes.nats._wire import (
    CALL,
    ID,
    RECIPIENT,
    TYPE,
    decode_error,
    encode_error,
    frame,
    pack,
    unframe,
)
from tests._fuzz import (
    DEEP,
    FUZZ,
    deep_json_text,
    deeply_nested,
    json_values,
    odd_payloads,
    odd_values,
)

AGENT = AgentId("echo", "a")


@dataclass
class Note:
    text: str
    extra: Any = None


def _connection() -> DataConnection:
    # encode() reads only the server's max_payload from the connection.
    return cast(DataConnection, SimpleNamespace(max_payload=1024 * 1024))


@pytest.fixture(scope="module")
def caller() -> Caller:
    """The calling side's codec, with no connection: only encode() and decode() are used."""
    host = AgentHost(SingleThreadedAgentRuntime())
    return Caller(
        host,
        cast(Cluster, None),
        _connection,
        namespace="fuzz",
        partitions=4,
        request_timeout=1.0,
        worker_id="w1",
    )


# --- the failures once seen, one by one ------------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_a_deep_error_body_is_an_unreadable_remote_error(kind: str) -> None:
    error = decode_error(deep_json_text(DEEP, kind), AGENT)
    assert type(error) is RemoteHandlerError and "unreadable" in str(error)


def test_a_remote_builtin_that_needs_more_than_a_message() -> None:
    # ExceptionGroup (and UnicodeDecodeError, ...) cannot be built from a message alone.
    for name in ("ExceptionGroup", "UnicodeDecodeError", "BaseExceptionGroup"):
        body = json.dumps({"type": name, "module": "builtins", "message": "m"}).encode()
        error = decode_error(body, AGENT)
        assert isinstance(error, RemoteHandlerError) and error.remote_type == name


@pytest.mark.parametrize("type_name", ["json:list", "json:dict"])
def test_a_deep_json_value_on_the_wire(caller: Caller, type_name: str) -> None:
    kind = type_name.removeprefix("json:")
    with pytest.raises(SerializationError, match="too deeply nested"):
        caller.decode(deep_json_text(DEEP, kind), type_name)


def test_a_deep_json_value_to_send(caller: Caller) -> None:
    with pytest.raises(SerializationError, match="too deeply nested"):
        caller.encode([*deeply_nested(DEEP)])  # a plain list travels as JSON


def test_a_dict_with_keys_json_cannot_hold(caller: Caller) -> None:
    with pytest.raises(SerializationError, match="JSON"):
        caller.encode({(1, 2): "tuple key"})


def test_a_deep_dataclass_payload_on_the_wire(caller: Caller) -> None:
    caller.encode(Note("registers the serializer"))
    with pytest.raises(SerializationError):
        caller.decode(b'{"text": "x", "extra": ' + deep_json_text(DEEP) + b"}", "Note")


# --- properties over odd input ---------------------------------------------------------------

_error_bodies = st.one_of(
    odd_payloads,
    st.fixed_dictionaries(
        {
            "type": st.one_of(
                st.sampled_from(
                    [
                        "ValueError",
                        "KeyError",
                        "ExceptionGroup",
                        "UnicodeDecodeError",
                        "SystemExit",
                        "OSError",
                        "StopIteration",
                        "CantHandleException",
                        "StateConflictError",
                        "ToolException",
                        "ToolArgumentsValidationError",
                        "ParlayError",
                        "__class__",
                        "object",
                    ]
                ),
                st.text(max_size=20),
            ),
            "module": st.sampled_from(["builtins", "parlay_core._exceptions", "remote", ""]),
            "message": json_values,
        }
    ).map(lambda d: json.dumps(d).encode()),
)


@FUZZ
@given(body=_error_bodies)
def test_any_error_body_decodes_to_an_exception_to_raise(body: bytes) -> None:
    error = decode_error(body, AGENT)
    assert isinstance(error, ParlayError), error
    encode_error(error)  # and a relaying handler can pass it on


@FUZZ
@given(
    payload=odd_payloads,
    type_name=st.sampled_from(
        [
            *("json:list", "json:dict", "json:str", "json:int", "json:float", "json:bool"),
            *("json:x", "Note", "NoSuchType", ""),
        ]
    ),
)
def test_any_payload_decodes_or_fails_typed(caller: Caller, payload: bytes, type_name: str) -> None:
    caller.encode(Note("registers the serializer"))
    try:
        caller.decode(payload, type_name)
    except ParlayError as e:
        assert isinstance(e, SerializationError | UnknownMessageTypeError), e


@FUZZ
@given(value=odd_values)
def test_any_value_encodes_and_decodes_or_fails_typed(caller: Caller, value: Any) -> None:
    for message in (value, Note("t", value)):
        try:
            type_name, payload = caller.encode(message)
        except ParlayError as e:
            assert isinstance(e, SerializationError), e
            continue
        try:
            caller.decode(payload, type_name)
        except ParlayError as e:
            assert isinstance(e, SerializationError), e


@FUZZ
@given(
    values=st.lists(st.text(), min_size=4, max_size=4),
    payload=odd_payloads,
)
def test_any_fields_travel_before_any_payload_and_come_back_as_they_were(
    values: list[str], payload: bytes
) -> None:
    # A request's fields go before its payload, up to the first line break; values with spaces,
    # percent signs or line breaks of their own must neither end the line nor split a field.
    fields: dict[str, str] = dict(zip((RECIPIENT, TYPE, ID, CALL), values, strict=True))
    assert unframe(frame(pack(fields), payload)) == (fields, payload)


@FUZZ
@given(data=st.binary())
def test_any_headerless_data_reads_as_fields_or_fails_with_a_value_error(data: bytes) -> None:
    try:
        fields, payload = unframe(data)
    except ValueError:
        assert b"\n" not in data or not _is_utf8(data.split(b"\n", 1)[0])
        return
    assert data.endswith(payload) and all(isinstance(v, str) for v in fields.values())


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


_types = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)
_agent_ids = st.builds(AgentId, _types, st.text(min_size=1))
_ids = st.one_of(st.none(), _agent_ids)


@FUZZ
@given(
    recipient=_agent_ids,
    kind=st.sampled_from(["rpc", "event"]),
    type_name=st.text(),
    message_id=st.text(),
    sender=_ids,
    topic=_ids,
)
def test_a_request_line_reads_back_as_the_headers_of_the_same_request(
    caller: Caller,
    recipient: AgentId,
    kind: str,
    type_name: str,
    message_id: str,
    sender: AgentId | None,
    topic: AgentId | None,
) -> None:
    # The line a call sends before its payload says what the headers of a durable message say.
    topic_id = None if topic is None else TopicId(topic.type, topic.key)
    ctx = MessageContext(sender, topic_id, kind == "rpc", CancellationToken(), message_id)
    line = caller._fields(caller._route(recipient)[2], kind, type_name, ctx)  # pyright: ignore[reportPrivateUsage]
    assert unframe(line + b"\n")[0] == caller.headers(kind, recipient, type_name, ctx)
