"""Agent state in a JetStream key-value bucket: the state store for workers on several machines.

Keys ``"<type>/<key>"`` become bucket keys ``<type>.<key>``, with every character outside
``[A-Za-z0-9_-]`` escaped as ``=XX`` (its UTF-8 bytes in hex), so any agent id round-trips.
A key's revision is the bucket's stream sequence number of its latest write: it grows with every
write and never repeats, and compare-and-set writes use JetStream's expected-last-sequence check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, cast

from parlay_core.exceptions import StateConflictError, StateError
from parlay_core.state import StateEntry
from parlay_ext.runtimes.nats._connection import ConnectionSettings, connect
from parlay_ext.runtimes.nats._kv import open_bucket
from parlay_ext.runtimes.nats._sdk import Client, KeyValue, bucket_keys, jetstream, js_errors

__all__ = ["NatsKVStateStore", "decode_key", "encode_key"]

_PLAIN = re.compile(r"[A-Za-z0-9_-]")
_ESCAPE = re.compile(r"=([0-9A-F]{2})")
_EMPTY = "="


def _escape(text: str) -> str:
    if not text:
        return _EMPTY
    return "".join(
        ch if _PLAIN.match(ch) else "".join(f"={b:02X}" for b in ch.encode()) for ch in text
    )


def _unescape(text: str) -> str:
    if text == _EMPTY:
        return ""
    raw = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "=":
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.extend(text[i].encode())
            i += 1
    return raw.decode()


def encode_key(key: str) -> str:
    """The bucket key of a store key: ``"type/key"`` becomes ``type.key``, escaped."""
    agent_type, slash, agent_key = key.partition("/")
    if not slash:
        return _escape(key)
    return f"{_escape(agent_type)}.{_escape(agent_key)}"


def decode_key(bucket_key: str) -> str:
    """The inverse of :func:`encode_key`."""
    agent_type, dot, agent_key = bucket_key.partition(".")
    if not dot:
        return _unescape(bucket_key)
    return f"{_unescape(agent_type)}/{_unescape(agent_key)}"


class NatsKVStateStore:
    """A :class:`~parlay_core.state.StateStore` in a JetStream key-value bucket.

    Give the same store settings to every worker of a
    :class:`~parlay_ext.runtimes.nats.NatsWorkerAgentRuntime`: an agent that moves to another
    worker then continues from its last written state, and a worker that lost an agent cannot
    overwrite the newer state (its write names an old revision and fails).

    Args:
        servers: NATS server URLs.
        bucket: The bucket's name (created on first use with ``history=1``).
        replicas: Replicas of the bucket when this store creates it (clustered JetStream).
        tls: An SSL context for TLS connections.
        user: User name (with ``password``).
        password: Password.
        token: Authentication token.
        user_credentials: Path of a NATS ``.creds`` file.
        nkeys_seed: Path of an NKey seed file.
        connect_options: Further keyword arguments for ``nats.connect``.
    """

    def __init__(
        self,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        *,
        bucket: str = "parlay_state",
        replicas: int = 1,
        tls: ssl.SSLContext | None = None,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        user_credentials: str | None = None,
        nkeys_seed: str | None = None,
        connect_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._settings = ConnectionSettings(
            servers=[servers] if isinstance(servers, str) else list(servers),
            name=f"parlay-state-{bucket}",
            tls=tls,
            user=user,
            password=password,
            token=token,
            user_credentials=user_credentials,
            nkeys_seed=nkeys_seed,
            options=dict(connect_options or {}),
        )
        self._bucket_name = bucket
        self._replicas = replicas
        self._client: Client | None = None
        self._kv: KeyValue | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def _bucket(self) -> KeyValue:
        if self._kv is not None:
            return self._kv
        async with self._lock:
            if self._closed:
                raise StateError(f"The NATS state store {self._bucket_name!r} is closed.")
            if self._kv is None:
                self._client = await connect(
                    self._settings, on_disconnect=_nothing, on_reconnect=_nothing
                )
                self._kv = await open_bucket(
                    jetstream(self._client), self._bucket_name, replicas=self._replicas
                )
            return self._kv

    async def get(self, key: str) -> StateEntry | None:
        """Return the entry stored under ``key``, or None when there is none."""
        kv = await self._bucket()
        try:
            entry = await kv.get(encode_key(key))
        except js_errors.KeyNotFoundError:
            return None
        try:
            value: object = json.loads(entry.value or b"")
        except (ValueError, RecursionError) as e:  # RecursionError: absurdly deep nesting
            raise StateError(
                f"The stored state of {key!r} cannot be read as JSON ({e}): it was written "
                "outside Parlay. Delete the key to start that agent afresh."
            ) from e
        if not isinstance(value, dict):
            raise StateError(
                f"The stored state of {key!r} is a {type(value).__name__}, not a JSON object: it "
                "was written outside Parlay. Delete the key to start that agent afresh."
            )
        return StateEntry(value=cast(dict[str, Any], value), revision=entry.revision or 0)

    async def put(
        self, key: str, value: Mapping[str, Any], *, expected_revision: int | None = None
    ) -> int:
        """Store ``value`` under ``key`` and return the new revision.

        Raises:
            StateConflictError: ``expected_revision`` does not match the key's current revision.
            StateError: The value is not JSON-serializable, or too large for the server.
        """
        if not key:
            raise StateError("State keys must be non-empty strings.")
        try:
            data = json.dumps(value, separators=(",", ":")).encode()
        except RecursionError as e:
            raise StateError(
                f"The state for {key!r} is too deeply nested to store ({e}). Flatten what "
                "save_state() returns."
            ) from e
        except (TypeError, ValueError) as e:
            raise StateError(
                f"The state for {key!r} is not JSON-serializable: {e}. Return plain dicts, lists, "
                "strings, numbers and booleans from save_state() (model_dump() for pydantic)."
            ) from e
        kv = await self._bucket()
        assert self._client is not None
        if len(data) > self._client.max_payload - 1024:
            raise StateError(
                f"The state for {key!r} is {len(data)} bytes; the NATS server accepts "
                f"{self._client.max_payload} per message. Keep large data elsewhere and store "
                "a reference."
            )
        bucket_key = encode_key(key)
        try:
            if expected_revision is None:
                return await kv.put(bucket_key, data)
            if expected_revision == 0:
                return await kv.create(bucket_key, data)
            return await kv.update(bucket_key, data, last=expected_revision)
        except js_errors.KeyWrongLastSequenceError:
            raise StateConflictError(key, expected_revision or 0) from None

    async def delete(self, key: str, *, expected_revision: int | None = None) -> bool:
        """Delete ``key``; return whether it existed.

        Raises:
            StateConflictError: ``expected_revision`` does not match the key's current revision.
        """
        current = await self.get(key)
        if expected_revision is not None:
            actual = 0 if current is None else current.revision
            if actual != expected_revision:
                raise StateConflictError(key, expected_revision, actual)
        if current is None:
            return False
        kv = await self._bucket()
        try:
            await kv.delete(encode_key(key), last=current.revision)
        except js_errors.APIError as e:
            # A write between the read and the delete: with an expectation that is a conflict,
            # without one the delete simply loses the race to the newer write.
            if expected_revision is not None:
                raise StateConflictError(key, expected_revision) from e
            return True
        return True

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the stored keys that start with ``prefix``, sorted."""
        kv = await self._bucket()
        try:
            found = await bucket_keys(kv)
        except js_errors.NoKeysError:
            return []
        return sorted(k for k in map(decode_key, found) if k.startswith(prefix))

    async def close(self) -> None:
        """Close the store's NATS connection; closing twice is harmless."""
        self._closed = True
        client, self._client, self._kv = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()


async def _nothing() -> None:
    return None
