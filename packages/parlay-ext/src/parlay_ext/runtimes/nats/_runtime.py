"""NatsWorkerAgentRuntime: parlay-core's runtime layer, with NATS as its transport.

Each worker process runs one runtime. It is a :class:`~parlay_core.hosting.HostedRuntime`, the
same runtime layer as the in-process runtime's (contexts, interventions, event logging, idle
tracking, agent access, over the same :class:`~parlay_core.hosting.AgentHost`), with a NATS
transport (``_serving.NatsTransport``): an agent whose partition this worker holds is called directly,
without serialization; any other agent is reached by NATS request/reply on its subject (see
``_calls``), and this worker serves the partitions it holds.

What exists only once ``start()`` has connected (the connection, the cluster view, the caller,
the durable queue, the server of the partitions) lives in one object, :class:`_Connected`, that
``start()`` creates: before it, every call that needs it raises a "not started"
:class:`RuntimeStateError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from parlay_core import (
    ROOT_LOGGER_NAME,
    Agent,
    AgentId,
    AgentType,
    MessageSerializer,
    Subscription,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import RuntimeStateError, TransportError
from parlay_core.hosting import HostedRuntime, get_tracer
from parlay_ext.runtimes.nats._aio import cancel_and_wait
from parlay_ext.runtimes.nats._calls import Caller
from parlay_ext.runtimes.nats._cluster import Cluster, Partition
from parlay_ext.runtimes.nats._connection import ConnectionSettings, connect
from parlay_ext.runtimes.nats._dataconn import DataConnection, open_data_connection
from parlay_ext.runtimes.nats._durable import DurableQueue
from parlay_ext.runtimes.nats._kv import open_bucket
from parlay_ext.runtimes.nats._sdk import Client, jetstream, js_errors, nats_errors
from parlay_ext.runtimes.nats._serving import NOT_STARTED, NatsTransport, Server
from parlay_ext.runtimes.nats._subjects import Subjects
from parlay_ext.runtimes.nats._subscriptions import SharedSubscriptions
from parlay_ext.runtimes.nats._wire import partition_of

if TYPE_CHECKING:
    from parlay_core import InterventionHandler
    from parlay_core.state import CheckpointPolicy, StateStore

__all__ = ["NatsWorkerAgentRuntime"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

T = TypeVar("T", bound=Agent)

_DEFAULT_SERVER = "nats://127.0.0.1:4222"


@dataclass(slots=True, eq=False)
class _Connected:
    """What ``start()`` makes once: the connection and everything built on it."""

    nc: Client
    data: DataConnection
    """Requests, replies, acknowledgements and cancellations (nats-py carries the rest)."""
    cluster: Cluster
    caller: Caller
    durable: DurableQueue | None
    server: Server
    watchdog: asyncio.Task[None] | None = None


class NatsWorkerAgentRuntime(HostedRuntime):
    """A worker of a distributed runtime on NATS with JetStream.

    Start any number of workers against the same NATS server (or cluster) and namespace; each
    registers the agent types it hosts. Any worker, or a worker that hosts nothing (a client), can
    send to and publish for every agent. See ``docs/distributed.md``.

    Args:
        servers: NATS server URLs.
        namespace: Prefix of every subject and bucket; workers in one namespace form a cluster.
        partitions: Partitions per agent type, the unit of ownership (at least the number of
            workers you expect for one type). All workers of a namespace must agree on it.
        lease_ttl: Seconds a partition lease lives without renewal: how long a dead worker's
            agents stay unreachable, and roughly how long a caller waits to learn it died.
        request_timeout: The deadline of every remote call, in seconds.
        rebalance: Whether partitions move to new workers as they join. By default (None)
            every partition moves when there is a ``state_store``, and without one only the
            partitions holding no live agent (a moving agent is created again on its new
            worker, and without a store it would start from an empty state): so the work
            spreads over the workers started for a type. False: nothing moves; True: every
            partition moves, even without a store.
        state_store: Durable agent state (a store every worker can reach, such as NATS KV).
        checkpoint: When agent state is written to ``state_store``.
        intervention_handlers: Hooks that see every message this worker sends or publishes.
        tracer_provider: An OpenTelemetry tracer provider: spans for what this worker sends,
            publishes and handles, as in process.
        ignore_unhandled_exceptions: If False, the first exception of a published message's
            handler on this worker is re-raised from ``stop()`` / ``stop_when_idle()``.
        connection: How to reach NATS, as one :class:`ConnectionSettings` (servers, TLS,
            credentials, timeouts, further ``nats.connect`` options). The keyword arguments
            ``servers`` to ``max_reconnect_attempts`` and ``connect_options`` are shortcuts for
            its fields; give either ``connection`` or those.
        name: The connection name shown in NATS monitoring (default: the worker id).
        tls: An SSL context for TLS connections.
        tls_hostname: The host name to verify in the server certificate.
        user: User name (with ``password``).
        password: Password.
        token: Authentication token.
        user_credentials: Path of a NATS ``.creds`` file.
        nkeys_seed: Path of an NKey seed file.
        connect_timeout: Seconds per connection attempt.
        max_reconnect_attempts: Reconnection attempts after losing the connection (-1: forever).
        kv_replicas: Replicas of the buckets this worker creates (clustered JetStream).
        loopback: Send messages for local agents over NATS too (tests the wire end to end).
        durable: Carry every message on a JetStream work-queue stream, acknowledged once
            handled: nothing is lost when a worker dies, and a message may be handled twice
            (at-least-once). All workers of a namespace must agree.
        durable_max_deliver: In durable mode, deliveries of one message before it is given up.
        connect_options: Further keyword arguments for ``nats.connect``.

    Raises:
        ValueError: A bad namespace or a non-positive number, or ``connection`` together with
            one of its shortcut arguments.
    """

    _logger = logger

    def __init__(
        self,
        servers: str | Sequence[str] = _DEFAULT_SERVER,
        *,
        namespace: str = "parlay",
        partitions: int = 16,
        lease_ttl: float = 10.0,
        request_timeout: float = 300.0,
        rebalance: bool | None = None,
        state_store: StateStore | None = None,
        checkpoint: CheckpointPolicy = "every_message",
        intervention_handlers: list[InterventionHandler] | None = None,
        tracer_provider: Any | None = None,
        ignore_unhandled_exceptions: bool = True,
        connection: ConnectionSettings | None = None,
        name: str | None = None,
        tls: ssl.SSLContext | None = None,
        tls_hostname: str | None = None,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        user_credentials: str | None = None,
        nkeys_seed: str | None = None,
        connect_timeout: float = 5.0,
        max_reconnect_attempts: int = -1,
        kv_replicas: int = 1,
        loopback: bool = False,
        durable: bool = False,
        durable_max_deliver: int = 5,
        connect_options: Mapping[str, Any] | None = None,
    ) -> None:
        if partitions < 1 or lease_ttl <= 0 or request_timeout <= 0:
            raise ValueError("partitions, lease_ttl and request_timeout must be positive.")
        if not namespace.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"Invalid namespace {namespace!r}: use letters, digits, '_' and '-'.")
        shortcuts = {
            "servers": servers != _DEFAULT_SERVER,
            "name": name is not None,
            "tls": tls is not None,
            "tls_hostname": tls_hostname is not None,
            "user": user is not None,
            "password": password is not None,
            "token": token is not None,
            "user_credentials": user_credentials is not None,
            "nkeys_seed": nkeys_seed is not None,
            "connect_timeout": connect_timeout != 5.0,
            "max_reconnect_attempts": max_reconnect_attempts != -1,
            "connect_options": connect_options is not None,
        }
        given = sorted(key for key, used in shortcuts.items() if used)
        if connection is not None and given:
            raise ValueError(
                f"Pass either connection= or its shortcut arguments ({', '.join(given)}), not "
                "both: set those fields on the ConnectionSettings instead."
            )
        self.worker_id = f"{uuid.uuid4().hex[:12]}-{os.getpid()}"
        self._subjects = Subjects(namespace)
        self._loopback = loopback
        self._request_timeout = request_timeout
        self._pinned: set[AgentId] = set()
        self._nats_transport = NatsTransport()
        super().__init__(
            lambda host: self._nats_transport,
            intervention_handlers=intervention_handlers,
            tracer=get_tracer(tracer_provider),
            ignore_unhandled_exceptions=ignore_unhandled_exceptions,
            state_store=state_store,
            checkpoint=checkpoint,
            id_prefix=self.worker_id,
        )
        if connection is None:
            connection = ConnectionSettings(
                servers=[servers] if isinstance(servers, str) else list(servers),
                name=name,
                tls=tls,
                tls_hostname=tls_hostname,
                user=user,
                password=password,
                token=token,
                user_credentials=user_credentials,
                nkeys_seed=nkeys_seed,
                connect_timeout=connect_timeout,
                max_reconnect_attempts=max_reconnect_attempts,
                options=dict(connect_options or {}),
            )
        if connection.name is None:
            connection = dataclasses.replace(connection, name=f"parlay-worker-{self.worker_id}")
        self._settings = connection
        self._namespace = namespace
        self._partitions = partitions
        self._lease_ttl = lease_ttl
        # None: partitions without live agents move; with a store every partition can move.
        self._rebalance = True if rebalance is None and state_store is not None else rebalance
        self._kv_replicas = kv_replicas
        self._subscriptions = SharedSubscriptions(self._host.subscriptions)
        self._durable_mode = durable
        self._durable_max_deliver = durable_max_deliver
        self._link: _Connected | None = None

    @property
    def connection(self) -> ConnectionSettings:
        """How this worker reaches NATS."""
        return self._settings

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (the first time), join the cluster and start serving.

        Raises:
            TransportAuthError: NATS refused the credentials.
            TransportError: NATS is unreachable, or JetStream is not enabled on it.
            RuntimeStateError: Already started, or closed.
        """
        if self._closed:
            raise self._closed_error()
        if self._running:
            raise RuntimeStateError("The runtime is already started; stop() it first.")
        if self._link is None:
            self._link = await self._join()
        link = self._link
        self._begin()
        link.cluster.serving = True
        await link.cluster.refresh()
        for partition in list(link.cluster.held):
            await link.server.subscribe_partition(*partition)
        link.cluster.resume()
        if link.watchdog is None:
            link.watchdog = asyncio.create_task(self._watch_calls(link))

    async def _join(self) -> _Connected:
        nc = await connect(
            self._settings, on_disconnect=self._on_disconnect, on_reconnect=self._on_reconnect
        )
        try:
            data = await open_data_connection(
                self._settings,
                on_disconnect=self._on_data_disconnect,
                on_reconnect=self._on_data_reconnect,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await nc.close()
            raise
        try:
            js = jetstream(nc)
            # The cluster calls the server back, and the server serves what the cluster holds:
            # the callbacks find the server once it is made, before the cluster opens.
            server: Server | None = None

            async def on_gain(agent_type: str, partition: int) -> None:
                if server is not None:
                    await server.on_gain(agent_type, partition)

            async def on_lose(agent_type: str, partition: int, graceful: bool) -> None:
                if server is not None:
                    await server.on_lose(agent_type, partition, graceful)
                if graceful:
                    # The hand-over (a key-value write, on the other connection) must not
                    # overtake the last replies: callers take a released partition whose call
                    # is unanswered for a call nobody received, and send it again.
                    with contextlib.suppress(Exception):
                        await data.flush(timeout=2)

            def on_revoke(partition: Partition) -> None:
                if server is not None:
                    server.fence(partition)

            cluster = Cluster(
                js,
                namespace=self._namespace,
                worker_id=self.worker_id,
                partitions=self._partitions,
                lease_ttl=self._lease_ttl,
                rebalance=self._rebalance,
                replicas=self._kv_replicas,
                durable=self._durable_mode,
                hosted_types=lambda: self._host.known_types,
                hosts=self._host.is_known_type,
                on_gain=on_gain,
                on_lose=on_lose,
                has_agents=self._has_agents,
                on_revoke=on_revoke,
            )
            caller = Caller(
                self._host,
                cluster,
                lambda: data,
                namespace=self._namespace,
                partitions=self._partitions,
                request_timeout=self._request_timeout,
                worker_id=self.worker_id,
            )
            queue: DurableQueue | None = None
            if self._durable_mode:
                queue = DurableQueue(
                    js,
                    nc,
                    namespace=self._namespace,
                    worker_id=self.worker_id,
                    replicas=self._kv_replicas,
                    ack_wait=self._lease_ttl,
                    max_deliver=self._durable_max_deliver,
                )
                caller.durable = queue
            server = Server(
                self,
                self._host,
                data,
                cluster,
                caller,
                queue,
                subjects=self._subjects,
                loopback=self._loopback,
                request_timeout=self._request_timeout,
                pinned=self._pinned,
            )
            await cluster.open()  # raises RuntimeStateError on a partition-count mismatch
            subscriptions = await open_bucket(
                js, self._subjects.subscriptions_bucket, replicas=self._kv_replicas
            )
            await self._subscriptions.open(subscriptions)
            if queue is not None:
                await queue.open()
            await server.open()
        except (js_errors.ServiceUnavailableError, nats_errors.NoRespondersError) as e:
            with contextlib.suppress(Exception):
                await data.close()
            with contextlib.suppress(Exception):
                await nc.close()
            raise TransportError(
                "JetStream is not enabled on the NATS server; start it with -js (and a storage "
                "directory with -sd)."
            ) from e
        except BaseException:
            with contextlib.suppress(Exception):
                await data.close()
            with contextlib.suppress(Exception):
                await nc.close()
            raise
        self._nats_transport.server = server
        return _Connected(nc, data, cluster, caller, queue, server)

    def _has_agents(self, partition: Partition) -> bool:
        agent_type, number = partition
        return any(
            agent_id.type == agent_type and partition_of(agent_id, self._partitions) == number
            for agent_id in self._host.instances
        )

    async def _watch_calls(self, link: _Connected) -> None:
        while True:
            await asyncio.sleep(self._lease_ttl / 4)
            link.caller.check_pending(grace=self._lease_ttl / 2)

    async def _on_disconnect(self) -> None:
        if self._closed:
            return
        logger.warning("Worker %s lost its NATS connection; reconnecting", self.worker_id)
        link = self._link
        if link is not None:
            link.cluster.distrust()
            # A reply sent while the connection is down is lost: fail the waiting calls now.
            error = TransportError(
                "The connection to NATS was lost while waiting for the reply; the handler "
                "may have run (in durable mode, the message stays queued and will be "
                "handled). The runtime reconnects by itself."
            )
            link.caller.fail_pending(error)
            if link.durable is not None:
                link.durable.fail_pending(error)

    async def _on_data_disconnect(self) -> None:
        # The replies to the calls in flight would have come on the lost socket.
        link = self._link
        if link is not None and not self._closed:
            link.caller.fail_pending(
                TransportError(
                    "The connection to NATS was lost while waiting for the reply; the handler "
                    "may have run. The runtime reconnects by itself."
                )
            )

    async def _on_data_reconnect(self) -> None:
        logger.info("Worker %s: its NATS data connection is back", self.worker_id)

    async def _on_reconnect(self) -> None:
        logger.info("Worker %s reconnected to NATS", self.worker_id)
        # The watchers' consumers may not have survived (a restarted server): rebuild the views.
        with contextlib.suppress(Exception):
            if self._link is not None:
                await self._link.cluster.resync()
            await self._subscriptions.resync()

    async def _halt(self) -> None:
        # Stop serving and end every background task started by start(); the connection stays
        # open. The leases of this worker's partitions are no longer renewed: after lease_ttl
        # other workers hosting the same types take them over.
        await super()._halt()
        link = self._link
        if link is None:
            return
        watchdog, link.watchdog = link.watchdog, None
        await cancel_and_wait(watchdog)
        link.cluster.serving = False
        with contextlib.suppress(Exception):
            await link.cluster.refresh()
        # Nothing started by start() may outlive stop(): a tick still running when the event
        # loop shuts down would keep the process from exiting.
        await link.cluster.pause()

    async def close(self) -> None:
        """Stop, hand this worker's partitions over, close every agent and disconnect."""
        if self._closed:
            return
        self._closed = True
        self._running = False
        self._drop_queued_deliveries()
        await self._transport.close()  # stop serving
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wait_idle(), self._lease_ttl)
        link = self._link
        if link is not None:
            watchdog, link.watchdog = link.watchdog, None
            await cancel_and_wait(watchdog)
            # Bounded: with NATS unreachable every hand-over write would wait out its retries,
            # and leases this worker cannot release expire by themselves after lease_ttl.
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(link.cluster.leave(), self._lease_ttl)
            await link.cluster.abandon()
        # Deliveries still running after the hand-over are cancelled and awaited: no task this
        # worker started may outlive close().
        await asyncio.gather(*(cancel_and_wait(task, 5.0) for task in list(self._tasks)))
        await self._subscriptions.close()
        await self._host.close_agents()
        if link is not None:
            # A round trip first: the last replies ("moved", or a handler's answer) must reach
            # the server before the socket closes, or a caller would wait for its deadline.
            with contextlib.suppress(Exception):
                await link.data.flush(timeout=2)
            with contextlib.suppress(Exception):
                await link.data.close()
            with contextlib.suppress(Exception):
                await link.nc.flush(timeout=2)
            with contextlib.suppress(Exception):
                await link.nc.close()

    def _client(self) -> Client:
        if self._link is None:
            raise RuntimeStateError(NOT_STARTED)
        return self._link.nc

    # --- registration -------------------------------------------------------------------------

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Host agents of ``type`` on this worker (created lazily in the partitions it holds).

        Raises:
            AgentRegistrationError: ``type`` is already registered on this worker.
        """
        agent_type = await super().register_factory(
            type, agent_factory, expected_class=expected_class
        )
        if expected_class is not None:
            self._add_response_serializers(expected_class)
        await self._announce()
        return agent_type

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Host a pre-built agent on this worker.

        A type registered with instances must be hosted by this worker alone: messages find it
        through the type's partitions, all of which this worker then holds.
        """
        registered = await super().register_agent_instance(agent_instance, agent_id)
        self._pinned.add(registered)
        await self._announce()
        return registered

    async def _announce(self) -> None:
        # A type registered on a running worker is announced and its partitions claimed now, so
        # the first message to it does not wait for the next tick.
        if self._link is not None:
            await self._link.cluster.refresh()

    def _add_response_serializers(self, cls: type[Any]) -> None:
        # Responses cross the wire too: register the JSON serializers of the types the class's
        # handlers declare they return, so both ends know them without extra calls.
        handlers: dict[Any, tuple[Any, ...]] = getattr(cls, "_parlay_handlers", {})
        serializers: list[MessageSerializer[Any]] = []
        for group in handlers.values():
            for handler in group:
                for produced in getattr(handler, "produces_types", []):
                    if isinstance(produced, type) and produced is not type(None):
                        serializers.extend(try_get_known_serializers_for_type(produced))
        if serializers:
            self._host.serializers.add_serializer(serializers)

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add a subscription for every worker (kept in the shared bucket).

        Raises:
            SerializationError: The subscription kind cannot be shared between workers.
        """
        await self._subscriptions.add(subscription)

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription for every worker.

        Raises:
            SubscriptionNotFoundError: No subscription has that id.
        """
        await self._subscriptions.remove(id)
