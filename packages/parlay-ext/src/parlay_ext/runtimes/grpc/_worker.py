"""GrpcWorkerAgentRuntime: AutoGen's gRPC worker, as a NATS worker of Parlay's distributed runtime.

It is a :class:`~parlay_ext.runtimes.nats.NatsWorkerAgentRuntime` whose constructor takes
AutoGen's arguments and whose ``stop()`` means what AutoGen's does: leave for good. A subclass
rather than a wrapper, so that agents see the worker itself as their runtime, every
``AgentRuntime`` method is the NATS runtime's own, and the NATS keywords (``namespace``,
``request_timeout``, credentials, ...) pass through.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Any

from parlay_core import JSON_DATA_CONTENT_TYPE, PROTOBUF_DATA_CONTENT_TYPE
from parlay_core.exceptions import RuntimeStateError
from parlay_ext.runtimes.grpc._address import nats_url
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime

__all__ = ["GrpcWorkerAgentRuntime"]

# A worker pointed at an address where nothing listens fails within about twice this plus a
# second (the NATS runtime's bound on a first connection), instead of the NATS default's eleven.
_CONNECT_TIMEOUT = 2.0


class GrpcWorkerAgentRuntime(NatsWorkerAgentRuntime):
    """A worker that connects to a :class:`GrpcWorkerAgentRuntimeHost` at ``host_address``.

    AutoGen's worker, on Parlay's NATS engine: register agents, ``await start()``, send and
    publish as with any runtime; ``await stop()`` leaves (this worker's agents are closed and
    its share of the agents is handed to the other workers). See ``docs/distributed.md``.

    Args:
        host_address: The host's ``host:port`` (``localhost:50051``); a ``nats://`` or
            ``tls://`` URL of any NATS server with JetStream works too.
        tracer_provider: An OpenTelemetry tracer provider for spans around deliveries.
        extra_grpc_config: AutoGen's gRPC channel options; accepted and ignored (there is no
            gRPC channel). NATS connection options go in ``connect_options``.
        payload_serialization_format: ``JSON_DATA_CONTENT_TYPE`` (the default) or
            ``PROTOBUF_DATA_CONTENT_TYPE``. Either is accepted: each message type travels in
            the format of the serializer registered for it (dataclasses and pydantic models as
            JSON, protobuf messages as protobuf once ``add_message_serializer`` knows them).
        **nats_options: Any keyword argument of
            :class:`~parlay_ext.runtimes.nats.NatsWorkerAgentRuntime` (``namespace``,
            ``request_timeout``, ``state_store``, ``user_credentials``, ...). ``connect_timeout``
            defaults to 2 seconds here.

    Raises:
        ValueError: ``host_address`` is not ``host:port``, or the serialization format is
            neither JSON nor protobuf.
    """

    def __init__(
        self,
        host_address: str,
        tracer_provider: Any | None = None,
        extra_grpc_config: Sequence[tuple[str, Any]] | None = None,
        payload_serialization_format: str = JSON_DATA_CONTENT_TYPE,
        **nats_options: Any,
    ) -> None:
        if payload_serialization_format not in (JSON_DATA_CONTENT_TYPE, PROTOBUF_DATA_CONTENT_TYPE):
            raise ValueError(
                f"Unsupported payload_serialization_format {payload_serialization_format!r}: use "
                "JSON_DATA_CONTENT_TYPE or PROTOBUF_DATA_CONTENT_TYPE."
            )
        del extra_grpc_config  # gRPC channel options have no NATS meaning
        nats_options.setdefault("connect_timeout", _CONNECT_TIMEOUT)
        super().__init__(nats_url(host_address), tracer_provider=tracer_provider, **nats_options)
        self._host_address = host_address
        self._started = False

    @property
    def host_address(self) -> str:
        """The host address given to the constructor."""
        return self._host_address

    async def start(self) -> None:
        """Connect to the host and start serving.

        Raises:
            TransportError: Nothing answers at the host address (within a few seconds), or the
                server there has no JetStream.
            TransportAuthError: The server refused the credentials.
            RuntimeStateError: Already started, or stopped (create a new worker).
        """
        await super().start()
        self._started = True

    async def stop(self) -> None:
        """Leave: stop serving, close this worker's agents and disconnect.

        Unlike ``NatsWorkerAgentRuntime.stop()``, which pauses a worker that may start again,
        this is AutoGen's stop: a stopped worker is done, and its agents are served by the
        other workers from their next message. To run again, create a new worker. As in
        AutoGen, errors of published messages' handlers are logged, not raised here. With the
        host already gone, it returns after about ``lease_ttl`` (10 s by default).

        Raises:
            RuntimeStateError: The worker is not started.
        """
        if not self._started:
            raise RuntimeStateError("The worker is not running; call await start() first.")
        self._started = False
        # close() alone: pausing first (NatsWorkerAgentRuntime.stop) would only announce a
        # state that close() replaces at once, and with the host gone it waits out a timeout.
        await self.close()

    async def stop_when_signal(
        self, signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT)
    ) -> None:
        """Serve until one of ``signals`` arrives, then :meth:`stop`."""
        loop = asyncio.get_running_loop()
        received = asyncio.Event()
        for sig in signals:
            loop.add_signal_handler(sig, received.set)
        try:
            await received.wait()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
        await self.stop()
