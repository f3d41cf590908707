"""Prepare a Docker engine and a small Python image for the Docker executor's real-engine tests.

The nox ``tests`` session runs this before pytest and again after it; run it by hand (as root,
on Debian or Ubuntu) to run those tests directly with pytest::

    python tests/ext/docker_engine.py prepare   # engine answering, image built; prints the image
    python tests/ext/docker_engine.py stop      # stops the daemon that ``prepare`` started

``prepare`` installs the Debian packages ``docker.io`` and ``debootstrap`` when they are
missing, starts ``dockerd`` when no engine answers, and builds the image once: no image
registry may be reachable, so the image is a minimal Debian made with ``debootstrap`` from the
Debian mirror and loaded with ``docker import``. Its root-filesystem tarball is kept under
``.nox/docker/`` so that a fresh engine imports it again in seconds. It exits with status 1 and
says why when this machine cannot do it (not root, no apt-get, an unreachable ``DOCKER_HOST``).

Only the standard library and the ``docker`` command line are used, so any Python runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path

DEFAULT_IMAGE = "parlay-test-python:bookworm"
"""The image the real-engine tests use when ``PARLAY_TEST_DOCKER_IMAGE`` is not set."""

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".nox" / "docker"
DAEMON_PID = STATE / "dockerd.pid"
DAEMON_LOG = STATE / "dockerd.log"
LOCK = STATE / "lock"
LEASES = STATE / "leases"
SUITE = "bookworm"
MIRROR = os.environ.get("PARLAY_DEBIAN_MIRROR", "http://deb.debian.org/debian")
ENGINE_WAIT = 60.0  # dockerd answers within seconds; a minute covers a slow first start
STOP_WAIT = 30.0  # dockerd stops its containers and its containerd before it exits


class Unavailable(Exception):
    """This machine cannot provide an engine or the image; the message says why."""


def log(message: str) -> None:
    print(f"docker_engine: {message}", file=sys.stderr, flush=True)


def engine_answers() -> bool:
    """Whether the engine the ``docker`` command line would use answers, within seconds."""
    if shutil.which("docker") is None:
        return False
    try:
        answer = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            timeout=15,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return answer.returncode == 0


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


class _Apt:
    """Installs Debian packages, running ``apt-get update`` at most once per run."""

    def __init__(self) -> None:
        self._updated = False

    def install(self, *packages: str) -> None:
        if shutil.which("apt-get") is None or not _is_root():
            raise Unavailable(
                f"{' and '.join(packages)} missing and this machine cannot install them "
                "(needs root and apt-get)"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        started = time.monotonic()
        if not self._updated:
            subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
            self._updated = True
        # Recommended packages (git, apparmor, ...) are not needed to run test containers.
        command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
        subprocess.run(command, check=True, env=env)
        log(f"installed {', '.join(packages)} in {time.monotonic() - started:.0f} s")


def ensure_engine(apt: _Apt) -> None:
    """Make an engine answer: the one already running, or a ``dockerd`` started here."""
    if engine_answers():
        return
    if os.environ.get("DOCKER_HOST"):
        raise Unavailable(
            f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer; not starting a local "
            "daemon in its place"
        )
    if not _is_root():
        raise Unavailable("no Docker engine answers, and starting dockerd needs root")
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        apt.install("docker.io")
    STATE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with DAEMON_LOG.open("ab") as daemon_log:
        # Its own session and no inherited pipes: nox waits for the output of what it runs,
        # and a daemon holding nox's stdout open would keep the session from finishing.
        daemon = subprocess.Popen(
            ["dockerd"],
            stdin=subprocess.DEVNULL,
            stdout=daemon_log,
            stderr=daemon_log,
            start_new_session=True,
        )
    DAEMON_PID.write_text(str(daemon.pid))
    while time.monotonic() - started < ENGINE_WAIT:
        if daemon.poll() is not None:
            DAEMON_PID.unlink(missing_ok=True)
            raise Unavailable(f"dockerd exited with status {daemon.returncode}:\n{_log_tail()}")
        if engine_answers():
            log(
                f"started dockerd (pid {daemon.pid}, log {DAEMON_LOG}) in "
                f"{time.monotonic() - started:.1f} s"
            )
            return
        time.sleep(0.5)
    stop_engine()
    raise Unavailable(f"dockerd did not answer within {ENGINE_WAIT:g} s:\n{_log_tail()}")


def _log_tail(lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(DAEMON_LOG.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def _image_exists(image: str) -> bool:
    inspect = ["docker", "image", "inspect", image]
    return subprocess.run(inspect, capture_output=True, check=False).returncode == 0


def _tarball(image: str) -> Path:
    return STATE / (image.replace(":", "-").replace("/", "-") + ".tar")


def _unmount_under(folder: Path) -> None:
    # An interrupted debootstrap can leave /proc or /sys mounted inside its target; removing
    # the folder with them mounted would reach into the host's.
    mounted = [
        line.split()[1]
        for line in Path("/proc/mounts").read_text().splitlines()
        if line.split()[1].startswith(f"{folder}/")
    ]
    for point in sorted(mounted, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def build_tarball(apt: _Apt, tarball: Path) -> None:
    """A minimal Debian with python3 (and ``python``) as a root-filesystem tarball."""
    if not _is_root():
        raise Unavailable("building the test image with debootstrap needs root")
    if shutil.which("debootstrap") is None:
        apt.install("debootstrap")
    rootfs = STATE / "rootfs"
    if rootfs.exists():
        _unmount_under(rootfs)
        shutil.rmtree(rootfs)
    started = time.monotonic()
    command = ["debootstrap", "--variant=minbase", "--include=python3", SUITE, str(rootfs), MIRROR]
    subprocess.run(command, check=True)
    # The executor runs Python blocks with `python`, as official Python images provide it.
    (rootfs / "usr" / "bin" / "python").symlink_to("python3")
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (rootfs / cache).glob("*"):
            if item.is_file():
                item.unlink()
    partial = tarball.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
    partial.rename(tarball)
    _unmount_under(rootfs)
    shutil.rmtree(rootfs)
    log(f"built {tarball.name} with debootstrap in {time.monotonic() - started:.0f} s")


def ensure_image(apt: _Apt, image: str) -> None:
    """Make ``image`` present in the engine, importing (and first building) it if needed."""
    if _image_exists(image):
        return
    STATE.mkdir(parents=True, exist_ok=True)
    tarball = _tarball(image)
    if not tarball.exists():
        build_tarball(apt, tarball)
    started = time.monotonic()
    subprocess.run(["docker", "import", str(tarball), image], check=True, capture_output=True)
    log(f"imported {image} in {time.monotonic() - started:.1f} s")


@contextlib.contextmanager
def _locked() -> Generator[None, None, None]:
    # Two runs on one machine (two checkouts, two nox sessions) must not build the image into
    # the same folder at once, nor stop the daemon between the other's start and its use.
    import fcntl  # here, not at the top: the tests import this module on every platform

    STATE.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_leases() -> list[Path]:
    """The leases of runs still going; a lease is named after the process holding it."""
    LEASES.mkdir(parents=True, exist_ok=True)
    leases: list[Path] = []
    for lease in LEASES.iterdir():
        if lease.name.isdigit() and _alive(int(lease.name)):
            leases.append(lease)
        else:
            lease.unlink(missing_ok=True)  # its run ended without `stop`
    return leases


def stop_engine() -> None:
    """Stop the ``dockerd`` that ``prepare`` started, if any; an engine found running stays."""
    try:
        pid = int(DAEMON_PID.read_text())
    except (OSError, ValueError):
        return
    DAEMON_PID.unlink(missing_ok=True)
    # A stale file (the machine rebooted, the daemon crashed) may name an unrelated process.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/comm").read_text().strip() != "dockerd":
            return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_WAIT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            log(f"stopped dockerd (pid {pid})")
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    log(f"dockerd (pid {pid}) did not stop within {STOP_WAIT:g} s; killed it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prepare or stop the Docker test engine.")
    parser.add_argument("action", choices=["prepare", "stop"])
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="the tag of the test image")
    parser.add_argument(
        "--holder",
        type=int,
        default=os.getppid(),
        help="the process using the engine until `stop` (default: the caller, e.g. nox)",
    )
    args = parser.parse_args(argv)
    lease = LEASES / str(args.holder)
    with _locked():
        if args.action == "stop":
            lease.unlink(missing_ok=True)
            if not _live_leases():  # another run still uses the daemon: it stops it later
                stop_engine()
            return 0
        apt = _Apt()
        try:
            ensure_engine(apt)
            ensure_image(apt, args.image)
        except (Unavailable, OSError, subprocess.CalledProcessError) as exc:
            output = getattr(exc, "stderr", None)
            detail = f"{exc}\n{output.decode(errors='replace')}" if output else str(exc)
            log(f"cannot prepare a Docker engine and the test image: {detail}")
            if not _live_leases():
                stop_engine()  # a half-prepared engine is of no use; stop it if started here
            return 1
        lease.parent.mkdir(parents=True, exist_ok=True)
        lease.touch()
    print(args.image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
