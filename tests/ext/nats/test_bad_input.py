"""Bad input across the wire gets a clear, typed error, never a hang."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import nats
import pytest

from parlay_core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    TypeSubscription,
    message_handler,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import (
    AgentTypeNotFoundError,
    PayloadTooLargeError,
    RemoteHandlerError,
    RuntimeStateError,
    SerializationError,
    TransportAuthError,
    TransportError,
    UnknownMessageTypeError,
)
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._subjects import Subjects
from parlay_ext.runtimes.nats._wire import partition_of
from tests.core._agents import Echo, Ping, Pong
from tests.ext.nats._server import NatsServer


@dataclass
class Stranger:
    """A message type that no worker registered (no agent handles it)."""

    text: str


async def _pair(url: str, namespace: str) -> tuple[NatsWorkerAgentRuntime, NatsWorkerAgentRuntime]:
    worker = NatsWorkerAgentRuntime(url, namespace=namespace, partitions=4, request_timeout=60)
    await Echo.register(worker, "echo", Echo)
    await worker.start()
    client = NatsWorkerAgentRuntime(url, namespace=namespace, partitions=4, request_timeout=60)
    # The client hosts no agent: it must know the response type it reads.
    client.add_message_serializer(try_get_known_serializers_for_type(Pong))
    await client.start()
    return worker, client


async def test_agent_type_no_worker_hosts_fails_fast(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)
    # With a 60 s deadline, only an immediate typed error lets this finish within the test's
    # timeout; the message also says what is hosted.
    with pytest.raises(AgentTypeNotFoundError, match=r"'nobody'.*\['echo'\]"):
        await client.send_message(Ping(), AgentId("nobody", "x"))
    await client.close()
    await worker.close()


async def test_message_type_no_worker_knows(nats_server: NatsServer, namespace: str) -> None:
    worker, client = await _pair(nats_server.url, namespace)
    with pytest.raises(UnknownMessageTypeError, match="Stranger"):
        await client.send_message(Stranger("?"), AgentId("echo", "a"))
    assert await client.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    await client.close()
    await worker.close()


async def test_mismatched_message_definition_is_a_serialization_error(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)

    @dataclass
    class Ping:  # the same wire name as the worker's Ping, with other fields
        words: list[str]

    with pytest.raises(SerializationError, match="Cannot build Ping"):
        await client.send_message(Ping(["a"]), AgentId("echo", "a"))
    await client.close()
    await worker.close()


async def test_undeserializable_payload_on_the_wire(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)
    await client.send_message(
        Ping(), AgentId("echo", "a")
    )  # the worker now holds echo's partitions
    raw = await nats.connect(nats_server.url)
    subject = Subjects(namespace).agent("echo", partition_of(AgentId("echo", "a"), 4), "a")
    headers = {"Parlay-Kind": "rpc", "Parlay-Recipient": "echo/a", "Parlay-Type": "Ping"}
    for payload in (b"{not json", b'{"unexpected": 1}', b"\xff\xfe"):
        reply = await raw.request(subject, payload, timeout=5, headers=headers)
        assert reply.headers is not None and reply.headers["Parlay-Status"] == "error"
        error = json.loads(reply.data)
        assert error["type"] == "SerializationError", error
    reply = await raw.request(subject, b"{}", timeout=5, headers={"Parlay-Kind": "rpc"})
    assert json.loads(reply.data)["type"] == "SerializationError"  # headers missing
    await raw.close()
    assert await client.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    await client.close()
    await worker.close()


async def test_requests_without_headers_carry_their_fields_before_the_payload(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)
    await client.send_message(Ping(), AgentId("echo", "a"))  # the worker holds the partitions
    raw = await nats.connect(nats_server.url)
    subject = Subjects(namespace).agent("echo", partition_of(AgentId("echo", "a"), 4), "a")
    # The form Parlay's callers use: packed fields, a line break, the payload. The ok reply comes
    # back the same way, with no headers: its response type, a line break, the payload.
    reply = await raw.request(subject, b'r=echo/a t=Ping\n{"text": "hi"}', timeout=5)
    assert not reply.headers
    assert reply.data.split(b"\n", 1) == [b"Pong", b'{"text": "hi->a"}']
    # Without a line break (or with a first line that is not UTF-8) it is no request: a typed
    # error comes back in headers, and the worker goes on serving.
    for data in (b"no line break", b"\xff\xfe r=echo/a\n{}", b""):
        reply = await raw.request(subject, data, timeout=5)
        assert reply.headers is not None and reply.headers["Parlay-Status"] == "error"
        assert json.loads(reply.data)["type"] == "SerializationError"
    await raw.close()
    assert await client.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    await client.close()
    await worker.close()


async def test_oversize_message_is_refused_before_sending(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)
    with pytest.raises(PayloadTooLargeError, match="max_payload"):
        await client.send_message(Ping("x" * 2_000_000), AgentId("echo", "a"))
    await client.close()
    await worker.close()


async def test_oversize_response_comes_back_as_a_typed_error(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)

    class Bloater(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("bloater")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            return Pong("y" * 2_000_000)

    await Bloater.register(worker, "bloat", Bloater)
    with pytest.raises(PayloadTooLargeError, match="Pong"):
        await client.send_message(Ping(), AgentId("bloat", "a"))
    await client.close()
    await worker.close()


async def test_remote_builtin_errors_keep_their_class(
    nats_server: NatsServer, namespace: str
) -> None:
    worker, client = await _pair(nats_server.url, namespace)
    from tests.core._agents import Fail

    with pytest.raises(ValueError, match="boom") as info:
        await client.send_message(Fail(), AgentId("echo", "a"))
    assert isinstance(info.value, RemoteHandlerError)
    assert info.value.remote_type == "ValueError"
    assert info.value.agent_id == "echo/a"
    await client.close()
    await worker.close()


async def test_subscription_that_cannot_be_shared(nats_server: NatsServer, namespace: str) -> None:
    worker, client = await _pair(nats_server.url, namespace)

    class Custom(TypeSubscription):
        def is_match(self, topic_id: object) -> bool:
            return True

    with pytest.raises(SerializationError, match="cannot be shared"):
        await client.add_subscription(Custom("t", "echo"))
    await client.close()
    await worker.close()


async def test_wrong_credentials_are_a_typed_error(tmp_path: object) -> None:
    with NatsServer(args=["--user", "parlay", "--pass", "right"]) as server:
        for kwargs in ({"user": "parlay", "password": "wrong"}, {}):
            runtime = NatsWorkerAgentRuntime(server.url, **kwargs)  # type: ignore[arg-type]
            with pytest.raises(TransportAuthError, match="refused the credentials"):
                await runtime.start()
            await runtime.close()
        good = NatsWorkerAgentRuntime(server.url, user="parlay", password="right")
        await good.start()
        await good.close()


async def test_unreachable_server_and_missing_jetstream() -> None:
    from tests.ext.nats._server import free_port, nats_server_binary

    runtime = NatsWorkerAgentRuntime(f"nats://127.0.0.1:{free_port()}", connect_timeout=1)
    with pytest.raises(TransportError, match="Cannot connect"):
        await runtime.start()
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        nats_server_binary(),
        "-p",
        str(port),
        "-a",
        "127.0.0.1",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        plain = NatsWorkerAgentRuntime(f"nats://127.0.0.1:{port}", connect_timeout=5)
        for _ in range(100):
            try:
                await plain.start()
            except TransportError as e:
                if "JetStream" in str(e):
                    break
                await asyncio.sleep(0.05)  # the server is still starting
        else:
            pytest.fail("start() against a server without JetStream did not say so")
    finally:
        process.kill()
        await process.wait()


async def test_calls_before_start_and_after_close(nats_server: NatsServer, namespace: str) -> None:
    runtime = NatsWorkerAgentRuntime(nats_server.url, namespace=namespace)
    with pytest.raises(RuntimeStateError, match="start"):
        await runtime.send_message(Ping(), AgentId("echo", "a"))
    await runtime.start()
    with pytest.raises(RuntimeStateError, match="already started"):
        await runtime.start()
    await runtime.close()
    with pytest.raises(RuntimeStateError, match="closed"):
        await runtime.send_message(Ping(), AgentId("echo", "a"))
    with pytest.raises(RuntimeStateError, match="closed"):
        await runtime.start()


async def test_workers_must_agree_on_partitions(nats_server: NatsServer, namespace: str) -> None:
    first = NatsWorkerAgentRuntime(nats_server.url, namespace=namespace, partitions=4)
    await first.start()
    second = NatsWorkerAgentRuntime(nats_server.url, namespace=namespace, partitions=8)
    with pytest.raises(RuntimeStateError, match="uses 4 partitions"):
        await second.start()
    await second.close()
    await first.close()
