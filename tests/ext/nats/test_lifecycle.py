"""Lifecycle faults: a process must exit after its runtime stops, or when the user forgets to."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.ext.nats._procs import ROOT, WorkerProcess
from tests.ext.nats._server import NatsServer

# Exiting takes well under a second; the rest is interpreter start-up on a loaded machine.
EXIT_WITHIN = 30.0


@pytest.mark.parametrize("durable", [False, True], ids=["default", "durable"])
@pytest.mark.parametrize("mode", ["stop", "close", "stop-close", "forget"])
async def test_process_exits_after_asyncio_run_returns(
    nats_server: NatsServer, namespace: str, mode: str, durable: bool
) -> None:
    extra = ["--durable"] if durable else []
    worker = await WorkerProcess(nats_server.url, namespace, *extra).start()
    try:
        client = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.ext.nats._exit_client",
            nats_server.url,
            namespace,
            mode,
            *extra,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(client.communicate(), EXIT_WITHIN)
        except asyncio.TimeoutError:
            client.kill()
            stdout, stderr = await client.communicate()
            pytest.fail(
                f"the client process did not exit ({mode}): {stdout.decode()!r} "
                f"{stderr.decode()[-2000:]}"
            )
        assert client.returncode == 0, stderr.decode()[-2000:]
        assert stdout.decode().split() == ["answered", "1", "returned"]
    finally:
        await worker.ensure_dead()
