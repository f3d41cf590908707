"""The one task runner for Parlay.

Every session is a thin wrapper around ``_run``: it names which distributions to install, which
extra tools it needs and which command to run. ``nox`` with no arguments runs the whole check
suite (lint, type checks, docs, layering and tests), exactly what CI runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = {
    "core": ROOT / "packages" / "parlay-core",
    "agentchat": ROOT / "packages" / "parlay-agentchat",
    "ext": ROOT / "packages" / "parlay-ext",
}
ECHO_PLUGIN = ROOT / "examples" / "parlay-echo"
# The parlay-ext extras the test suite exercises (each integration is tested for real).
EXT_TEST_EXTRAS = "openai,anthropic,local,nats,mcp,http,jupyter,docker,diskcache,redis,chromadb"
PYPROJECT = nox.project.load_toml(str(ROOT / "pyproject.toml"))

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "docs", "layering", "tests", "plugins", "autogen_compat"]


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


WHEELS = ROOT / ".nox" / "wheels"


def _local_model_wheels(session: nox.Session) -> list[str]:
    """Build llama-cpp-python's wheel once and let every session install it from there.

    It compiles from source (several minutes on two cores), and the package index's caching
    headers can make the installer rebuild it for every new environment.
    """
    ext = nox.project.load_toml(str(PACKAGES["ext"] / "pyproject.toml"))
    requirement = next(
        r
        for r in ext["project"]["optional-dependencies"]["local"]
        if r.startswith("llama-cpp-python")
    )
    if not any(WHEELS.glob("llama_cpp_python-*.whl")):
        session.log("Building llama-cpp-python once (it compiles from source; several minutes)")
        session.install("pip")
        session.run_install(
            "python", "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(WHEELS), requirement
        )
    return ["--find-links", str(WHEELS)]


def _run(
    session: nox.Session,
    *,
    dists: Sequence[str] = ("core", "agentchat", "ext"),
    extras: dict[str, str] | None = None,
    groups: Sequence[str] = (),
    editable: bool = True,
    command: Sequence[str],
) -> None:
    """Install the named distributions (with extras) and dependency groups, then run a command."""
    extras = extras or {}
    targets: list[str] = []
    for dist in dists:
        path = str(PACKAGES[dist])
        if dist in extras:
            path = f"{path}[{extras[dist]}]"
        targets += ["-e", path] if editable else [path]
    requirements = [req for group in groups for req in _group(group)]
    if "local" in extras.get("ext", "").split(","):
        requirements += _local_model_wheels(session)
    session.install(*targets, *requirements)
    session.run(*command, *session.posargs)


def _ensure_redis_server(session: nox.Session) -> None:
    """Install the Debian package redis-server when it is missing and this machine can.

    The Redis cache-store tests start a real redis-server (there is no pip package of it). CI
    runs as root on Debian or Ubuntu; elsewhere those tests skip and say why.
    """
    if shutil.which("redis-server") is not None:
        return
    geteuid = getattr(os, "geteuid", None)
    if shutil.which("apt-get") is None or geteuid is None or geteuid() != 0:
        session.warn(
            "redis-server is not installed and cannot be installed here (needs root and "
            "apt-get); the Redis tests will be skipped."
        )
        return
    try:
        session.run("apt-get", "update", external=True)
        session.run("apt-get", "install", "-y", "redis-server", external=True)
    except nox.command.CommandFailed:
        session.warn("Installing redis-server failed; the Redis tests will be skipped.")


DOCKER_ENGINE = ROOT / "tests" / "ext" / "docker_engine.py"
DOCKER_TEST_IMAGE = "parlay-test-python:bookworm"


@contextlib.contextmanager
def _docker_engine(session: nox.Session) -> Iterator[None]:
    """A Docker engine with a test image, for the Docker executor's real-engine tests.

    The script installs docker.io when missing, starts dockerd when no engine answers, and
    builds the image once (no image registry is reachable from CI, so it is a minimal Debian
    from the Debian mirror). The daemon it started is stopped afterwards: nothing outlives the
    session. Where no engine can start (not root, no apt-get), those tests skip and say why.
    """
    try:
        session.run("python", str(DOCKER_ENGINE), "prepare", "--image", DOCKER_TEST_IMAGE)
    except nox.command.CommandFailed:
        session.warn("No Docker engine could be prepared; the real-engine Docker tests will skip.")
    else:
        # Naming the image also tells the tests that a missing engine is a failure, not a skip.
        session.env["PARLAY_TEST_DOCKER_IMAGE"] = DOCKER_TEST_IMAGE
    try:
        yield
    finally:
        session.run("python", str(DOCKER_ENGINE), "stop")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (every distribution, the examples and the plugin example)."""
    # tests/plugins needs the example plugin installed. --no-deps: its parlay-core requirement
    # is met by the editable install below, never by a package index.
    session.install("--no-deps", "-e", str(ECHO_PLUGIN))
    _ensure_redis_server(session)
    with _docker_engine(session):
        _run(session, extras={"ext": EXT_TEST_EXTRAS}, groups=["test"], command=["pytest"])


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """pyright and mypy, both strict, over the three distributions."""
    _run(
        session,
        extras={"core": "image,telemetry", "ext": EXT_TEST_EXTRAS},
        groups=["typecheck"],
        command=["pyright"],
    )
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation with mkdocs in strict mode."""
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    _run(
        session,
        groups=["docs"],
        command=["mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site")],
    )


@nox.session
@nox.parametrize("dist", ["core", "agentchat", "ext"])
def layering(session: nox.Session, dist: str) -> None:
    """Install one distribution alone (with only its declared dependencies) and run its tests.

    This proves the dependency direction agentchat -> core <- ext: a distribution that imported
    a layer it does not declare would fail here.
    """
    needs = {"core": ["core"], "agentchat": ["core", "agentchat"], "ext": ["core", "ext"]}[dist]
    if dist == "ext":
        _ensure_redis_server(session)
    with _docker_engine(session) if dist == "ext" else contextlib.nullcontext():
        _run(
            session,
            dists=needs,
            extras={"ext": EXT_TEST_EXTRAS},
            groups=["test"],
            editable=False,
            command=["pytest", "-p", "no:cacheprovider", f"tests/{dist}", "tests/test_layering.py"],
        )


@nox.session(reuse_venv=False)
def plugins(session: nox.Session) -> None:
    """Install parlay-core and the parlay-echo example as wheels into a fresh environment.

    Then check that Parlay finds the example's model client and tool through their entry points
    alone, exactly as it would find any third-party plugin after ``pip install``.
    """
    # One install command, so parlay-echo's requirement on parlay-core is met by this build.
    session.install(str(PACKAGES["core"]), str(ECHO_PLUGIN))
    _run(
        session,
        dists=(),
        groups=["test"],
        editable=False,
        command=["pytest", "-p", "no:cacheprovider", "tests/plugins"],
    )


@nox.session(name="autogen_compat")
def autogen_compat(session: nox.Session) -> None:
    """Run AutoGen 0.7.5's own core and agentchat test suites on Parlay, imports renamed.

    The suites come from AutoGen's source distributions, downloaded at run time; nothing of
    AutoGen is kept here. Fails when a test outside ``compat/autogen/divergences.toml`` fails.
    """
    _run(
        session,
        extras={"ext": "openai,anthropic,mcp,http"},
        groups=["autogen_compat"],
        command=["python", "compat/autogen/run.py"],
    )


@nox.session
def demo(session: nox.Session) -> None:
    """Install Parlay (with the embedded offline model) and run the demo."""
    _run(session, extras={"ext": "openai,anthropic,local"}, command=["python", "examples/demo.py"])


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run the benchmarks side by side with AutoGen 0.7.5 (installed into this session only)."""
    _run(session, groups=["benchmarks"], command=["python", "benchmarks/run_all.py"])


if os.environ.get("CI"):
    # CI machines start clean: never reuse a half-built environment from an earlier run.
    nox.options.reuse_existing_virtualenvs = False
