"""NatsWorkerAgentRuntime: the hosting core of parlay-core, with NATS as its transport.

Each worker process runs one runtime. Its :class:`~parlay_core.hosting.AgentHost` is the same
class the in-process runtime uses (registration, lazy creation, dispatch, subscriptions, state);
this module only decides where a message goes. An agent whose partition this worker holds is
called directly, without serialization; any other agent is reached by NATS request/reply on its
subject (see ``_calls``), and this worker serves the partitions it holds (``_serving``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from parlay_core import (
    ROOT_LOGGER_NAME,
    Agent,
    AgentId,
    AgentRuntime,
    AgentType,
    CancellationToken,
    MessageContext,
    MessageSerializer,
    Subscription,
    TopicId,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import (
    RuntimeStateError,
    TransportError,
)
from parlay_core.hosting import AgentHost, get_tracer
from parlay_ext.runtimes.nats._aio import cancel_and_wait
from parlay_ext.runtimes.nats._calls import Caller
from parlay_ext.runtimes.nats._cluster import Cluster
from parlay_ext.runtimes.nats._connection import ConnectionSettings, connect
from parlay_ext.runtimes.nats._durable import DurableQueue
from parlay_ext.runtimes.nats._kv import open_bucket
from parlay_ext.runtimes.nats._local import LocalAgents
from parlay_ext.runtimes.nats._sdk import Client, jetstream, js_errors, nats_errors
from parlay_ext.runtimes.nats._serving import Server
from parlay_ext.runtimes.nats._subscriptions import SharedSubscriptions

if TYPE_CHECKING:
    from parlay_core import InterventionHandler
    from parlay_core.state import CheckpointPolicy, StateStore

__all__ = ["NatsWorkerAgentRuntime"]

logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.nats")

T = TypeVar("T", bound=Agent)


class NatsWorkerAgentRuntime(Server, LocalAgents, AgentRuntime):
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
        tracer_provider: An OpenTelemetry tracer provider for spans around local deliveries.
        ignore_unhandled_exceptions: If False, the first exception of a published message's
            handler on this worker is re-raised from ``stop()`` / ``stop_when_idle()``.
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
    """

    def __init__(
        self,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
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
        self.worker_id = f"{uuid.uuid4().hex[:12]}-{os.getpid()}"
        host = AgentHost(
            self,
            tracer=get_tracer(tracer_provider),
            state_store=state_store,
            checkpoint=checkpoint,
        )
        Server.__init__(
            self,
            host,
            interventions=list(intervention_handlers or []),
            ignore_unhandled=ignore_unhandled_exceptions,
            namespace=namespace,
            loopback=loopback,
        )
        self._settings = ConnectionSettings(
            servers=[servers] if isinstance(servers, str) else list(servers),
            name=name or f"parlay-worker-{self.worker_id}",
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
        self._namespace = namespace
        self._partitions = partitions
        self._lease_ttl = lease_ttl
        # None: partitions without live agents move; with a store every partition can move.
        self._rebalance = True if rebalance is None and state_store is not None else rebalance
        self._kv_replicas = kv_replicas
        self._nc: Client | None = None
        self._subscriptions = SharedSubscriptions(host.subscriptions)
        self._watchdog: asyncio.Task[None] | None = None
        self._closed = False
        self._id_counter = itertools.count(1)
        self._request_timeout = request_timeout
        self._cluster = None
        self._durable_mode = durable
        self._durable_max_deliver = durable_max_deliver

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
        if self._nc is None:
            await self._join()
        assert self._cluster is not None
        self._running = True
        self._unhandled = None
        self._cluster.serving = True
        await self._cluster.refresh()
        for partition in list(self._cluster.held):
            await self._subscribe_partition(*partition)
        self._cluster.resume()
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch_calls())

    async def _join(self) -> None:
        nc = await connect(
            self._settings, on_disconnect=self._on_disconnect, on_reconnect=self._on_reconnect
        )
        self._nc = nc
        try:
            js = jetstream(nc)
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
                on_gain=self._on_gain,
                on_lose=self._on_lose,
                has_agents=lambda p: any(
                    self._caller.partition(a) == p for a in self._host.instances
                ),
                on_revoke=self._fence,
            )
            await cluster.open()  # raises RuntimeStateError on a partition-count mismatch
            self._cluster = cluster
            self._caller = Caller(
                self._host,
                cluster,
                self._client,
                namespace=self._namespace,
                partitions=self._partitions,
                request_timeout=self._request_timeout,
                worker_id=self.worker_id,
            )
            subscriptions = await open_bucket(
                js, f"{self._namespace}_subscriptions", replicas=self._kv_replicas
            )
            await self._subscriptions.open(subscriptions)
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
                await queue.open()
                self._durable = queue
                self._caller.durable = queue
            await self._open_serving(nc)
        except (js_errors.ServiceUnavailableError, nats_errors.NoRespondersError) as e:
            await self._disconnect()
            raise TransportError(
                "JetStream is not enabled on the NATS server; start it with -js (and a storage "
                "directory with -sd)."
            ) from e
        except BaseException:
            await self._disconnect()
            raise

    async def _disconnect(self) -> None:
        nc, self._nc = self._nc, None
        self._cluster = None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()

    async def _watch_calls(self) -> None:
        while True:
            await asyncio.sleep(self._lease_ttl / 4)
            self._caller.check_pending(grace=self._lease_ttl / 2)

    async def _on_disconnect(self) -> None:
        if self._closed:
            return
        logger.warning("Worker %s lost its NATS connection; reconnecting", self.worker_id)
        if self._cluster is not None:
            self._cluster.distrust()
            # A reply sent while the connection is down is lost: fail the waiting calls now.
            error = TransportError(
                "The connection to NATS was lost while waiting for the reply; the handler "
                "may have run (in durable mode, the message stays queued and will be "
                "handled). The runtime reconnects by itself."
            )
            self._caller.fail_pending(error)
            if self._durable is not None:
                self._durable.fail_pending(error)

    async def _on_reconnect(self) -> None:
        logger.info("Worker %s reconnected to NATS", self.worker_id)
        # The watchers' consumers may not have survived (a restarted server): rebuild the views.
        with contextlib.suppress(Exception):
            if self._cluster is not None:
                await self._cluster.resync()
            await self._subscriptions.resync()

    async def stop(self) -> None:
        """Stop serving and end every background task (the connection stays open).

        The leases of this worker's partitions are no longer renewed: after ``lease_ttl`` other
        workers hosting the same types take them over. ``start()`` serves again; ``close()``
        disconnects.

        Raises:
            RuntimeStateError: The runtime is not started.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started.")
        await self._pause()
        self._raise_unhandled()

    async def _pause(self) -> None:
        self._running = False
        await self._unsubscribe_all()
        watchdog, self._watchdog = self._watchdog, None
        await cancel_and_wait(watchdog)
        if self._cluster is not None:
            self._cluster.serving = False
            with contextlib.suppress(Exception):
                await self._cluster.refresh()
            # Nothing started by start() may outlive stop(): a tick still running when the
            # event loop shuts down would keep the process from exiting.
            await self._cluster.pause()

    async def stop_when_idle(self) -> None:
        """Wait until this worker delivers, sends and awaits nothing, then stop.

        Idleness is local: messages this worker's agents sent to other workers count until they
        are answered (or acknowledged, for published ones); other workers' work does not.
        """
        if not self._running:
            raise RuntimeStateError("The runtime is not started; call await start() first.")
        await self._wait_idle()
        await self._pause()
        self._raise_unhandled()

    async def stop_when(self, condition: Callable[[], bool]) -> None:
        """Stop once ``condition()`` holds; it is checked now and after every local delivery."""
        if not self._running:
            raise RuntimeStateError("The runtime is not started; call await start() first.")
        await self._wait_condition(condition)
        await self._pause()
        self._raise_unhandled()

    async def close(self) -> None:
        """Stop, hand this worker's partitions over, close every agent and disconnect."""
        if self._closed:
            return
        self._closed = True
        self._running = False
        await self._unsubscribe_all()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wait_idle(), self._lease_ttl)
        watchdog, self._watchdog = self._watchdog, None
        await cancel_and_wait(watchdog)
        if self._cluster is not None:
            # Bounded: with NATS unreachable every hand-over write would wait out its retries,
            # and leases this worker cannot release expire by themselves after lease_ttl.
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(self._cluster.leave(), self._lease_ttl)
            await self._cluster.abandon()
        # Deliveries still running after the hand-over are cancelled and awaited: no task this
        # worker started may outlive close().
        await asyncio.gather(*(cancel_and_wait(task, 5.0) for task in list(self._tasks)))
        await self._subscriptions.close()
        await self._host.close_agents()
        if self._nc is not None:
            # A round trip first: the last replies ("moved", or a handler's answer) must reach
            # the server before the socket closes, or a caller would wait for its deadline.
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)
            with contextlib.suppress(Exception):
                await self._nc.close()

    def _client(self) -> Client:
        if self._nc is None:
            raise RuntimeStateError(
                "The runtime is not started: call `await runtime.start()` first."
            )
        return self._nc

    def _closed_error(self) -> RuntimeStateError:
        return RuntimeStateError("The runtime is closed; create a new NatsWorkerAgentRuntime.")

    def _next_id(self) -> str:
        return f"{self.worker_id}-{next(self._id_counter)}"

    # --- messaging ------------------------------------------------------------------------------

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send ``message`` to ``recipient``, wherever it lives, and return its response.

        Raises:
            AgentTypeNotFoundError: No live worker hosts the recipient's type (raised at once).
            CantHandleException: The recipient has no handler that accepts the message.
            RemoteHandlerError: The remote handler raised (also the builtin class it raised).
            RequestTimeoutError: No response within ``request_timeout``.
            WorkerUnavailableError: No worker served the agent in time, or its worker died.
            UnknownMessageTypeError: The message or response type has no serializer.
            PayloadTooLargeError: The message is larger than the server accepts.
            RuntimeStateError: The runtime is not started, or closed.
        """
        if self._closed:
            raise self._closed_error()
        self._client()
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        ctx = MessageContext(
            sender, None, True, token, message_id if message_id is not None else self._next_id()
        )
        return await self._send(message, recipient, ctx, cancellation_token is not None)

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish ``message`` to every subscriber of ``topic_id``, on any worker; returns at once.

        Raises:
            RuntimeStateError: The runtime is not started, or closed.
        """
        if self._closed:
            raise self._closed_error()
        self._client()
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        ctx = MessageContext(
            sender,
            topic_id,
            False,
            token,
            message_id if message_id is not None else self._next_id(),
        )
        self._publish(message, ctx)

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
        if self._closed:
            raise self._closed_error()
        agent_type = self._host.register_factory(type, agent_factory, expected_class)
        if expected_class is not None:
            self._add_response_serializers(expected_class)
        await self._announce()
        return agent_type

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Host a pre-built agent on this worker.

        A type registered with instances must be hosted by this worker alone: messages find it
        through the type's partitions, all of which this worker then holds.
        """
        if self._closed:
            raise self._closed_error()
        registered = await self._host.register_instance(agent_instance, agent_id)
        self._pinned.add(registered)
        await self._announce()
        return registered

    async def _announce(self) -> None:
        # A type registered on a running worker is announced and its partitions claimed now, so
        # the first message to it does not wait for the next tick.
        if self._cluster is not None:
            await self._cluster.refresh()

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

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers for message types that cross process boundaries."""
        self._host.serializers.add_serializer(serializer)

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
