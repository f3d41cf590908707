"""The data connection on its own, against a real nats-server: the protocol, auth, TLS, faults."""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import nkeys  # type: ignore[import-untyped,unused-ignore]
import pytest

from parlay_core import AgentId, MessageContext, RoutedAgent, rpc
from parlay_core.exceptions import PayloadTooLargeError, TransportAuthError, TransportError
from parlay_ext.runtimes.nats import ConnectionSettings, NatsWorkerAgentRuntime
from parlay_ext.runtimes.nats._dataconn import (
    DataConnection,
    DataMsg,
    _nkey_auth,  # pyright: ignore[reportPrivateUsage]
    open_data_connection,
)
from tests.ext.nats._server import NatsServer


class _Events:
    """What the connection reported: disconnections and reconnections."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()
        self.back = asyncio.Event()
        self.losses = 0

    async def on_disconnect(self) -> None:
        self.losses += 1
        self.lost.set()

    async def on_reconnect(self) -> None:
        self.back.set()


async def _open(settings: ConnectionSettings, events: _Events | None = None) -> DataConnection:
    events = events or _Events()
    return await open_data_connection(
        settings, on_disconnect=events.on_disconnect, on_reconnect=events.on_reconnect
    )


def _inbox() -> tuple[list[DataMsg], asyncio.Event, Callable[[DataMsg], None]]:
    got: list[DataMsg] = []
    arrived = asyncio.Event()

    def take(msg: DataMsg) -> None:
        got.append(msg)
        arrived.set()

    return got, arrived, take


async def _next(got: list[DataMsg], arrived: asyncio.Event, count: int = 1) -> list[DataMsg]:
    async def wait() -> None:
        while len(got) < count:
            arrived.clear()
            await arrived.wait()

    await asyncio.wait_for(wait(), 10)
    return got[:count]


@pytest.fixture
async def connections(nats_server: NatsServer) -> AsyncIterator[list[DataConnection]]:
    opened: list[DataConnection] = []
    yield opened
    for connection in opened:
        await connection.close()


async def test_request_and_reply_with_and_without_headers(
    nats_server: NatsServer, connections: list[DataConnection]
) -> None:
    settings = ConnectionSettings(servers=[nats_server.url])
    responder, requester = await _open(settings), await _open(settings)
    connections += [responder, requester]

    def answer(msg: DataMsg) -> None:
        headers = {"Echo": (msg.headers or {}).get("Ask", "none")}
        responder.publish_nowait(msg.reply, msg.data.upper(), headers=headers)

    await responder.subscribe("svc.echo", queue="q", cb=answer)
    await responder.flush()
    got, arrived, take = _inbox()
    inbox = requester.new_inbox()
    await requester.subscribe(f"{inbox}.*", cb=take)
    requester.publish_nowait("svc.echo", b"plain", reply=f"{inbox}.1")
    requester.publish_nowait("svc.echo", b"with", reply=f"{inbox}.2", headers={"Ask": "a b: c"})
    first, second = sorted(await _next(got, arrived, 2), key=lambda m: m.subject)
    assert (first.subject, first.data, first.headers) == (f"{inbox}.1", b"PLAIN", {"Echo": "none"})
    assert (second.data, second.headers) == (b"WITH", {"Echo": "a b: c"})
    # A burst written in one loop step arrives whole and in order (it leaves in parts).
    burst, burst_arrived, take_burst = _inbox()
    await requester.subscribe("burst", cb=take_burst)
    await requester.flush()
    for i in range(50):
        responder.publish_nowait("burst", b"%d" % i)
    assert [m.data for m in await _next(burst, burst_arrived, 50)] == [b"%d" % i for i in range(50)]
    assert requester.server_info["server_id"]
    assert requester.max_payload == nats_server_max_payload(requester)


def nats_server_max_payload(connection: DataConnection) -> int:
    return int(connection.server_info["max_payload"])


async def test_a_request_nobody_serves_gets_the_no_responders_status(
    nats_server: NatsServer, connections: list[DataConnection]
) -> None:
    connection = await _open(ConnectionSettings(servers=[nats_server.url]))
    connections.append(connection)
    got, arrived, take = _inbox()
    inbox = connection.new_inbox()
    await connection.subscribe(f"{inbox}.*", cb=take)
    connection.publish_nowait("nobody.here", b"x", reply=f"{inbox}.1")
    (reply,) = await _next(got, arrived)
    assert reply.headers is not None and reply.headers["Status"] == "503"


async def test_a_message_over_max_payload_is_refused_before_sending(
    nats_server: NatsServer, connections: list[DataConnection]
) -> None:
    connection = await _open(ConnectionSettings(servers=[nats_server.url]))
    connections.append(connection)
    limit = connection.max_payload
    with pytest.raises(PayloadTooLargeError, match="max_payload"):
        connection.publish_nowait("big", b"x" * (limit + 1))
    with pytest.raises(PayloadTooLargeError):
        connection.publish_nowait("big", b"x" * (limit - 10), headers={"H": "v" * 20})
    # Refused here, so the server never closed the connection: it still works.
    await connection.flush()
    assert connection.is_connected


async def test_it_answers_the_servers_pings(tmp_path: Path) -> None:
    # The server pings every 200 ms and counts the connection stale after two unanswered.
    config = tmp_path / "ping.conf"
    config.write_text('ping_interval: "200ms"\nping_max: 2\n')
    events = _Events()
    with NatsServer(args=["-c", str(config)]) as server:
        connection = await _open(ConnectionSettings(servers=[server.url], ping_interval=60), events)
        try:
            await asyncio.sleep(1.5)  # several server pings, none from the client
            assert connection.is_connected and events.losses == 0
            await connection.flush()
        finally:
            await connection.close()


async def test_a_malformed_frame_is_dropped_and_reading_goes_on(
    nats_server: NatsServer,
    connections: list[DataConnection],
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = _Events()
    connection = await _open(ConnectionSettings(servers=[nats_server.url]), events)
    connections.append(connection)
    got, arrived, take = _inbox()
    await connection.subscribe("bad.frames", cb=take)
    await connection.flush()
    # A header block without its NATS/1.0 line, which the server passes on as it is.
    block = b"Parlay: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", nats_server.port), timeout=5) as raw:
        raw.recv(4096)  # INFO
        raw.sendall(
            b'CONNECT {"verbose":false,"headers":true}\r\n'
            + b"HPUB bad.frames %d %d\r\n%sbody\r\n" % (len(block), len(block) + 4, block)
            + b"PUB bad.frames 4\r\ngood\r\nPING\r\n"
        )
        raw.recv(4096)  # PONG: the server has routed both
    with caplog.at_level(logging.WARNING):
        (msg,) = await _next(got, arrived)
    assert msg.data == b"good"
    assert "malformed header block" in caplog.text
    assert connection.is_connected and events.losses == 0


async def test_a_restarted_server_is_reconnected_and_subscriptions_are_made_again() -> None:
    events = _Events()
    with NatsServer() as server:
        settings = ConnectionSettings(servers=[server.url], reconnect_time_wait=0.1)
        connection = await _open(settings, events)
        try:
            got, arrived, take = _inbox()
            await connection.subscribe("after.restart", cb=take)
            await connection.flush()
            server.restart()
            await asyncio.wait_for(events.lost.wait(), 10)
            # Published while down: kept and sent once connected again.
            connection.publish_nowait("after.restart", b"queued")
            await asyncio.wait_for(events.back.wait(), 20)
            other = await _open(settings)
            other.publish_nowait("after.restart", b"fresh")
            await other.flush()
            await other.close()
            messages = await _next(got, arrived, 2)
            assert sorted(m.data for m in messages) == [b"fresh", b"queued"]
        finally:
            await connection.close()
    with pytest.raises(TransportError, match="closed"):
        connection.publish_nowait("x", b"")


async def test_unanswered_pings_make_it_reconnect() -> None:
    # A server that stops answering (SIGSTOP) looks connected: the pings find it out.
    events = _Events()
    with NatsServer() as server:
        settings = ConnectionSettings(
            servers=[server.url], ping_interval=0.2, max_outstanding_pings=1, connect_timeout=1
        )
        connection = await _open(settings, events)
        process = server._process  # pyright: ignore[reportPrivateUsage]
        assert process is not None
        process.send_signal(signal.SIGSTOP)
        try:
            await asyncio.wait_for(events.lost.wait(), 10)
        finally:
            process.send_signal(signal.SIGCONT)
        try:
            await asyncio.wait_for(events.back.wait(), 20)
            await connection.flush()
        finally:
            await connection.close()


@pytest.mark.parametrize(
    ("server_args", "good", "bad"),
    [
        (
            ["--user", "parlay", "--pass", "s3cret"],
            {"user": "parlay", "password": "s3cret"},
            {"user": "parlay", "password": "wrong-s3cret"},
        ),
        (["--auth", "t0ken"], {"token": "t0ken"}, {"token": "wrong-t0ken"}),
    ],
    ids=["user-password", "token"],
)
async def test_credentials_are_checked_and_never_shown(
    server_args: list[str],
    good: dict[str, Any],
    bad: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with NatsServer(args=server_args) as server:
        connection = await _open(ConnectionSettings(servers=[server.url], **good))
        await connection.flush()
        await connection.close()
        with caplog.at_level(logging.DEBUG), pytest.raises(TransportAuthError) as caught:
            await _open(ConnectionSettings(servers=[server.url], **bad))
        secret = bad.get("password") or bad["token"]
        assert secret not in str(caught.value) and secret not in caplog.text
        # Credentials in the URL work the same way.
        info = ":".join(good.values())
        in_url = await _open(ConnectionSettings(servers=[f"nats://{info}@127.0.0.1:{server.port}"]))
        await in_url.flush()
        await in_url.close()


def _user_seed() -> tuple[bytes, str]:
    """A new NKey user: its seed and its public key."""
    import os

    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    key_pair: Any = nkeys.from_seed(bytearray(seed))
    public: bytes = key_pair.public_key
    return bytes(seed), public.decode()


async def test_nkey_seed_authentication_through_the_runtime(tmp_path: Path) -> None:
    seed, public = _user_seed()
    seed_file = tmp_path / "user.nk"
    seed_file.write_bytes(seed)
    config = tmp_path / "nkeys.conf"
    config.write_text(f'authorization {{ users = [ {{ nkey: "{public}" }} ] }}\n')
    with NatsServer(args=["-c", str(config)]) as server:
        connection = await _open(
            ConnectionSettings(servers=[server.url], nkeys_seed=str(seed_file))
        )
        await connection.flush()
        await connection.close()
        other_seed, _ = _user_seed()
        (tmp_path / "other.nk").write_bytes(other_seed)
        with pytest.raises(TransportAuthError):
            await _open(
                ConnectionSettings(servers=[server.url], nkeys_seed=str(tmp_path / "other.nk"))
            )
        # A whole cluster of two workers on it: calls cross the data connections.
        await _echo_between_two_workers(
            lambda: NatsWorkerAgentRuntime(
                server.url, namespace="nk", partitions=2, nkeys_seed=str(seed_file)
            )
        )


class _Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @rpc
    async def on_text(self, message: str, ctx: MessageContext) -> str:
        return message.upper()


async def _echo_between_two_workers(make: Callable[[], NatsWorkerAgentRuntime]) -> None:
    worker, client = make(), make()
    await _Echo.register(worker, "echo", _Echo)
    await worker.start()
    await client.start()
    try:
        replies = await asyncio.gather(
            *(client.send_message(f"k{i}", AgentId("echo", f"k{i}")) for i in range(20))
        )
        assert replies == [f"K{i}" for i in range(20)]
    finally:
        await client.close()
        await worker.close()


def _certificate(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the TLS test needs the openssl command"
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=nats.test", "-addext", "subjectAltName=DNS:nats.test,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_with_a_verified_certificate(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    config = tmp_path / "tls.conf"
    config.write_text(f'tls {{ cert_file: "{cert}"\n key_file: "{key}" }}\n')
    trusted = ssl.create_default_context(cafile=str(cert))
    with NatsServer(args=["-c", str(config)]) as server:
        tls_url = f"tls://127.0.0.1:{server.port}"
        connection = await _open(
            ConnectionSettings(servers=[tls_url], tls=trusted, tls_hostname="nats.test")
        )
        try:
            got, arrived, take = _inbox()
            await connection.subscribe("secure", cb=take)
            connection.publish_nowait("secure", b"over tls")
            (msg,) = await _next(got, arrived)
            assert msg.data == b"over tls"
        finally:
            await connection.close()
        # A certificate nobody vouches for is refused.
        with pytest.raises(TransportError):
            await _open(ConnectionSettings(servers=[tls_url], connect_timeout=2))
        await _echo_between_two_workers(
            lambda: NatsWorkerAgentRuntime(
                tls_url, namespace="tls", partitions=2, tls=trusted, tls_hostname="nats.test"
            )
        )


def test_a_creds_file_gives_its_jwt_and_signs_the_nonce_with_its_seed(tmp_path: Path) -> None:
    # A server in operator mode checks the JWT itself; here, what the connection sends for it.
    seed, _ = _user_seed()
    creds = tmp_path / "user.creds"
    creds.write_text(
        "-----BEGIN NATS USER JWT-----\neyJhbGciOi.the-user-jwt.sig\n------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{seed.decode()}\n------END USER NKEY SEED------\n"
    )
    auth = _nkey_auth(ConnectionSettings(user_credentials=str(creds)), "server-nonce")
    assert auth["jwt"] == "eyJhbGciOi.the-user-jwt.sig" and "nkey" not in auth
    verifier: Any = nkeys.from_seed(bytearray(seed))
    assert verifier.verify(b"server-nonce", base64.b64decode(auth["sig"]))
