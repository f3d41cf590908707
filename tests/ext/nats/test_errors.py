"""Typed errors at the runtime's edges: before start(), credentials in URLs, failing handlers."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import pytest

from parlay_core import AgentId, DefaultSubscription, MessageContext, RoutedAgent, rpc
from parlay_core.exceptions import (
    ModelAPIError,
    PayloadTooLargeError,
    RuntimeStateError,
    SerializationError,
    StateConflictError,
    ToolExecutionException,
    ToolNotFoundException,
    TransportError,
)
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._connection import redact
from tests.ext.nats._server import NatsServer, free_port
from tests.ext.nats.conftest import LEASE_TTL, PARTITIONS


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


@dataclass
class Ask:
    what: str


@dataclass
class Holder:
    items: Any


class _Exploding:
    """A value whose registered serializer fails with an untyped error."""


class _ExplodingSerializer:
    data_content_type = "application/json"
    type_name = "_Exploding"

    def serialize(self, message: Any) -> bytes:
        raise TypeError("cannot write this")

    def deserialize(self, payload: bytes) -> Any:
        return _Exploding()


class Unsendable(RoutedAgent):
    """Answers with values that cannot cross the wire, counting how often it ran."""

    runs: ClassVar[Tally[str]] = Tally()

    def __init__(self) -> None:
        super().__init__("unsendable")

    @rpc
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Any:
        Unsendable.runs[message.what] += 1
        if message.what == "set":
            return {1, 2}
        if message.what == "field":
            return Holder({1, 2})
        return _Exploding()


@pytest.fixture(params=[False, True], ids=["default", "durable"])
async def serving(
    request: pytest.FixtureRequest, nats_server: NatsServer, namespace: str
) -> AsyncIterator[NatsWorkerAgentRuntime]:
    """A started worker (over the wire even for its own agents) hosting ``unsendable``."""
    worker = NatsWorkerAgentRuntime(
        nats_server.url,
        namespace=namespace,
        lease_ttl=LEASE_TTL,
        partitions=PARTITIONS,
        request_timeout=20.0,
        loopback=True,
        durable=bool(request.param),
        durable_max_deliver=5,
    )
    worker.add_message_serializer(cast(Any, _ExplodingSerializer()))
    await Unsendable.register(worker, "unsendable", Unsendable)
    await worker.start()
    yield worker
    await worker.close()


@pytest.mark.parametrize("what", ["set", "field", "serializer"])
async def test_a_response_that_cannot_be_serialized_fails_the_call_at_once(
    serving: NatsWorkerAgentRuntime, what: str
) -> None:
    Unsendable.runs.clear()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(SerializationError) as caught:
        await serving.send_message(Ask(what), AgentId("unsendable", what))
    took = loop.time() - started
    assert took < 3.0, f"the caller waited {took:.1f}s"
    assert "unsendable" in str(caught.value)  # names the agent whose answer failed
    await asyncio.sleep(LEASE_TTL * 2)  # a redelivery (durable mode) would have happened by now
    assert Unsendable.runs[what] == 1


@dataclass
class Blob:
    data: str


@dataclass
class Nap:
    seconds: float


class Store(RoutedAgent):
    """Takes blobs (answering their size) and naps."""

    def __init__(self) -> None:
        super().__init__("store")

    @rpc
    async def on_blob(self, message: Blob, ctx: MessageContext) -> int:
        return len(message.data)

    @rpc
    async def on_nap(self, message: Nap, ctx: MessageContext) -> str:
        await asyncio.sleep(message.seconds)
        return "rested"


async def test_long_headers_near_the_payload_limit_are_refused_before_sending(
    runtime: NatsWorkerAgentRuntime,
) -> None:
    """A long agent key with a payload just under max_payload: the headers tip it over."""
    await Store.register(runtime, "store", Store)
    limit = runtime._client().max_payload  # pyright: ignore[reportPrivateUsage]
    long_key = "k" * 3000
    blob = Blob("x" * (limit - 2000))  # fits alone, not with a 3,000-character key in headers
    in_flight = [
        asyncio.create_task(runtime.send_message(Nap(1.0), AgentId("store", f"n{i}")))
        for i in range(5)
    ]
    await asyncio.sleep(0.2)
    with pytest.raises(PayloadTooLargeError, match="headers"):
        await runtime.send_message(
            blob, AgentId("store", long_key), sender=AgentId("store", long_key)
        )
    # The connection stayed up: the calls in flight and later ones are answered.
    assert await asyncio.gather(*in_flight) == ["rested"] * 5
    assert await runtime.send_message(Blob("small"), AgentId("store", long_key)) == 5
    assert await runtime.send_message(Blob("x" * 1000), AgentId("store", "short")) == 1000


@dataclass
class Fail:
    how: str


class Failing(RoutedAgent):
    """Raises the Parlay error it is asked for."""

    def __init__(self) -> None:
        super().__init__("failing")

    @rpc
    async def on_fail(self, message: Fail, ctx: MessageContext) -> None:
        if message.how == "conflict":
            raise StateConflictError("agent/a", 3, 5)
        if message.how == "tool":
            raise ToolNotFoundException("call-1", "No tool named 'x'.", "x")
        if message.how == "model":
            raise ModelAPIError("rate limited", status_code=429)
        raise ToolExecutionException("call-2", "The tool raised.", "y")


async def test_parlay_errors_with_fields_arrive_as_themselves(
    runtime: NatsWorkerAgentRuntime,
) -> None:
    await Failing.register(runtime, "failing", Failing)
    agent = AgentId("failing", "a")
    with pytest.raises(StateConflictError) as conflict:
        await runtime.send_message(Fail("conflict"), agent)
    assert (conflict.value.key, conflict.value.expected_revision) == ("agent/a", 3)
    assert conflict.value.actual_revision == 5
    assert getattr(conflict.value, "remote_agent_id", None) == "failing/a"
    with pytest.raises(ToolNotFoundException) as tool:
        await runtime.send_message(Fail("tool"), agent)
    assert (tool.value.call_id, tool.value.content, tool.value.name) == (
        "call-1",
        "No tool named 'x'.",
        "x",
    )
    with pytest.raises(ToolExecutionException):
        await runtime.send_message(Fail("execution"), agent)
    with pytest.raises(ModelAPIError) as model:
        await runtime.send_message(Fail("model"), agent)
    assert model.value.status_code == 429
