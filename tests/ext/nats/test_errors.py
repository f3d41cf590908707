"""Typed errors at the runtime's edges: before start(), credentials in URLs, failing handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest

from parlay_core import AgentId, DefaultSubscription
from parlay_core.exceptions import RuntimeStateError, TransportError
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._connection import redact
from tests.ext.nats._server import NatsServer, free_port


async def test_calls_that_need_a_started_runtime_say_so_before_start(
    nats_server: NatsServer, namespace: str
) -> None:
    runtime = NatsWorkerAgentRuntime(nats_server.url, namespace=namespace)
    agent = AgentId("echo", "a")
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "get": lambda: runtime.get("echo"),
        "get(AgentId)": lambda: runtime.get(agent),
        "agent_metadata": lambda: runtime.agent_metadata(agent),
        "agent_save_state": lambda: runtime.agent_save_state(agent),
        "agent_load_state": lambda: runtime.agent_load_state(agent, {}),
        "load_state": lambda: runtime.load_state({"echo/a": {}}),
        "try_get_underlying_agent_instance": lambda: runtime.try_get_underlying_agent_instance(
            agent
        ),
    }
    for name, call in calls.items():
        with pytest.raises(RuntimeStateError, match=r"await runtime\.start\(\)") as caught:
            await call()
        assert "not started" in str(caught.value), name
    # Registering (which adds subscriptions) before start() is the usual order and still works.
    await runtime.add_subscription(DefaultSubscription(agent_type="echo"))
    await runtime.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("nats://user:secret@127.0.0.1:{port}", "nats://user:***@127.0.0.1:{port}"),
        ("nats://secret@127.0.0.1:{port}", "nats://***@127.0.0.1:{port}"),
    ],
    ids=["user-password", "token"],
)
async def test_credentials_in_a_url_are_not_shown_in_errors_or_logs(
    url: str, shown: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nobody listens there
    runtime = NatsWorkerAgentRuntime(
        url.format(port=port), connect_timeout=0.5, max_reconnect_attempts=0
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(TransportError) as caught:
        await runtime.start()
    text = str(caught.value)
    assert shown.format(port=port) in text
    assert "secret" not in text
    assert "secret" not in caplog.text
    await runtime.close()


def test_redact_hides_passwords_tokens_and_given_secrets() -> None:
    assert redact("a nats://u:p%40ss@h:1, tls://tok@h:2 and nats://h:3") == (
        "a nats://u:***@h:1, tls://***@h:2 and nats://h:3"
    )
    assert redact("refused hunter2", ["hunter2", None]) == "refused ***"
