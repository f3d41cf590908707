"""Message serializers: used only where a message crosses a process boundary.

In-process delivery hands the message object itself to the handler; nothing is serialized.
A serializer is found by the message's type name and a content type. JSON serializers for
dataclasses and pydantic models, and a protobuf serializer for protobuf messages (when the
``protobuf`` package is installed), are built in: Parlay never unpickles a payload.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, cast, runtime_checkable

from parlay_core._exceptions import SerializationError, UnknownMessageTypeError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "JSON_DATA_CONTENT_TYPE",
    "PROTOBUF_DATA_CONTENT_TYPE",
    "DataclassJsonMessageSerializer",
    "MessageSerializer",
    "ProtobufMessageSerializer",
    "PydanticJsonMessageSerializer",
    "SerializationRegistry",
    "UnknownPayload",
    "try_get_known_serializers_for_type",
    "wire_type_name",
]

T = TypeVar("T")

JSON_DATA_CONTENT_TYPE = "application/json"
"""Content type of JSON payloads."""

PROTOBUF_DATA_CONTENT_TYPE = "application/x-protobuf"
"""Content type of protobuf payloads (a ``google.protobuf.Any`` wrapping the message, as AutoGen)."""


@runtime_checkable
class MessageSerializer(Protocol[T]):
    """Turns messages of one type into bytes and back."""

    @property
    def data_content_type(self) -> str:
        """The content type this serializer produces, e.g. ``application/json``."""
        ...

    @property
    def type_name(self) -> str:
        """The name that identifies the message type on the wire."""
        ...

    def deserialize(self, payload: bytes) -> T:
        """Build a message from bytes."""
        ...

    def serialize(self, message: T) -> bytes:
        """Turn a message into bytes."""
        ...


# A dataclass (as in AutoGen) whose methods are written out: generating them would cost more at
# import than the rest of this module. They are the ones a plain @dataclass makes.
@dataclass(init=False, repr=False, eq=False)
class UnknownPayload:
    """A payload whose type no registered serializer knows, kept as raw bytes."""

    type_name: str
    data_content_type: str
    payload: bytes

    def __init__(self, type_name: str, data_content_type: str, payload: bytes) -> None:
        self.type_name = type_name
        self.data_content_type = data_content_type
        self.payload = payload

    def __repr__(self) -> str:
        return (
            f"{type(self).__qualname__}(type_name={self.type_name!r}, "
            f"data_content_type={self.data_content_type!r}, payload={self.payload!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnknownPayload) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.type_name, self.data_content_type, self.payload) == (
            other.type_name,
            other.data_content_type,
            other.payload,
        )


def _is_pydantic_model(cls: Any) -> bool:
    # pydantic is imported only if some code already uses it: a class cannot be a pydantic model
    # otherwise, and `import parlay_core` stays free of pydantic's import time.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)


def _is_protobuf_message(cls: Any) -> bool:
    # As for pydantic: a class can only be a protobuf message if protobuf is already imported.
    message = sys.modules.get("google.protobuf.message")
    return message is not None and isinstance(cls, type) and issubclass(cls, message.Message)


def _too_deep(type_name: str, error: RecursionError) -> SerializationError:
    # Nesting deeper than the interpreter's stack (a hostile payload or a runaway structure) is
    # caught where data crosses the boundary, so it never escapes as an untyped RecursionError.
    return SerializationError(
        f"A {type_name} message is too deeply nested to (de)serialize ({error}). Flatten the "
        "message's fields; a payload like this from another process is malformed or hostile."
    )


def wire_type_name(cls: object) -> str:
    """Return the wire name of a message class (or of a message's class).

    That is the class's ``__name__``, or for a protobuf message its full name in the proto
    schema (``package.Message``), as in AutoGen.
    """
    klass = cls if isinstance(cls, type) else type(cls)
    if _is_protobuf_message(klass):
        return str(cast(Any, klass).DESCRIPTOR.full_name)
    return klass.__name__


def _holds_structured_types(annotation: Any) -> bool:
    # Whether a field's type names a dataclass or a pydantic model anywhere inside it
    # (``Inner``, ``Inner | None``, ``list[Inner]``, ...): such fields need a validator to come
    # back as objects, not dicts.
    if dataclasses.is_dataclass(annotation) or _is_pydantic_model(annotation):
        return True
    import typing

    return any(_holds_structured_types(arg) for arg in typing.get_args(annotation))


def _float_json(value: float) -> str:
    # As json.dumps writes a float (allow_nan, its default, included).
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _bool_json(value: bool) -> str:
    return "true" if value else "false"


def _null_json(value: None) -> str:
    return "null"


_INFINITY = float("inf")


class _Json:
    """The json functions of the serializers, made on first use (``import parlay_core`` does
    not import json: only a process boundary needs it)."""

    def __init__(self) -> None:
        import json
        from json.encoder import encode_basestring_ascii

        self.dumps = json.dumps
        self.loads = json.loads
        self.quote = encode_basestring_ascii
        self._raw_decode = json.JSONDecoder().raw_decode
        # The JSON text of a value of each plain type, as json.dumps writes it (exact types: a
        # subclass, an enum for one, may serialize otherwise).
        self.plain: dict[type[Any], Callable[[Any], str]] = {
            str: encode_basestring_ascii,
            int: int.__repr__,
            float: _float_json,
            bool: _bool_json,
            type(None): _null_json,
        }

    def parse(self, text: str) -> Any:
        """``json.loads(text)``, without its wrapper's cost for a bare JSON value."""
        try:
            value, end = self._raw_decode(text)
        except ValueError:
            value, end = None, -1
        if end != len(text):
            # Whitespace around the value, or an error: json.loads reads it, or says why not.
            value = self.loads(text)
        return value


_json: _Json | None = None


def _json_functions() -> _Json:
    global _json
    if _json is None:
        _json = _Json()
    return _json


class DataclassJsonMessageSerializer(MessageSerializer[T]):
    """JSON for a dataclass message type (fields must be JSON-serializable).

    A dataclass whose fields hold other dataclasses or pydantic models (directly, in a union or
    in a container) is read back through pydantic, so the nested values arrive as the same
    classes they were sent as; a flat dataclass is rebuilt with its constructor, as in AutoGen.
    (AutoGen refuses nested dataclass messages instead: its reader would hand back dicts.)
    """

    def __init__(self, cls: type[T]) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass.")
        self._cls = cls
        self._type_name = wire_type_name(cls)
        self._adapter: Any = None  # a pydantic TypeAdapter, made on first use for nested types
        self._nested: bool | None = None
        self._names: tuple[str, ...] | None = None
        # Each field's name and the JSON text before its value ('{"n": ', ', "name": '), made
        # on first use (see serialize).
        self._heads: tuple[tuple[str, str], ...] | None = None

    def _field_names(self) -> tuple[str, ...]:
        names = self._names
        if names is None:
            fields = dataclasses.fields(cast(Any, self._cls))
            names = self._names = tuple(field.name for field in fields)
        return names

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._type_name

    def _validator(self) -> Any:
        # Decided on first use, not at registration: reading the type hints can import names
        # that are defined after the class, and only a process boundary needs the answer.
        if self._nested is None:
            import typing

            try:
                hints = typing.get_type_hints(self._cls)
            except Exception:  # unresolvable annotations: keep the constructor path
                hints = {}
            self._nested = any(_holds_structured_types(hint) for hint in hints.values())
            if self._nested:
                from pydantic import TypeAdapter

                self._adapter = TypeAdapter(self._cls)
        return self._adapter

    def _field_heads(self) -> tuple[tuple[str, str], ...]:
        heads = self._heads
        if heads is None:
            quote = _json_functions().quote
            heads = self._heads = tuple(
                (name, f"{', ' if i else '{'}{quote(name)}: ")
                for i, name in enumerate(self._field_names())
            )
        return heads

    def deserialize(self, payload: bytes) -> T:
        try:
            # Decoding first skips json's detection of UTF-16/32, which costs more than the
            # parse of a small message; JSON exchanged between systems is UTF-8 (RFC 8259), and
            # a payload that is not fails as a UnicodeDecodeError, a ValueError, below.
            data = (_json or _json_functions()).parse(payload.decode())
            adapter = self._adapter if self._nested is not None else self._validator()
            if adapter is not None:
                return cast(T, adapter.validate_python(data))
            return self._cls(**data)
        except RecursionError as e:
            raise _too_deep(self._type_name, e) from e
        except (ValueError, TypeError) as e:  # pydantic's ValidationError is a ValueError
            raise SerializationError(
                f"Cannot build {self._type_name} from the payload: {e}. "
                "Check that sender and receiver use the same message definition."
            ) from e

    def serialize(self, message: T) -> bytes:
        try:
            functions = _json or _json_functions()
            adapter = self._adapter if self._nested is not None else self._validator()
            if adapter is not None:
                return cast(bytes, adapter.dump_json(message))
            if type(message) is self._cls:
                # The common message holds only plain values: written field by field, without
                # asdict's recursion and deep copies, nor json.dumps' encoder made for each call
                # (the JSON is the same).
                plain = functions.plain
                parts: list[str] = []
                for name, head in self._heads or self._field_heads():
                    value: object = getattr(message, name)
                    text = plain.get(type(value))
                    if text is None:
                        break
                    parts.append(head)
                    parts.append(text(value))
                else:
                    return f"{''.join(parts)}}}".encode() if parts else b"{}"
            return functions.dumps(dataclasses.asdict(cast(Any, message))).encode()
        except RecursionError as e:
            raise _too_deep(self._type_name, e) from e
        except (TypeError, ValueError) as e:  # ValueError: a circular reference
            raise SerializationError(
                f"Cannot serialize {self._type_name} to JSON: {e}. Use JSON-friendly field types "
                "or a pydantic model."
            ) from e


class PydanticJsonMessageSerializer(MessageSerializer[T]):
    """JSON for a pydantic model message type."""

    def __init__(self, cls: type[T]) -> None:
        if not _is_pydantic_model(cls):
            raise TypeError(f"{cls!r} is not a pydantic model.")
        self._cls = cast("type[BaseModel]", cls)
        self._type_name = wire_type_name(cls)

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._type_name

    def deserialize(self, payload: bytes) -> T:
        try:
            return cast(T, self._cls.model_validate_json(payload))
        except RecursionError as e:  # a validator of the model's own recursing on the data
            raise _too_deep(self._type_name, e) from e
        except ValueError as e:
            raise SerializationError(f"Cannot build {self._type_name} from the payload: {e}") from e

    def serialize(self, message: T) -> bytes:
        try:
            return cast("BaseModel", message).model_dump_json().encode()
        except RecursionError as e:
            raise _too_deep(self._type_name, e) from e
        except ValueError as e:  # PydanticSerializationError: a value JSON cannot hold
            raise SerializationError(
                f"Cannot serialize {self._type_name} to JSON: {e}. Give its fields JSON-friendly "
                "types (str, numbers, lists, dicts, nested models) or a field serializer."
            ) from e


class ProtobufMessageSerializer(MessageSerializer[T]):
    """Protobuf for a protobuf message type: the message packed in a ``google.protobuf.Any``.

    The payload format is AutoGen's, so payloads written by either framework read in the other.
    """

    def __init__(self, cls: type[T]) -> None:
        if not _is_protobuf_message(cls):
            raise TypeError(f"{cls!r} is not a protobuf message class.")
        self._cls = cls
        self._type_name = wire_type_name(cls)

    @property
    def data_content_type(self) -> str:
        return PROTOBUF_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._type_name

    def deserialize(self, payload: bytes) -> T:
        from google.protobuf import any_pb2  # present: the message class imported protobuf

        wrapper = any_pb2.Any()
        message: Any = self._cls()
        try:
            wrapper.ParseFromString(payload)
            unpacked = wrapper.Unpack(message)
        except Exception as e:  # protobuf's DecodeError, or a malformed type URL
            raise SerializationError(f"Cannot build {self._type_name} from the payload: {e}") from e
        if not unpacked:
            raise SerializationError(
                f"The payload holds a {wrapper.type_url.rsplit('/', 1)[-1]!r} message, not "
                f"{self._type_name!r}."
            )
        return cast(T, message)

    def serialize(self, message: T) -> bytes:
        from google.protobuf import any_pb2

        wrapper = any_pb2.Any()
        wrapper.Pack(cast(Any, message))
        data: bytes = wrapper.SerializeToString()
        return data


def try_get_known_serializers_for_type(cls: type[Any]) -> list[MessageSerializer[Any]]:
    """Return the built-in serializers for ``cls``.

    That is a JSON serializer for a pydantic model or a dataclass, a protobuf serializer for a
    protobuf message, and nothing for any other type.
    """
    if _is_pydantic_model(cls):
        return [PydanticJsonMessageSerializer(cls)]
    if dataclasses.is_dataclass(cls):
        return [DataclassJsonMessageSerializer(cls)]
    if _is_protobuf_message(cls):
        return [ProtobufMessageSerializer(cls)]
    return []


class SerializationRegistry:
    """Serializers by (type name, content type)."""

    DEFAULT_CONTENT_TYPE: ClassVar[str] = JSON_DATA_CONTENT_TYPE

    def __init__(self) -> None:
        self._serializers: dict[tuple[str, str], MessageSerializer[Any]] = {}

    def add_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register one or more serializers; a later one for the same key replaces the earlier."""
        items = [serializer] if isinstance(serializer, MessageSerializer) else serializer
        for item in items:
            self._serializers[(item.type_name, item.data_content_type)] = item

    def is_registered(
        self, type_name: str, data_content_type: str = JSON_DATA_CONTENT_TYPE
    ) -> bool:
        """Return whether a serializer is registered for that type name and content type."""
        return (type_name, data_content_type) in self._serializers

    def type_name(self, message: Any) -> str:
        """The wire type name of ``message`` (a message or a message class).

        The class name, or a protobuf message's full name in its schema (``package.Message``).
        """
        return wire_type_name(message)

    @property
    def type_names(self) -> set[str]:
        """Every registered type name."""
        return {name for name, _ in self._serializers}

    def serialize(
        self,
        message: Any,
        *,
        type_name: str | None = None,
        data_content_type: str = JSON_DATA_CONTENT_TYPE,
    ) -> bytes:
        """Serialize ``message`` with its registered serializer.

        Raises:
            UnknownMessageTypeError: No serializer is registered for the message's type.
        """
        name = type_name or wire_type_name(message)
        serializer = self._serializers.get((name, data_content_type))
        if serializer is None:
            raise UnknownMessageTypeError(
                f"No {data_content_type} serializer is registered for message type {name!r}. "
                "Handle the type in a registered agent (register() adds serializers for handled "
                "types) or call runtime.add_message_serializer(try_get_known_serializers_for_type(T))."
            )
        return serializer.serialize(message)

    def deserialize(
        self, payload: bytes, *, type_name: str, data_content_type: str = JSON_DATA_CONTENT_TYPE
    ) -> Any:
        """Deserialize ``payload`` with the serializer registered for ``type_name``.

        Raises:
            UnknownMessageTypeError: No serializer is registered for ``type_name``.
        """
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            raise UnknownMessageTypeError(
                f"Received a message of type {type_name!r} ({data_content_type}) that no "
                "registered serializer knows. Register an agent that handles it, or add a "
                "serializer with runtime.add_message_serializer(...)."
            )
        return serializer.deserialize(payload)
