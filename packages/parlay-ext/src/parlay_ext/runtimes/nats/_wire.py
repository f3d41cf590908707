"""What travels on NATS: subjects, partitions, headers, payloads and errors.

An agent's address is the subject ``<ns>.agent.<type-token>.<partition>.<key-token>``. The
partition is a stable hash of the agent id, so every process computes the same one; the worker
that holds the partition's lease subscribes to ``<ns>.agent.<type-token>.<partition>.*``. Subject
tokens may not contain ``.``, ``*``, ``>`` or spaces, so a type or key that is not plain ASCII
word characters is replaced by a hash token; the exact agent id always travels in a header.

Payloads are JSON produced by the host's serializers, never pickle. Errors travel as JSON
``{"type", "module", "message", "fields"}`` and are raised again at the caller as the matching
Parlay error (any class of ``parlay_core.exceptions``, rebuilt from the plain values its
constructor takes: ``StateConflictError`` keeps its key and revisions, a ``ToolException`` its
call id, content and tool name; ``remote_agent_id`` names the agent whose handler raised), as a
:class:`~parlay_core.exceptions.RemoteHandlerError` that also derives from the builtin exception
class, or as a plain ``RemoteHandlerError``.

A request and its ``ok`` reply carry no NATS headers at all: their fields, packed in one line
(see :func:`pack`), go before the payload, up to the first line break (see :func:`frame`). The
NATS client builds and parses headers in Python, line by line, on both sides of every message;
a line at the head of the payload costs one search. A message with headers is read from them
instead (:func:`unpack` accepts a packed header or one header per field), and is answered with
headers: the rarer messages (errors, acknowledgements, cancellations, durable messages, "no
responders") and requests from other clients keep that form.
"""

from __future__ import annotations

import builtins
import hashlib
import inspect
import json
import re
from typing import Any, cast

from parlay_core import AgentId
from parlay_core import exceptions as parlay_exceptions
from parlay_core.exceptions import ParlayError, RemoteHandlerError

__all__ = [
    "CALL",
    "CONTENT_TYPE",
    "ID",
    "KIND",
    "NONE_TYPE",
    "PACKED",
    "RECIPIENT",
    "SENDER",
    "STATUS",
    "TOPIC",
    "TYPE",
    "WORKER",
    "decode_error",
    "encode_error",
    "frame",
    "pack",
    "packed_field",
    "partition_of",
    "token",
    "unframe",
    "unpack",
]

TYPE = "Parlay-Type"
CONTENT_TYPE = "Parlay-Content-Type"
SENDER = "Parlay-Sender"
RECIPIENT = "Parlay-Recipient"
TOPIC = "Parlay-Topic"
ID = "Parlay-Message-Id"
KIND = "Parlay-Kind"
"""Header: ``event`` for a published message; absent (or ``rpc``) for a direct message."""
STATUS = "Parlay-Status"
CALL = "Parlay-Call"
"""Header: a token naming one attempt of one call (for its acknowledgement and cancellation)."""
WORKER = "Parlay-Worker"
"""Header of an acknowledgement (status ``ack``): the worker whose handler runs the call."""
NONE_TYPE = "None"
"""Type name of an RPC response that is ``None`` (an empty payload)."""
PACKED = "Parlay"
"""Header: the other headers in one line, ``<code>=<value>`` pairs separated by spaces."""

_CODES = {
    RECIPIENT: "r",
    TYPE: "t",
    ID: "i",
    KIND: "k",
    SENDER: "s",
    TOPIC: "o",
    STATUS: "st",
    CALL: "c",
    WORKER: "w",
}
_NAMES = {code: name for name, code in _CODES.items()}

_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_REMOTE_BUILTINS: dict[type[BaseException], type[RemoteHandlerError]] = {}


def token(text: str) -> str:
    """Return a subject- and KV-key-safe token for ``text`` (itself when already safe).

    Hash tokens start with ``=``, which plain tokens never contain, so two texts never share a
    token by accident.
    """
    if _PLAIN.match(text):
        return text
    return "=" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def partition_of(agent_id: AgentId, partitions: int) -> int:
    """The partition of ``agent_id``: a hash of its type and key, the same in every process."""
    digest = hashlib.blake2b(f"{agent_id.type}/{agent_id.key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def pack(headers: dict[str, str]) -> str:
    """The value of the :data:`PACKED` header that stands for ``headers``.

    A value's spaces, line breaks and percent signs are escaped (as ``%20``, ``%0A``, ``%0D``
    and ``%25``); ids and message ids are already quoted, so that is rare.
    """
    return " ".join(packed_field(name, value) for name, value in headers.items())


def packed_field(name: str, value: str) -> str:
    """One field of :func:`pack`: its code, ``=``, the value (escaped where it must be)."""
    return f"{_CODES.get(name, name)}={_escape(value) if _NEEDS_ESCAPE.search(value) else value}"


_NEEDS_ESCAPE = re.compile(r"[ %\n\r]")


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace(" ", "%20").replace("\n", "%0A").replace("\r", "%0D")


def _unescape(value: str) -> str:
    # %25 last: after escaping, every % begins one of the four codes, so this cannot misread.
    return value.replace("%20", " ").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def frame(fields: str, payload: bytes) -> bytes:
    """A message's data: the packed ``fields`` (see :func:`pack`), a line break, the payload."""
    return b"%s\n%s" % (fields.encode(), payload)


def unframe(data: bytes) -> tuple[dict[str, str], bytes]:
    """The fields and the payload of data built by :func:`frame`.

    Raises:
        ValueError: ``data`` has no line break, or its first line is not UTF-8.
    """
    cut = data.find(b"\n")
    if cut < 0:
        raise ValueError("it has neither headers nor a line of fields before its payload")
    return _fields_of(data[:cut].decode()), data[cut + 1 :]


def unpack(headers: dict[str, str] | None) -> dict[str, str]:
    """The headers of a message, read from its :data:`PACKED` header when it has one.

    A message without one (a rarer message, or the server's "no responders") is returned as is.
    A field without ``=`` reads as empty: a malformed request then lacks what it needs and is
    answered with an error, as one missing a header would be.
    """
    if not headers:
        return {}
    packed = headers.get(PACKED)
    if packed is None:
        return headers
    return _fields_of(packed)


def _fields_of(packed: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field in packed.split(" "):
        code, _, value = field.partition("=")
        fields[_NAMES.get(code, code)] = _unescape(value) if "%" in value else value
    return fields


_PLAIN_VALUES = (str, int, float, bool, type(None))


def encode_error(error: BaseException) -> bytes:
    """The JSON body that carries ``error`` back to the caller."""
    cls = type(error)
    name, module = cls.__name__, cls.__module__
    fields: dict[str, Any] = {}
    if isinstance(error, RemoteHandlerError) and error.remote_type:
        # A remote error passed on by a relaying handler keeps its original identity.
        name, module = error.remote_type, _remote_module(error)
    elif isinstance(error, ParlayError):
        fields = _fields(error)
    body = {"type": name, "module": module, "message": str(error), "fields": fields}
    try:
        return json.dumps(body).encode()
    except (TypeError, ValueError, RecursionError):
        del body["fields"]
        return json.dumps(body).encode()


def _fields(error: ParlayError) -> dict[str, Any]:
    # The plain values named like the constructor's parameters: enough to build it again.
    fields: dict[str, Any] = {}
    try:
        parameters = inspect.signature(type(error).__init__).parameters
    except (TypeError, ValueError):
        return fields
    for parameter in list(parameters.values())[1:]:
        value = getattr(error, parameter.name, None)
        if parameter.name != "message" and isinstance(value, _PLAIN_VALUES):
            fields[parameter.name] = value
    return fields


def _rebuild(cls: type[ParlayError], message: str, fields: dict[str, Any]) -> ParlayError | None:
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        parameters = []
    named = [
        p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY)
    ]
    try:
        if not named:
            return cls(message)
        kwargs: dict[str, Any] = {}
        for parameter in named:
            if parameter.name in fields and isinstance(fields[parameter.name], _PLAIN_VALUES):
                kwargs[parameter.name] = fields[parameter.name]
            elif parameter.name == "message":
                kwargs["message"] = message
            elif parameter.default is parameter.empty:
                return None  # a value it needs did not travel
        return cls(**kwargs)
    except (TypeError, ValueError):
        return None


def _remote_module(error: RemoteHandlerError) -> str:
    builtin: object = getattr(builtins, error.remote_type, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        return "builtins"
    return "remote"


def decode_error(body: bytes, agent_id: AgentId) -> Exception:
    """Build the exception to raise at the caller from an error body.

    Known Parlay errors come back as themselves; builtin exceptions as a subclass of both
    :class:`RemoteHandlerError` and the builtin; anything else as ``RemoteHandlerError``.
    """
    try:
        data = cast(dict[str, Any], json.loads(body))
        name, module, message = str(data["type"]), str(data["module"]), str(data["message"])
        raw_fields: object = data.get("fields") or {}
        fields = cast(dict[str, Any], raw_fields) if isinstance(raw_fields, dict) else {}
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: absurd nesting
        return RemoteHandlerError(
            f"{agent_id} failed and sent an unreadable error: {body[:200]!r}",
            agent_id=str(agent_id),
        )
    if module.startswith("parlay_core") and name in parlay_exceptions.__all__:
        cls: Any = getattr(parlay_exceptions, name)
        if isinstance(cls, type) and issubclass(cls, ParlayError):
            error = _rebuild(cls, message, fields)
            if error is not None:
                # Which agent raised it, as a RemoteHandlerError would say.
                error.remote_agent_id = str(agent_id)  # type: ignore[attr-defined]
                return error
    if module == "builtins":
        builtin: object = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, Exception):
            remote_cls = _remote_builtin(builtin)
            if remote_cls is not None:
                try:
                    return remote_cls(message, remote_type=name, agent_id=str(agent_id))
                except TypeError:
                    pass  # a builtin that needs more than a message (ExceptionGroup)
    return RemoteHandlerError(
        f"The handler of {agent_id} raised {name}: {message}",
        remote_type=name,
        agent_id=str(agent_id),
    )


def _remote_builtin(builtin: type[Exception]) -> type[RemoteHandlerError] | None:
    cls = _REMOTE_BUILTINS.get(builtin)
    if cls is None:
        try:
            cls = cast(
                type[RemoteHandlerError],
                type(f"Remote{builtin.__name__}", (RemoteHandlerError, builtin), {}),
            )
        except TypeError:
            return None  # a builtin whose layout cannot be combined
        cls.__module__ = __name__
        cls.__doc__ = f"A {builtin.__name__} raised by a handler in another process."
        _REMOTE_BUILTINS[builtin] = cls
    return cls
