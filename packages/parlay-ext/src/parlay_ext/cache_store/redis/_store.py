"""A cache store in Redis: AutoGen's ``RedisStore`` under Parlay's name."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr
from typing_extensions import Self

from parlay_core import CacheStore, Component
from parlay_ext.cache_store._json import decode_value, encode_value
from parlay_ext.cache_store.redis._sdk import redis

__all__ = ["RedisStore", "RedisStoreConfig"]

T = TypeVar("T")

_logger = logging.getLogger("parlay_ext.cache_store.redis")


class RedisStoreConfig(BaseModel):
    """Configuration of :class:`RedisStore`: how to connect to the server.

    Attributes:
        host: The server's host name.
        port: The server's port.
        db: The database number.
        username: The ACL user name, if the server needs one.
        password: The password, if the server needs one (masked in dumps).
        ssl: Connect with TLS.
        socket_connect_timeout: Seconds to wait for the connection; None waits as long as the
            operating system does.
        socket_timeout: Seconds to wait for each reply; None waits indefinitely.
    """

    host: str = "localhost"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: SecretStr | None = None
    ssl: bool = False
    socket_connect_timeout: float | None = None
    socket_timeout: float | None = None


class RedisStore(CacheStore[T], Component[RedisStoreConfig]):
    """A cache in a Redis server, shared by every process that connects to it.

    Values are written as JSON text (never pickled): pydantic models and dataclasses are stored
    as their JSON form and come back as plain dicts and lists, which
    :class:`~parlay_ext.models.cache.ChatCompletionCache` turns back into results. Entries that
    other programs wrote and that are not JSON come back as text (or as bytes when they are not
    UTF-8). A server that cannot be reached makes reads miss and writes do nothing, with a
    logged warning, so a cache outage never fails the model call it was meant to save.

    Args:
        redis_instance: A connected ``redis.Redis`` client. The store uses it as it is
            (connection pool, retries, timeouts); dumping the store writes its connection
            settings.

    Example:
        ```python
        import redis

        store = RedisStore[int](redis.Redis(host="localhost", port=6379))
        store.set("answer", 42)
        assert store.get("answer") == 42
        ```
    """

    component_config_schema = RedisStoreConfig
    component_provider_override = "parlay_ext.cache_store.redis.RedisStore"

    def __init__(self, redis_instance: redis.Redis) -> None:
        self.cache = redis_instance

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under ``key``, or ``default`` when there is none.

        When the server cannot be reached the answer is ``default`` (a cache miss) and a
        warning is logged, as in AutoGen: an unavailable cache should cost a model call, not
        fail it.
        """
        try:
            raw: object = self.cache.get(key)
        except redis.RedisError as exc:
            _logger.warning("Redis cache read of %r failed, treated as a miss: %s", key, exc)
            return default
        if raw is None:
            return default
        value: Any = decode_value(raw)
        return value  # type: ignore[no-any-return]

    def set(self, key: str, value: T) -> None:
        """Store ``value`` (as JSON) under ``key``, replacing any earlier value.

        When the server cannot be reached nothing is stored and a warning is logged, as in
        AutoGen.

        Raises:
            TypeError: ``value`` has no JSON form (a programming error, so it is not swallowed).
        """
        text = encode_value(value, type(self).__name__)
        try:
            self.cache.set(key, text)
        except redis.RedisError as exc:
            _logger.warning("Redis cache write of %r failed, nothing stored: %s", key, exc)

    def _to_config(self) -> RedisStoreConfig:
        # The pool keeps the arguments the client was built with; a client built from a URL or
        # a unix socket has no host, which the defaults then stand in for.
        kwargs: dict[str, Any] = dict(self.cache.connection_pool.connection_kwargs)
        password = kwargs.get("password")
        connection_class = self.cache.connection_pool.connection_class
        return RedisStoreConfig(
            host=str(kwargs.get("host", "localhost")),
            port=int(kwargs.get("port", 6379)),
            db=int(kwargs.get("db", 0)),
            username=kwargs.get("username"),
            password=SecretStr(str(password)) if password is not None else None,
            ssl=issubclass(connection_class, redis.SSLConnection),
            socket_connect_timeout=kwargs.get("socket_connect_timeout"),
            socket_timeout=kwargs.get("socket_timeout"),
        )

    @classmethod
    def _from_config(cls, config: RedisStoreConfig) -> Self:
        client = redis.Redis(
            host=config.host,
            port=config.port,
            db=config.db,
            username=config.username,
            password=config.password.get_secret_value() if config.password else None,
            ssl=config.ssl,
            socket_connect_timeout=config.socket_connect_timeout,
            socket_timeout=config.socket_timeout,
        )
        return cls(client)
