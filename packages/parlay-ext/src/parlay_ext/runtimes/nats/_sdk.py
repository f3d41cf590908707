"""The one place the ``nats-py`` SDK is imported; a missing SDK names the extra to install.

nats-py leaves some parameters unannotated; the few calls made through it are wrapped here with
precise types, so the rest of the package type-checks strictly.
"""

from __future__ import annotations

import contextlib
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

    PullSubscription = JetStreamContext.PullSubscription
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
    "PullSubscription",
    "add_work_stream",
    "bucket_keys",
    "connect",
    "create_bucket",
    "jetstream",
    "js_errors",
    "nats_errors",
    "next_update",
    "pull_subscribe",
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


async def add_work_stream(
    js: JetStreamContext, name: str, subjects: list[str], *, replicas: int
) -> None:
    """Create the work-queue stream ``name`` unless it exists (an existing one is kept as is)."""
    from nats.js.api import RetentionPolicy, StorageType, StreamConfig

    config = StreamConfig(
        name=name,
        subjects=subjects,
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        num_replicas=replicas,
    )
    try:
        await cast(Any, js).stream_info(name)
    except js_errors.NotFoundError:
        with contextlib.suppress(js_errors.BadRequestError):  # created meanwhile by another worker
            await cast(Any, js).add_stream(config)


async def pull_subscribe(
    js: JetStreamContext,
    subject: str,
    *,
    durable: str,
    stream: str,
    ack_wait: float,
    max_deliver: int,
) -> PullSubscription:
    """Bind to (creating if needed) the durable pull consumer ``durable`` of ``subject``."""
    from nats.js.api import AckPolicy, ConsumerConfig

    config = ConsumerConfig(
        durable_name=durable,
        filter_subject=subject,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_deliver=max_deliver,
        # No cap from the server (its default is 1000): the worker bounds what it pulls itself,
        # and a cap would stall a partition whose handlers all wait on calls into it.
        max_ack_pending=-1,
    )
    sub: PullSubscription = await cast(Any, js).pull_subscribe(
        subject, durable=durable, stream=stream, config=config
    )
    return sub


async def subscribe(
    client: Client, subject: str, *, cb: Callable[[Msg], Awaitable[None]], queue: str = ""
) -> NatsSubscription:
    """Subscribe ``cb`` to ``subject`` (in queue group ``queue`` if given)."""
    subscription: NatsSubscription = await cast(Any, client).subscribe(subject, queue=queue, cb=cb)
    return subscription
