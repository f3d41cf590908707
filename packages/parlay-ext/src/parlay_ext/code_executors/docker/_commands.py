"""The container specification and the command lines run in it, as pure functions.

Everything the executor asks the Docker engine to do is built here from plain values, so it can
be read and tested without an engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from parlay_ext.code_executors._common import POWERSHELL, PYTHON, SHELL

__all__ = [
    "CONTAINER_WORK_DIR",
    "KILL_GRACE",
    "container_spec",
    "init_command_line",
    "kill_command_line",
    "mounts",
    "pip_install_command_line",
    "run_command_line",
]

CONTAINER_WORK_DIR = "/workspace"
"""Where the working directory is mounted in the container, and where code runs."""

KILL_GRACE = 5
"""Seconds between ``timeout``'s TERM and its KILL for code that ignores TERM."""

# Record the shell's PID (which exec hands to ``timeout``) so that a cancellation can signal it;
# ``timeout`` passes the signal on to the code and, with -k, kills it if it lingers.
_LAUNCH = 'echo $$ > "$1"; shift; exec timeout -k {grace} "$@"'


def mounts(
    host_dir: Path, extra_volumes: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The ``volumes`` argument of the container: the working directory, then extras.

    Args:
        host_dir: The directory the engine mounts at :data:`CONTAINER_WORK_DIR` (``bind_dir``
            or the working directory), made absolute.
        extra_volumes: More mounts in the Docker SDK's shape,
            ``{host_path: {"bind": container_path, "mode": "rw" | "ro"}}``.

    Raises:
        ValueError: An extra mount lacks an absolute ``bind`` path, has another mode, or
            targets the working directory's mount point.
    """
    volumes = {str(host_dir.absolute()): {"bind": CONTAINER_WORK_DIR, "mode": "rw"}}
    for host, spec in extra_volumes.items():
        bind, mode = spec.get("bind", ""), spec.get("mode", "rw")
        if not PurePosixPath(bind).is_absolute() or mode not in ("rw", "ro"):
            raise ValueError(
                f"extra_volumes[{host!r}] must be {{'bind': '/absolute/path', 'mode': 'rw' or "
                f"'ro'}}; got {dict(spec)!r}."
            )
        if PurePosixPath(bind) == PurePosixPath(CONTAINER_WORK_DIR):
            raise ValueError(f"extra_volumes[{host!r}] cannot be mounted at {CONTAINER_WORK_DIR}.")
        volumes[host] = {"bind": bind, "mode": mode}
    return volumes


def container_spec(
    *,
    image: str,
    name: str,
    volumes: Mapping[str, Mapping[str, str]],
    extra_hosts: Mapping[str, str],
    auto_remove: bool,
) -> dict[str, Any]:
    """The keyword arguments of ``client.containers.run`` for the executor's container.

    The container only waits (``tail -f /dev/null``, present in Debian and Alpine images alike);
    every code block is a separate ``docker exec``. The image's own entrypoint is replaced so
    that any image with ``sh`` and ``python`` works.
    """
    return {
        "image": image,
        "name": name,
        "entrypoint": ["tail", "-f", "/dev/null"],
        "detach": True,
        "auto_remove": auto_remove,
        "working_dir": CONTAINER_WORK_DIR,
        "volumes": {host: dict(spec) for host, spec in volumes.items()},
        "extra_hosts": dict(extra_hosts),
    }


def _interpreter(language: str) -> list[str] | None:
    if language in PYTHON:
        return ["python"]
    if language in SHELL:
        return ["sh"]
    if language in POWERSHELL:
        return ["pwsh", "-NoProfile", "-File"]
    return None


def run_command_line(
    language: str, file_name: str, timeout: float, pid_file: str
) -> list[str] | None:
    """The ``docker exec`` command that runs a saved block, or None for an unknown language.

    The code runs under ``timeout``, which ends it with exit code 124 after ``timeout`` seconds
    (``KILL_GRACE`` seconds later with KILL if it ignores TERM).

    Args:
        language: The block's language, lower-cased.
        file_name: The file's path relative to :data:`CONTAINER_WORK_DIR`.
        timeout: Seconds the code may run.
        pid_file: A path in the container for the PID that :func:`kill_command_line` signals.
    """
    interpreter = _interpreter(language)
    if interpreter is None:
        return None
    launch = _LAUNCH.format(grace=KILL_GRACE)
    return ["/bin/sh", "-c", launch, "parlay", pid_file, f"{timeout:g}", *interpreter, file_name]


def kill_command_line(pid_file: str) -> list[str]:
    """The ``docker exec`` command that stops a block started by :func:`run_command_line`."""
    return ["/bin/sh", "-c", 'kill -TERM "$(cat "$1")" 2>/dev/null', "parlay", pid_file]


def _bounded(timeout: float, *argv: str) -> list[str]:
    return ["timeout", "-k", str(KILL_GRACE), f"{timeout:g}", *argv]


def init_command_line(init_command: str, timeout: float) -> list[str]:
    """The ``docker exec`` command that runs ``init_command`` once, bounded by ``timeout``."""
    return _bounded(timeout, "/bin/sh", "-c", init_command)


def pip_install_command_line(packages: Sequence[str], timeout: float) -> list[str]:
    """The ``docker exec`` command that installs the functions' packages in the container."""
    pip = ["python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    return _bounded(timeout, *pip, *packages)
