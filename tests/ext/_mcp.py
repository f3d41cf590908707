"""Starting the demo MCP server (``mcp_servers/demo_server.py``) for the MCP tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parlay_ext.tools.mcp import StdioServerParams

DEMO_SERVER = Path(__file__).resolve().parent / "mcp_servers" / "demo_server.py"


def stdio_params(read_timeout_seconds: float = 5) -> StdioServerParams:
    """Run the demo server over stdio with this interpreter.

    Start-up gets a generous bound of its own: importing the ``mcp`` SDK can take seconds on a
    loaded machine, and the tests' short ``read_timeout_seconds`` is meant for the calls.
    """
    return StdioServerParams(
        command=sys.executable,
        args=[str(DEMO_SERVER)],
        read_timeout_seconds=read_timeout_seconds,
        startup_timeout_seconds=120,
    )


def slow_stdio_params(delay: float, startup_timeout_seconds: float) -> StdioServerParams:
    """Run the demo server over stdio, sleeping ``delay`` seconds before it reads anything."""
    launcher = (
        "import runpy, sys, time; "
        f"time.sleep({delay!r}); "
        f"sys.argv = [{str(DEMO_SERVER)!r}]; "
        f"runpy.run_path({str(DEMO_SERVER)!r}, run_name='__main__')"
    )
    return StdioServerParams(
        command=sys.executable,
        args=["-c", launcher],
        read_timeout_seconds=1,
        startup_timeout_seconds=startup_timeout_seconds,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def http_server(transport: str) -> Iterator[str]:
    """Run the demo server over HTTP on a free loopback port; yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(DEMO_SERVER), transport, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, f"the {transport} server exited early"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"the {transport} server never listened"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(timeout=10)
