"""A client process for the exit tests: ``python -m tests.ext.nats._exit_client URL NS MODE``.

It starts a worker that hosts nothing, makes one call to the ``counter`` agent of a worker process,
then ends its runtime as ``MODE`` says (``stop``, ``close``, ``stop-close`` or ``forget``: no call at
all) and returns from ``asyncio.run``. The process must exit by itself.
"""

from __future__ import annotations

import asyncio
import sys

from parlay_core import AgentId, try_get_known_serializers_for_type
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from tests.ext.nats._worker import Count, Increment


async def main(url: str, namespace: str, mode: str, durable: bool) -> None:
    runtime = NatsWorkerAgentRuntime(
        url, namespace=namespace, lease_ttl=1.5, partitions=8, durable=durable
    )
    runtime.add_message_serializer(try_get_known_serializers_for_type(Count))
    await runtime.start()
    result = await runtime.send_message(Increment(), AgentId("counter", "a"))
    print(f"answered {result.value}", flush=True)
    if mode in ("stop", "stop-close"):
        await runtime.stop()
    if mode in ("close", "stop-close"):
        await runtime.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], "--durable" in sys.argv[4:]))
    print("returned", flush=True)
