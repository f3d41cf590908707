"""Blocking calls to the Docker engine; the executor runs each in a thread, with a bound."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

from parlay_ext.code_executors.docker import _sdk
from parlay_ext.code_executors.docker._commands import CONTAINER_WORK_DIR, kill_command_line

__all__ = ["connect", "exec_in", "kill_quietly", "run_container"]


def connect(api_timeout: int) -> Any:
    """A client for the engine ``DOCKER_HOST`` (or the platform default) names, once it answers.

    Raises:
        DockerException: The engine does not answer.
        OSError: The connection failed below the SDK.
    """
    client = _sdk.from_env(timeout=api_timeout)
    client.ping()
    return client


def run_container(client: Any, spec: Mapping[str, Any]) -> Any:
    """Start a container from ``spec`` (see ``container_spec``), pulling its image if needed."""
    try:
        client.images.get(spec["image"])
    except _sdk.ImageNotFound:
        client.images.pull(spec["image"])
    return client.containers.run(**spec)


def exec_in(
    client: Any,
    container: Any,
    command: list[str],
    *,
    environment: Mapping[str, str] | None,
    max_output: int,
    pid_file: str | None,
) -> tuple[int, str, bool]:
    """Run ``command`` in ``container`` and return its exit code, output, and whether it flooded.

    Output past ``max_output`` bytes is dropped; for a block (``pid_file`` given) it also stops
    the code, so a print loop cannot run on until the timeout.
    """
    api = client.api
    exec_id = api.exec_create(
        container.id,
        command,
        workdir=CONTAINER_WORK_DIR,
        environment=None if environment is None else dict(environment),
    )["Id"]
    sink = bytearray()
    flooded = False
    stream = api.exec_start(exec_id, stream=True)
    for chunk in stream:
        room = max_output - len(sink)
        sink.extend(chunk[: max(room, 0)])
        if len(chunk) > room and pid_file is not None:
            flooded = True
            container.exec_run(kill_command_line(pid_file))
            with contextlib.suppress(Exception):
                stream.close()
            break
    info = api.exec_inspect(exec_id)
    for _ in range(40):  # the engine may record the exit a moment after the output ends
        if not info.get("Running"):
            break
        time.sleep(0.05)
        info = api.exec_inspect(exec_id)
    code = info.get("ExitCode")
    return (1 if code is None else int(code)), sink.decode("utf-8", "replace"), flooded


def kill_quietly(container: Any) -> None:
    """Kill ``container``, ignoring every error (it also runs at interpreter exit)."""
    with contextlib.suppress(Exception):
        container.kill()
