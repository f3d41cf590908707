"""NATS runtime behaviour beyond the conformance set: cancellation over the wire, interventions,
several workers in one namespace, pause and resume, the wire format's tokens and errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from parlay_core import (
    AgentId,
    CancellationToken,
    DefaultInterventionHandler,
    DropMessage,
    MessageContext,
    RoutedAgent,
    TopicId,
    TypeSubscription,
    message_handler,
    try_get_known_serializers_for_type,
)
from parlay_core.exceptions import (
    AgentTypeNotFoundError,
    CantHandleException,
    MessageDroppedException,
    NotAccessibleError,
    RemoteHandlerError,
    StateConflictError,
)
from parlay_core.plugins import RUNTIMES, load_plugin
from parlay_ext.runtimes.nats import NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._wire import decode_error, encode_error, partition_of, token
from tests.core._agents import Echo, Note, Ping, Pong
from tests.ext.nats._server import NatsServer


def _runtime(url: str, namespace: str, **kwargs: Any) -> NatsWorkerAgentRuntime:
    return NatsWorkerAgentRuntime(
        url, namespace=namespace, partitions=4, lease_ttl=1.5, request_timeout=20, **kwargs
    )


async def test_registered_as_the_nats_runtime_plugin() -> None:
    assert load_plugin(RUNTIMES, "nats") is NatsWorkerAgentRuntime


async def test_cancelling_the_token_cancels_the_remote_handler(
    runtime: NatsWorkerAgentRuntime,
) -> None:
    started = asyncio.Event()
    handler_cancelled = asyncio.Event()

    class Slow(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("slow")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                handler_cancelled.set()
                raise
            return Pong()

    await Slow.register(runtime, "slow", Slow)
    token = CancellationToken()
    call = asyncio.create_task(
        runtime.send_message(Ping(), AgentId("slow", "a"), cancellation_token=token)
    )
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await asyncio.wait_for(handler_cancelled.wait(), 10)  # the cancel travelled to the handler
    await Echo.register(runtime, "echo", Echo)
    assert await runtime.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")


async def test_a_burst_of_requests_keeps_each_context_and_a_waiting_handler_holds_none_up(
    runtime: NatsWorkerAgentRuntime,
) -> None:
    """Ids with spaces, percent signs and non-ASCII arrive as sent, whatever their neighbours."""
    started, release = asyncio.Event(), asyncio.Event()

    class Probe(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("probe")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
            if message.text == "wait":
                started.set()
                await release.wait()
            return Pong(f"{ctx.message_id}|{ctx.sender}|{self.id.key}")

    await Probe.register(runtime, "probe", Probe)
    waiting = asyncio.create_task(
        runtime.send_message(Ping("wait"), AgentId("probe", "w"), message_id="w")
    )
    await asyncio.wait_for(started.wait(), 10)
    ids = ["plain", "a b", "50% off", "%20", "%2520", " edge ", "k=v", "über straße", "-"]
    sender = AgentId("sender", "x y%")
    replies = await asyncio.gather(
        *(
            runtime.send_message(
                Ping("go"), AgentId("probe", f"k {i}%"), sender=sender, message_id=message_id
            )
            for i, message_id in enumerate(ids)
        )
    )
    assert replies == [Pong(f"{m}|sender/x y%|k {i}%") for i, m in enumerate(ids)]
    assert not waiting.done()
    release.set()
    assert await waiting == Pong("w|None|w")


class Upper(DefaultInterventionHandler):
    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        if isinstance(message, Ping) and message.text == "drop":
            return DropMessage
        return Ping(message.text.upper()) if isinstance(message, Ping) else message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return Pong(f"[{message.text}]") if isinstance(message, Pong) else message


async def test_interventions_run_at_the_sending_worker(
    nats_server: NatsServer, namespace: str
) -> None:
    worker = _runtime(nats_server.url, namespace)
    await Echo.register(worker, "echo", Echo)
    await worker.start()
    client = _runtime(nats_server.url, namespace, intervention_handlers=[Upper()])
    client.add_message_serializer(try_get_known_serializers_for_type(Pong))
    await client.start()
    assert await client.send_message(Ping("hi"), AgentId("echo", "a")) == Pong("[HI->a]")
    with pytest.raises(MessageDroppedException):
        await client.send_message(Ping("drop"), AgentId("echo", "a"))
    await client.close()
    await worker.close()


async def test_two_workers_share_agents_and_subscriptions(
    nats_server: NatsServer, namespace: str
) -> None:
    """Agents live on one worker; a subscription added on another reaches them; each agent is
    reachable from both, and only its own worker can hand out the object."""
    notes: list[str] = []

    class Collector(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("collector")

        @message_handler
        async def on_note(self, message: Note, ctx: MessageContext) -> None:
            notes.append(f"{self.id.key}:{message.text}:{ctx.sender}")

    hosting = _runtime(nats_server.url, namespace)
    await Collector.register(hosting, "collector", Collector)
    await Echo.register(hosting, "echo", Echo)
    await hosting.start()
    other = _runtime(nats_server.url, namespace)
    other.add_message_serializer(try_get_known_serializers_for_type(Pong))
    await other.start()
    await other.add_subscription(TypeSubscription("news", "collector"))
    for _ in range(100):  # the hosting worker mirrors the subscription bucket
        if any(s.agent_type == "collector" for s in hosting._host.subscriptions):  # type: ignore[attr-defined]  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue]
            break
        await asyncio.sleep(0.02)
    await other.publish_message(Note("n1"), TopicId("news", "s1"), sender=AgentId("x", "y"))
    await other.publish_message(Note("n2"), TopicId("news", "s2"))
    await other.stop_when_idle()  # both deliveries are acknowledged by now
    for _ in range(200):
        if len(notes) == 2:
            break
        await asyncio.sleep(0.01)
    assert sorted(notes) == ["s1:n1:x/y", "s2:n2:None"]
    assert await other.send_message(Ping(), AgentId("echo", "k")) == Pong("ping->k")
    with pytest.raises(NotAccessibleError, match="another worker"):
        await other.try_get_underlying_agent_instance(AgentId("echo", "k"))
    assert isinstance(await hosting.try_get_underlying_agent_instance(AgentId("echo", "k")), Echo)
    await other.close()
    await hosting.close()


async def test_a_stopped_worker_resumes_with_its_agents(
    nats_server: NatsServer, namespace: str
) -> None:
    worker = _runtime(nats_server.url, namespace)
    await Echo.register(worker, "echo", Echo)
    await worker.start()
    client = _runtime(nats_server.url, namespace)
    client.add_message_serializer(try_get_known_serializers_for_type(Pong))
    await client.start()
    assert await client.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    agent = await worker.try_get_underlying_agent_instance(AgentId("echo", "a"), Echo)
    await worker.stop()
    waiting = asyncio.create_task(client.send_message(Ping("later"), AgentId("echo", "a")))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # nobody serves echo now: the call waits, within its deadline
    await worker.start()
    assert await waiting == Pong("later->a")
    assert await worker.try_get_underlying_agent_instance(AgentId("echo", "a"), Echo) is agent
    await client.close()
    await worker.close()


async def test_a_closed_worker_hands_its_agent_types_over_or_they_vanish(
    nats_server: NatsServer, namespace: str
) -> None:
    first = _runtime(nats_server.url, namespace)
    await Echo.register(first, "echo", Echo)
    await first.start()
    client = _runtime(nats_server.url, namespace)
    client.add_message_serializer(try_get_known_serializers_for_type(Pong))
    await client.start()
    assert await client.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    second = _runtime(nats_server.url, namespace)
    await Echo.register(second, "echo", Echo)
    await second.start()
    await first.close()  # releases its partitions: the second worker takes them at once
    assert await client.send_message(Ping(), AgentId("echo", "a")) == Pong("ping->a")
    await second.close()
    for _ in range(100):  # the client sees the last worker of the type leave
        try:
            await client.send_message(Ping(), AgentId("echo", "b"))
        except AgentTypeNotFoundError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("a type no worker hosts any more was still considered hosted")
    await client.close()


def test_tokens_are_subject_safe_and_distinct() -> None:
    plain = token("writer_1-a")
    assert plain == "writer_1-a"
    odd = [token(t) for t in ("a.b", "a b", "a*", "a>", "ü", "", "x" * 65, "a.b ")]
    assert all(t.startswith("=") and t[1:].isalnum() for t in odd)
    assert len(set(odd)) == len(odd)
    agent = AgentId("chat", "user 7/ü")
    assert partition_of(agent, 16) == partition_of(AgentId("chat", "user 7/ü"), 16)
    assert {partition_of(AgentId("chat", str(i)), 16) for i in range(200)} == set(range(16))


def test_errors_cross_the_wire_typed() -> None:
    agent = AgentId("echo", "a")
    cant = decode_error(encode_error(CantHandleException("no handler for X")), agent)
    assert type(cant) is CantHandleException and str(cant) == "no handler for X"
    key = decode_error(encode_error(KeyError("k")), agent)
    assert isinstance(key, KeyError) and isinstance(key, RemoteHandlerError)
    custom = decode_error(encode_error(type("Oops", (Exception,), {})("bad")), agent)
    assert type(custom) is RemoteHandlerError and custom.remote_type == "Oops"
    # An error whose constructor needs more than a message is rebuilt from its fields.
    conflict = decode_error(encode_error(StateConflictError("k", 1, 2)), agent)
    assert type(conflict) is StateConflictError
    assert (conflict.key, conflict.expected_revision, conflict.actual_revision) == ("k", 1, 2)
    # Without them (a body from an older worker) it still arrives typed as remote.
    bare = b'{"type": "StateConflictError", "module": "parlay_core._exceptions", "message": "m"}'
    old = decode_error(bare, agent)
    assert isinstance(old, RemoteHandlerError) and old.remote_type == "StateConflictError"
    # Relayed remote errors keep their original identity.
    relayed = decode_error(encode_error(key), agent)
    assert isinstance(relayed, KeyError)
    garbage = decode_error(b"not json", agent)
    assert isinstance(garbage, RemoteHandlerError) and "unreadable" in str(garbage)
