"""The one place the ``nats-py`` SDK is imported; a missing SDK names the extra to install.

nats-py leaves some parameters unannotated; the few calls made through it are wrapped here with
precise types, so the rest of the package type-checks strictly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

try:
    import nats
    import nats.errors as nats_errors
    import nats.js.errors as js_errors
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription as NatsSubscription
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue
except ImportError as _error:  # pragma: no cover - exercised in an environment without nats-py
    raise ImportError(
        f"The NATS runtime needs the 'nats-py' package, which is not installed ({_error}). "
        'Install it with: pip install "parlay-ext[nats]"'
    ) from _error

__all__ = [
    "Client",
    "JetStreamContext",
    "KeyValue",
    "Msg",
    "NatsSubscription",
    "bucket_keys",
    "connect",
    "create_bucket",
    "jetstream",
    "js_errors",
    "nats_errors",
    "next_update",
    "stop_watch",
    "subscribe",
    "watch_all",
]


async def connect(**options: Any) -> Client:
    """``nats.connect`` with the given keyword arguments."""
    client: Client = await cast(Any, nats).connect(**options)
    return client


def jetstream(client: Client) -> JetStreamContext:
    """The JetStream context of ``client``."""
    context: JetStreamContext = cast(Any, client).jetstream()
    return context


async def create_bucket(js: JetStreamContext, **config: Any) -> KeyValue:
    """``create_key_value`` with the given bucket configuration."""
    kv: KeyValue = await cast(Any, js).create_key_value(**config)
    return kv


async def watch_all(kv: KeyValue) -> KeyValue.KeyWatcher:
    """A watcher of every key of ``kv``, starting with the current values."""
    watcher: KeyValue.KeyWatcher = await cast(Any, kv).watchall()
    return watcher


async def next_update(watcher: KeyValue.KeyWatcher, timeout: float) -> object:
    """The watcher's next entry (None marks the end of the initial values).

    Raises:
        nats.errors.TimeoutError: Nothing arrived within ``timeout`` seconds.
    """
    update: object = await cast(Any, watcher).updates(timeout=timeout)
    return update


async def stop_watch(watcher: KeyValue.KeyWatcher) -> None:
    """Stop ``watcher``."""
    await cast(Any, watcher).stop()


async def bucket_keys(kv: KeyValue) -> list[str]:
    """Every live key of ``kv``.

    Raises:
        nats.js.errors.NoKeysError: The bucket is empty.
    """
    keys: list[str] = await cast(Any, kv).keys()
    return keys


async def subscribe(
    client: Client, subject: str, *, cb: Callable[[Msg], Awaitable[None]], queue: str = ""
) -> NatsSubscription:
    """Subscribe ``cb`` to ``subject`` (in queue group ``queue`` if given)."""
    subscription: NatsSubscription = await cast(Any, client).subscribe(subject, queue=queue, cb=cb)
    return subscription
