"""The connection as one ConnectionSettings argument, and what a worker refuses before start()."""

from __future__ import annotations

import pytest

from parlay_core import AgentId, TopicId
from parlay_core.exceptions import RuntimeStateError
from parlay_ext.runtimes.nats import ConnectionSettings, NatsWorkerAgentRuntime
from tests.core._agents import Echo, Note, Ping, Pong
from tests.ext.nats._server import NatsServer
from tests.ext.nats.conftest import LEASE_TTL, PARTITIONS


async def test_a_worker_connects_with_connection_settings(
    nats_server: NatsServer, namespace: str
) -> None:
    settings = ConnectionSettings(servers=[nats_server.url], connect_timeout=2.0)
    runtime = NatsWorkerAgentRuntime(
        connection=settings, namespace=namespace, lease_ttl=LEASE_TTL, partitions=PARTITIONS
    )
    assert runtime.connection.servers == [nats_server.url]
    assert runtime.connection.connect_timeout == 2.0
    assert runtime.connection.name == f"parlay-worker-{runtime.worker_id}"  # filled in
    await Echo.register(runtime, "echo", Echo)
    await runtime.start()
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    await runtime.close()


def test_connection_settings_and_their_shortcuts_are_not_mixed() -> None:
    with pytest.raises(
        ValueError, match=r"either connection= or its shortcut arguments \(servers, user\)"
    ):
        NatsWorkerAgentRuntime(
            "nats://10.0.0.1:4222", connection=ConnectionSettings(), user="someone"
        )


async def test_messages_before_start_say_the_runtime_is_not_started(
    nats_server: NatsServer, namespace: str
) -> None:
    runtime = NatsWorkerAgentRuntime(nats_server.url, namespace=namespace)
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(RuntimeStateError, match=r"not started; call start\(\)"):
        await runtime.send_message(Ping(), AgentId("echo", "a"))
    with pytest.raises(RuntimeStateError, match=r"not started; call start\(\)"):
        await runtime.publish_message(Note("n"), TopicId("t", "s"))
    with pytest.raises(RuntimeStateError, match=r"not started; call start\(\)"):
        await runtime.get("echo", "a", lazy=False)
    with pytest.raises(RuntimeStateError, match=r"not started; call start\(\)"):
        await runtime.agent_metadata(AgentId("echo", "a"))
    await runtime.close()
