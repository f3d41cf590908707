"""JetStream key-value helpers: open-or-create a bucket, and mirror a bucket through a watcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from parlay_core import ROOT_LOGGER_NAME
from parlay_ext.runtimes.nats._aio import cancel_and_wait
from parlay_ext.runtimes.nats._sdk import (
    JetStreamContext,
    KeyValue,
    create_bucket,
    js_errors,
    nats_errors,
    next_update,
    stop_watch,
    watch_all,
)

__all__ = ["KVEvent", "KVMirror", "open_bucket"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

_DELETES = frozenset({"DEL", "PURGE"})


async def open_bucket(
    js: JetStreamContext, name: str, *, ttl: float | None = None, replicas: int = 1
) -> KeyValue:
    """Return the key-value bucket ``name``, creating it if no worker has yet.

    An existing bucket is used as it is, so every worker shares the first one's settings.
    """
    try:
        return await js.key_value(name)
    except js_errors.BucketNotFoundError:
        pass
    try:
        return await create_bucket(js, bucket=name, history=1, ttl=ttl, replicas=replicas)
    except js_errors.APIError:
        # Another worker created it between the two calls, with settings of its own.
        return await js.key_value(name)


@dataclass(frozen=True, slots=True)
class KVEvent:
    """One change seen in a bucket: a value written (``value`` set) or a key removed."""

    key: str
    value: bytes | None
    revision: int


class KVMirror:
    """Feeds every change of a bucket to ``on_event``, starting with the current contents.

    :meth:`start` returns once the current contents have been delivered, so the caller's view is
    complete from then on. After a reconnect, call :meth:`restart`: the server may have lost the
    watcher's consumer while it was away.
    """

    def __init__(self, kv: KeyValue, on_event: Callable[[KVEvent], None], *, label: str) -> None:
        self._kv = kv
        self._on_event = on_event
        self._label = label
        self._watcher: KeyValue.KeyWatcher | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 30.0) -> None:
        """Deliver the bucket's current contents, then keep delivering changes in the background."""
        watcher = await watch_all(self._kv)
        self._watcher = watcher
        while True:
            try:
                entry = await next_update(watcher, timeout)
            except nats_errors.TimeoutError:
                break  # nothing more arrived: the snapshot is as complete as it gets
            if not isinstance(entry, KeyValue.Entry):
                break  # the end-of-snapshot marker (or the watcher was stopped)
            self._deliver(entry)
        self._task = asyncio.create_task(self._follow(watcher))

    async def restart(self) -> None:
        """Replace the watcher (after a reconnect), replaying the current contents."""
        await self.stop()
        await self.start()

    async def stop(self) -> None:
        """Stop watching."""
        task, self._task = self._task, None
        # Not "suppress(CancelledError): await task": that would also swallow a cancellation
        # of the caller itself.
        await cancel_and_wait(task)
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            with contextlib.suppress(Exception):
                await stop_watch(watcher)

    async def _follow(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is not None:
                self._deliver(entry)

    def _deliver(self, entry: KeyValue.Entry) -> None:
        deleted = entry.operation in _DELETES
        event = KVEvent(entry.key, None if deleted else (entry.value or b""), entry.revision or 0)
        try:
            self._on_event(event)
        except Exception:
            logger.exception("Handling a change of %s (%s) failed", self._label, entry.key)
