"""DockerCommandLineCodeExecutor: what it asks the engine for, with a fake engine and a real one.

Most tests need no Docker engine: they check the configuration, the container specification
and command lines, the errors, and the execution flow against a scripted fake engine. The tests
marked with the ``docker_engine`` fixture run real containers and skip when no engine answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median
from typing import Any

import pytest

pytest.importorskip("docker", reason="needs the docker extra")

from parlay_core import CancellationToken
from parlay_core.code_executor import (
    CodeBlock,
    CodeExecutor,
    FunctionWithRequirements,
    ImportFromModule,
    with_requirements,
)
from parlay_core.exceptions import CodeExecutionError, ExecutorUnavailableError
from parlay_ext.code_executors._common import (  # pyright: ignore[reportPrivateUsage]
    TIMEOUT_EXIT_CODE,
)
from parlay_ext.code_executors.docker import (
    CommandLineCodeResult,
    DockerCommandLineCodeExecutor,
    _executor,  # pyright: ignore[reportPrivateUsage]
    _sdk,  # pyright: ignore[reportPrivateUsage]
)
from parlay_ext.code_executors.docker._commands import (  # pyright: ignore[reportPrivateUsage]
    KILL_GRACE,
    container_spec,
    init_command_line,
    kill_command_line,
    mounts,
    pip_install_command_line,
    run_command_line,
)
from tests.ext.docker_engine import DEFAULT_IMAGE

IMAGE_VARIABLE = "PARLAY_TEST_DOCKER_IMAGE"
Script = Callable[[list[str]], tuple[int, bytes]]


def py(code: str) -> CodeBlock:
    return CodeBlock(code=code, language="python")


async def run(executor: DockerCommandLineCodeExecutor, *blocks: CodeBlock) -> CommandLineCodeResult:
    return await executor.execute_code_blocks(list(blocks), CancellationToken())


# ----------------------------------------------------------------------------- a fake engine


class FakeContainer:
    def __init__(self, engine: FakeEngine) -> None:
        self.id = "c0ffee"
        self.engine = engine
        self.killed = self.removed = False

    def exec_run(self, cmd: list[str]) -> tuple[int, bytes]:
        self.engine.kills.append(cmd)
        self.engine.released.set()
        return 0, b""

    def kill(self) -> None:
        self.killed = True

    def remove(self, force: bool = False) -> None:
        self.removed = force


class FakeEngine:
    """Answers the calls the executor makes; ``script`` decides each exec's outcome."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.specs: list[dict[str, Any]] = []
        self.execs: list[tuple[list[str], dict[str, str] | None]] = []
        self.kills: list[list[str]] = []
        self.pulled: list[str] = []
        self.started: list[FakeContainer] = []
        self.released = threading.Event()
        self._results: dict[str, int] = {}
        # The engine plays the client and its parts: client.images, .containers and .api.
        self.images = self.containers = self.api = self

    def ping(self) -> bool:
        return True

    def get(self, image: str) -> None:
        raise _sdk.ImageNotFound(image)

    def pull(self, image: str) -> None:
        self.pulled.append(image)

    def run(self, **spec: Any) -> FakeContainer:
        self.specs.append(spec)
        self.started.append(FakeContainer(self))
        return self.started[-1]

    def exec_create(
        self, container: str, cmd: list[str], workdir: str, environment: dict[str, str] | None
    ) -> dict[str, str]:
        self.execs.append((cmd, environment))
        return {"Id": str(len(self.execs))}

    def exec_start(self, exec_id: str, stream: bool) -> Iterator[bytes]:
        code, output = self.script(self.execs[int(exec_id) - 1][0])
        self._results[exec_id] = code
        yield output

    def exec_inspect(self, exec_id: str) -> dict[str, int]:
        return {"ExitCode": self._results[exec_id]}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Callable[[Script], FakeEngine]:
    def install(script: Script) -> FakeEngine:
        engine = FakeEngine(script)

        def from_env(timeout: int) -> FakeEngine:
            return engine

        monkeypatch.setattr(_sdk, "from_env", from_env)
        return engine

    return install


def ok(cmd: list[str]) -> tuple[int, bytes]:
    return 0, f"ran {cmd[-1]}\n".encode()


# ----------------------------------------------------------------------------- pure functions


def test_mounts_put_the_work_dir_at_workspace_then_extras(tmp_path: Path) -> None:
    volumes = mounts(tmp_path, {"/data/in": {"bind": "/in", "mode": "ro"}})
    assert volumes == {
        str(tmp_path): {"bind": "/workspace", "mode": "rw"},
        "/data/in": {"bind": "/in", "mode": "ro"},
    }
    for bad in ({"bind": "relative"}, {"bind": "/x", "mode": "rwx"}, {"bind": "/workspace"}):
        with pytest.raises(ValueError, match="extra_volumes"):
            mounts(tmp_path, {"/h": bad})


def test_container_spec_waits_and_mounts() -> None:
    spec = container_spec(
        image="python:3-slim",
        name="box",
        volumes={"/w": {"bind": "/workspace", "mode": "rw"}},
        extra_hosts={"db": "10.0.0.5"},
        auto_remove=False,
    )
    assert spec == {
        "image": "python:3-slim",
        "name": "box",
        "entrypoint": ["tail", "-f", "/dev/null"],
        "detach": True,
        "auto_remove": False,
        "working_dir": "/workspace",
        "volumes": {"/w": {"bind": "/workspace", "mode": "rw"}},
        "extra_hosts": {"db": "10.0.0.5"},
    }


def test_run_command_lines_use_timeout_and_record_the_pid() -> None:
    launch = 'echo $$ > "$1"; shift; exec timeout -k 5 "$@"'
    head = ["/bin/sh", "-c", launch, "parlay", "/tmp/p.pid"]
    assert run_command_line("python", "a.py", 60, "/tmp/p.pid") == [*head, "60", "python", "a.py"]
    assert run_command_line("sh", "b.sh", 1.5, "/tmp/p.pid") == [*head, "1.5", "sh", "b.sh"]
    assert run_command_line("pwsh", "c.ps1", 2, "/tmp/p.pid") == [
        *head,
        "2",
        "pwsh",
        "-NoProfile",
        "-File",
        "c.ps1",
    ]
    assert run_command_line("haskell", "d.hs", 2, "/tmp/p.pid") is None
    assert kill_command_line("/tmp/p.pid") == [
        "/bin/sh",
        "-c",
        'kill -TERM "$(cat "$1")" 2>/dev/null',
        "parlay",
        "/tmp/p.pid",
    ]
    assert init_command_line("pip install x && echo ok", 600) == [
        "timeout",
        "-k",
        "5",
        "600",
        "/bin/sh",
        "-c",
        "pip install x && echo ok",
    ]
    assert pip_install_command_line(["pandas>=2", "a b"], 600)[4:] == [
        "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "pandas>=2",
        "a b",
    ]


# ----------------------------------------------------------------------------- configuration


def test_defaults_validation_and_spec(tmp_path: Path) -> None:
    executor = DockerCommandLineCodeExecutor(work_dir=tmp_path)
    assert executor.image == "python:3-slim" and executor.timeout == 60
    assert executor.container_name.startswith("parlay-exec-")
    spec = executor.container_spec()
    assert spec["auto_remove"] is True and spec["volumes"] == mounts(tmp_path, {})
    bound = DockerCommandLineCodeExecutor(work_dir=tmp_path, bind_dir="/host/work")
    assert bound.container_spec()["volumes"] == {"/host/work": {"bind": "/workspace", "mode": "rw"}}
    with pytest.raises(ValueError, match="timeout"):
        DockerCommandLineCodeExecutor(timeout=0)
    with pytest.raises(ValueError, match="functions_module"):
        DockerCommandLineCodeExecutor(functions_module="not-a-module")
    with pytest.raises(ValueError, match="extra_volumes"):
        DockerCommandLineCodeExecutor(extra_volumes={"/h": {"mode": "ro"}})


def test_config_round_trip(tmp_path: Path) -> None:
    executor = DockerCommandLineCodeExecutor(
        "python:3.12-alpine",
        "box",
        timeout=5,
        work_dir=tmp_path,
        auto_remove=False,
        extra_volumes={"/data": {"bind": "/data", "mode": "ro"}},
        extra_hosts={"db": "10.0.0.5"},
        init_command="pip install rich",
        delete_tmp_files=True,
    )
    dumped = executor.dump_component()
    assert dumped.provider == "parlay_ext.code_executors.docker.DockerCommandLineCodeExecutor"
    assert dumped.config["container_name"] == "box" and dumped.config["init_command"] == (
        "pip install rich"
    )
    loaded = CodeExecutor.load_component(dumped, allow_code_execution=True)
    assert isinstance(loaded, DockerCommandLineCodeExecutor)
    assert loaded.dump_component().config == dumped.config
    assert loaded.container_spec() == executor.container_spec()
    # A generated name is not saved: two executors loaded from one config must not collide.
    assert DockerCommandLineCodeExecutor().dump_component().config.get("container_name") is None


def test_autogen_config_loads() -> None:
    loaded = CodeExecutor.load_component(
        {
            "provider": "autogen_ext.code_executors.docker.DockerCommandLineCodeExecutor",
            "component_type": "code_executor",
            "config": {
                "image": "python:3-slim",
                "container_name": None,
                "timeout": 60,
                "work_dir": None,
                "bind_dir": None,
                "auto_remove": True,
                "stop_container": True,
                "functions_module": "functions",
                "extra_volumes": {},
                "extra_hosts": {},
                "init_command": None,
                "delete_tmp_files": False,
            },
        },
        allow_code_execution=True,
    )
    assert isinstance(loaded, DockerCommandLineCodeExecutor)


def test_registered_through_entry_points() -> None:
    from parlay_core.plugins import CODE_EXECUTORS, load_plugin

    assert load_plugin(CODE_EXECUTORS, "docker") is DockerCommandLineCodeExecutor


# ----------------------------------------------------------------------------- without an engine


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "host", ["unix:///nonexistent/parlay/docker.sock", f"tcp://127.0.0.1:{_closed_port()}"]
)
async def test_unreachable_engine_fails_promptly_with_advice(
    host: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", host)
    executor = DockerCommandLineCodeExecutor(work_dir=tmp_path)
    started = time.monotonic()
    with pytest.raises(ExecutorUnavailableError, match="Docker engine not reachable") as caught:
        await executor.start()
    assert time.monotonic() - started < 5
    assert "DOCKER_HOST" in str(caught.value)


async def test_engine_that_never_answers_is_bounded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def hang(timeout: int) -> Any:
        time.sleep(1.5)
        raise AssertionError("the executor should have given up before this")

    monkeypatch.setattr(_sdk, "from_env", hang)
    monkeypatch.setattr(_executor, "_CONNECT_TIMEOUT", 0.2)
    started = time.monotonic()
    with pytest.raises(ExecutorUnavailableError, match=r"no answer within 0\.2 s"):
        await DockerCommandLineCodeExecutor(work_dir=tmp_path).start()
    assert time.monotonic() - started < 1


async def test_execute_before_start_is_an_error(tmp_path: Path) -> None:
    executor = DockerCommandLineCodeExecutor(work_dir=tmp_path)
    with pytest.raises(ExecutorUnavailableError, match=r"call start\(\)"):
        await run(executor, py("print(1)"))


# ----------------------------------------------------------------------------- a fake engine


async def test_lifecycle_and_block_flow_against_a_fake_engine(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    engine = fake(ok)
    executor = DockerCommandLineCodeExecutor(
        "img", "box", work_dir=tmp_path, extra_hosts={"db": "10.0.0.5"}
    )
    async with executor:
        assert engine.pulled == ["img"]  # not there locally, so pulled
        assert engine.specs == [executor.container_spec()]
        result = await run(
            executor, py("print(1)"), CodeBlock("# filename: s/run.sh\necho hi", "bash")
        )
        assert result.exit_code == 0
        assert result.output.endswith("ran s/run.sh\n") and result.output.startswith("ran tmp_")
        assert result.code_file == str(tmp_path / "s" / "run.sh")
        assert (tmp_path / "s" / "run.sh").read_text() == "# filename: s/run.sh\necho hi"
        (first, env), (second, _) = engine.execs
        assert first[5:7] == ["60", "python"] and second[5:] == ["60", "sh", "s/run.sh"]
        assert env is None  # PYTHONPATH only matters with functions
    assert engine.started[0].killed


async def test_unsupported_language_and_escaping_filename_are_failed_results(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    engine = fake(ok)
    async with DockerCommandLineCodeExecutor(work_dir=tmp_path) as executor:
        result = await run(executor, py("print(1)"), CodeBlock("main = 1", "haskell"))
        assert result.exit_code == 1
        assert result.output.endswith(
            "Unsupported language 'haskell': this executor runs python, bash/sh/shell and pwsh "
            "blocks."
        )
        escaped = await run(executor, py("# filename: ../up.py\nprint(1)"))
        assert escaped.exit_code == 1 and "outside the working directory" in escaped.output
    assert len(engine.execs) == 1 and not (tmp_path.parent / "up.py").exists()


async def test_timeout_exit_code_from_the_container_is_reported(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    fake(lambda cmd: (124, b"partial\n"))
    async with DockerCommandLineCodeExecutor(timeout=3, work_dir=tmp_path) as executor:
        result = await run(executor, py("while True: pass"), py("print('never')"))
    assert result.exit_code == 124
    assert result.output == "partial\n\nTimeout: the code ran longer than 3 s and was stopped."


async def test_a_kill_past_the_timeout_is_reported_as_the_timeout(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    def killed_late(cmd: list[str]) -> tuple[int, bytes]:
        time.sleep(0.6)  # `timeout` KILLs code that ignored its TERM, after the limit
        return 137, b"partial\n"

    fake(killed_late)
    async with DockerCommandLineCodeExecutor(timeout=0.5, work_dir=tmp_path) as executor:
        result = await run(executor, py("ignores TERM"))
    assert result.exit_code == 124
    assert result.output == "partial\n\nTimeout: the code ran longer than 0.5 s and was stopped."


async def test_a_kill_before_the_timeout_is_not_reported_as_one(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    # 137 after the time limit is timeout's own KILL (see the real-engine test); before it,
    # something else killed the code (the kernel's OOM killer, the code itself).
    fake(lambda cmd: (137, b"Killed\n"))
    async with DockerCommandLineCodeExecutor(timeout=60, work_dir=tmp_path) as executor:
        result = await run(executor, py("import os, signal\nos.kill(os.getpid(), 9)"))
    assert (result.exit_code, result.output) == (137, "Killed\n")


async def test_cancellation_kills_the_process_recorded_in_the_pid_file(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    def blocks_until_killed(cmd: list[str]) -> tuple[int, bytes]:
        engine.released.wait(10)
        return 143, b""

    engine = fake(blocks_until_killed)
    async with DockerCommandLineCodeExecutor(work_dir=tmp_path) as executor:
        token = CancellationToken()
        task = asyncio.ensure_future(executor.execute_code_blocks([py("sleep")], token))
        await asyncio.sleep(0.2)
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
    pid_file = engine.execs[0][0][4]
    assert engine.kills == [kill_command_line(pid_file)]


async def test_host_side_guard_kills_code_when_the_engine_stops_answering(
    fake: Callable[[Script], FakeEngine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(cmd: list[str]) -> tuple[int, bytes]:
        engine.released.wait(10)
        return 137, b""

    engine = fake(lost)
    monkeypatch.setattr(_executor, "_LOST_ENGINE", -5.5)  # the guard fires 0.5 s after start
    async with DockerCommandLineCodeExecutor(timeout=1, work_dir=tmp_path) as executor:
        started = time.monotonic()
        result = await run(executor, py("print(1)"))
    assert time.monotonic() - started < 5
    assert result.exit_code == 124 and "Timeout:" in result.output
    assert len(engine.kills) == 1


async def test_init_command_and_functions_run_in_the_container(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    engine = fake(ok)
    tax = FunctionWithRequirements.from_str(
        "def add_tax(x: float) -> float:\n    return x * 1.2\n", python_packages=["tiny-pkg"]
    )
    executor = DockerCommandLineCodeExecutor(
        work_dir=tmp_path, init_command="apt-get update", functions=[tax]
    )
    async with executor:
        assert engine.execs[0][0] == init_command_line("apt-get update", 600)
        await run(executor, py("from functions import add_tax"))
    commands = [cmd for cmd, _ in engine.execs]
    assert commands[1] == pip_install_command_line(["tiny-pkg"], 600)
    assert commands[2] == ["python", "-c", "import functions"]
    assert engine.execs[3][1] == {"PYTHONPATH": "/workspace"}
    assert "def add_tax" in (tmp_path / "functions.py").read_text()


async def test_failing_init_command_fails_start_and_stops_the_container(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    engine = fake(lambda cmd: (2, b"E: no such package\n"))
    executor = DockerCommandLineCodeExecutor(work_dir=tmp_path, init_command="apt-get install x")
    with pytest.raises(CodeExecutionError, match="init_command failed with exit code 2"):
        await executor.start()
    assert engine.started[0].killed


async def test_engine_failure_during_a_block_is_executor_unavailable(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    def gone(cmd: list[str]) -> tuple[int, bytes]:
        raise _sdk.DockerException("container c0ffee is not running")

    fake(gone)
    async with DockerCommandLineCodeExecutor(work_dir=tmp_path) as executor:
        with pytest.raises(ExecutorUnavailableError, match=r"not running.*restart\(\)"):
            await run(executor, py("print(1)"))


async def test_stop_container_false_leaves_it_running(
    fake: Callable[[Script], FakeEngine], tmp_path: Path
) -> None:
    engine = fake(ok)
    async with DockerCommandLineCodeExecutor(work_dir=tmp_path, stop_container=False):
        pass
    assert not engine.started[0].killed


# ----------------------------------------------------------------------------- a real engine


@pytest.fixture(scope="module")
def docker_engine() -> str:
    """The image to run, once a Docker engine answers a ping (once per module, bounded).

    The nox test session starts an engine and builds a small Python image when it can (see
    ``tests/ext/docker_engine.py``) and names the image in ``PARLAY_TEST_DOCKER_IMAGE``; then a
    missing engine or image is a failure, not a skip. Run by hand, these tests skip when no
    engine answers or no usable image is there: tests never download images.
    """
    promised = os.environ.get(IMAGE_VARIABLE)
    try:
        client = _sdk.from_env(timeout=5)
        client.ping()
    except Exception as exc:
        if promised:
            pytest.fail(f"{IMAGE_VARIABLE} is set but no Docker engine answers: {exc}")
        pytest.skip(
            f"needs a running Docker engine (none answered: {exc}); as root, "
            "`python tests/ext/docker_engine.py prepare` starts one and builds the test image"
        )
    for image in [promised] if promised else [DEFAULT_IMAGE, "python:3-slim"]:
        try:
            client.images.get(image)
        except _sdk.ImageNotFound:
            continue
        return image
    if promised:
        pytest.fail(f"{IMAGE_VARIABLE}={promised} but the engine has no such image")
    pytest.skip(
        f"needs the image {DEFAULT_IMAGE} (`python tests/ext/docker_engine.py prepare` builds "
        "it) or python:3-slim; tests do not download images"
    )


async def test_real_container_runs_blocks_times_out_and_is_removed(
    docker_engine: str, tmp_path: Path
) -> None:
    executor = DockerCommandLineCodeExecutor(docker_engine, timeout=2, work_dir=tmp_path)
    async with executor:
        result = await run(
            executor,
            py("open('made.txt', 'w').write('x'); print('py', 6 * 7)"),
            CodeBlock("echo sh $(cat made.txt)", "sh"),
        )
        assert (result.exit_code, result.output) == (0, "py 42\nsh x\n")
        assert (tmp_path / "made.txt").read_text() == "x"
        started = time.monotonic()
        slow = await run(executor, py("import time\ntime.sleep(30)"))
        assert slow.exit_code == 124 and time.monotonic() - started < 10
        token = CancellationToken()
        task = asyncio.ensure_future(executor.execute_code_blocks([py("while True: pass")], token))
        await asyncio.sleep(0.5)
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        again = await run(executor, py("print('again')"))
        assert (again.exit_code, again.output) == (0, "again\n")
    client = _sdk.from_env(timeout=5)
    for _ in range(50):  # auto_remove happens just after the kill
        # The low-level listing: the high-level one inspects each container it lists, which
        # fails with NotFound when the container is removed between the two requests.
        if not client.api.containers(all=True, filters={"name": executor.container_name}):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the container was not removed")


def _process_state(container_name: str, pid: int) -> str:
    """``alive`` or ``gone``: whether process ``pid`` still runs in the container.

    A killed process whose parent died too stays a zombie (state ``Z``): the container's first
    process only waits and reaps nothing. A zombie runs no code, so it counts as gone.
    """
    container = _sdk.from_env(timeout=10).containers.get(container_name)
    state = f"$(cut -d' ' -f3 /proc/{pid}/stat 2>/dev/null)"
    probe = f'case "{state}" in ""|Z) echo gone;; *) echo alive;; esac'
    _, output = container.exec_run(["sh", "-c", probe])
    return bytes(output).decode().strip()


async def _wait_gone(container_name: str, pid: int) -> str:
    # Signals are delivered asynchronously; the process ends a moment after the result.
    state = "alive"
    for _ in range(50):
        state = await asyncio.to_thread(_process_state, container_name, pid)
        if state == "gone":
            break
        await asyncio.sleep(0.1)
    return state


# Writes the code's own PID where the host sees it, then sleeps far past any timeout.
SLEEPER = "import os, time\nopen('code.pid', 'w').write(str(os.getpid()))\ntime.sleep(120)\n"


async def _pid_written(folder: Path) -> int:
    for _ in range(100):
        text = (folder / "code.pid").read_text() if (folder / "code.pid").exists() else ""
        if text:
            return int(text)
        await asyncio.sleep(0.1)
    raise AssertionError("the block never wrote its PID")


async def test_real_timeout_kills_the_code_and_keeps_the_container(
    docker_engine: str, tmp_path: Path
) -> None:
    async with DockerCommandLineCodeExecutor(docker_engine, timeout=1, work_dir=tmp_path) as ex:
        marked = await run(ex, CodeBlock("echo kept > /tmp/marker", "sh"))
        assert marked.exit_code == 0
        started = time.monotonic()
        result = await run(ex, py("print('before', flush=True)\n" + SLEEPER), py("print('no')"))
        assert time.monotonic() - started < 10
        assert result.exit_code == TIMEOUT_EXIT_CODE
        assert result.output.startswith("before\n") and "no\n" not in result.output
        assert result.output.endswith("Timeout: the code ran longer than 1 s and was stopped.")
        pid = int((tmp_path / "code.pid").read_text())
        assert await _wait_gone(ex.container_name, pid) == "gone"
        # The same container runs the next block: the file it wrote outside /workspace is there.
        after = await run(ex, CodeBlock("cat /tmp/marker", "sh"))
        assert (after.exit_code, after.output) == (0, "kept\n")


async def test_real_timeout_kills_code_that_ignores_term(
    docker_engine: str, tmp_path: Path
) -> None:
    stubborn = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SLEEPER
    async with DockerCommandLineCodeExecutor(docker_engine, timeout=1, work_dir=tmp_path) as ex:
        started = time.monotonic()
        result = await run(ex, py(stubborn))
        elapsed = time.monotonic() - started
        assert result.exit_code == TIMEOUT_EXIT_CODE and "Timeout:" in result.output
        assert 1 + KILL_GRACE - 0.5 < elapsed < 1 + KILL_GRACE + 5  # TERM ignored, then KILL
        pid = int((tmp_path / "code.pid").read_text())
        assert await _wait_gone(ex.container_name, pid) == "gone"


async def test_real_cancellation_kills_the_process_in_the_container(
    docker_engine: str, tmp_path: Path
) -> None:
    async with DockerCommandLineCodeExecutor(docker_engine, timeout=60, work_dir=tmp_path) as ex:
        token = CancellationToken()
        task = asyncio.ensure_future(ex.execute_code_blocks([py(SLEEPER)], token))
        pid = await _pid_written(tmp_path)
        assert await asyncio.to_thread(_process_state, ex.container_name, pid) == "alive"
        started = time.monotonic()
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        assert await _wait_gone(ex.container_name, pid) == "gone"
        assert time.monotonic() - started < 10  # well before the 60 s timeout
        again = await run(ex, py("print('again')"))
        assert (again.exit_code, again.output) == (0, "again\n")


def vat(amount: float) -> float:
    """Return ``amount`` with 20% VAT."""
    return round(amount * 1.2, 2)


@with_requirements(global_imports=["json", ImportFromModule("statistics", ["median"])])
def summary(values: list[float]) -> str:
    """Summarise ``values`` as JSON."""
    return json.dumps({"n": len(values), "median": median(values)})


async def test_real_functions_are_importable_by_code_blocks(
    docker_engine: str, tmp_path: Path
) -> None:
    greet = FunctionWithRequirements.from_str(
        "def greet(name: str) -> str:\n    return f'hello {name}'\n"
    )
    executor = DockerCommandLineCodeExecutor(
        docker_engine, work_dir=tmp_path, functions=[vat, summary, greet], functions_module="kit"
    )
    async with executor:
        result = await run(
            executor,
            py("from kit import vat, summary, greet\nprint(vat(10), summary([3, 1, 2]))"),
            CodeBlock("python -c 'from kit import greet; print(greet(\"sh\"))'", "sh"),
        )
    assert result.exit_code == 0, result.output
    assert result.output == '12.0 {"n": 3, "median": 2}\nhello sh\n'
    assert "def summary" in (tmp_path / "kit.py").read_text()


async def test_real_extra_volumes_are_mounted(docker_engine: str, tmp_path: Path) -> None:
    shared, work = tmp_path / "shared", tmp_path / "work"
    shared.mkdir()
    (shared / "data.txt").write_text("from the host\n")
    volumes = {str(shared): {"bind": "/data", "mode": "ro"}}
    executor = DockerCommandLineCodeExecutor(docker_engine, work_dir=work, extra_volumes=volumes)
    async with executor:
        read = await run(executor, py("print(open('/data/data.txt').read(), end='')"))
        assert (read.exit_code, read.output) == (0, "from the host\n")
        write = await run(executor, CodeBlock("echo x > /data/new.txt", "sh"))
    assert write.exit_code != 0 and "Read-only file system" in write.output
    assert not (shared / "new.txt").exists()
