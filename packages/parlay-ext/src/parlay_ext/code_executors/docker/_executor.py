"""Running model-written code blocks inside a Docker container."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
import warnings
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_core import CancellationToken, Component, require_code_execution
from parlay_core.code_executor import (
    CodeBlock,
    required_packages,
)
from parlay_core.exceptions import CodeExecutionError, ExecutorUnavailableError
from parlay_ext.code_executors._common import (
    TIMEOUT_EXIT_CODE,
    CommandLineCodeResult,
    FileCodeExecutor,
    FunctionEntry,
    code_file_name,
    unsupported_language,
)
from parlay_ext.code_executors.docker import _sdk
from parlay_ext.code_executors.docker._commands import (
    CONTAINER_WORK_DIR,
    KILL_GRACE,
    container_spec,
    init_command_line,
    kill_command_line,
    mounts,
    pip_install_command_line,
    run_command_line,
)
from parlay_ext.code_executors.docker._engine import connect, exec_in, kill_quietly, run_container

__all__ = ["DockerCommandLineCodeExecutor", "DockerCommandLineCodeExecutorConfig"]

_CONNECT_TIMEOUT = 10.0  # answering a ping takes milliseconds; a dead socket can hang
_ENGINE_TIMEOUT = 600.0  # pulling an image, installing packages, running init_command
_CALL_TIMEOUT = 30.0  # one quick engine call (kill a process, remove a container)
_LOST_ENGINE = 30.0  # past a block's timeout and kill grace: the engine itself stopped answering
_SUPPORTED = "python, bash/sh/shell and pwsh"
# `timeout` ends code that ignores its TERM with KILL after the grace, and then exits as
# killed (128 + SIGKILL in the container, a Linux one) instead of with its timeout code.
_KILLED_EXIT_CODE = 137


class DockerCommandLineCodeExecutorConfig(BaseModel):
    """Configuration of :class:`DockerCommandLineCodeExecutor` (see its arguments)."""

    image: str = "python:3-slim"
    container_name: str | None = None
    timeout: float = 60
    work_dir: str | None = None
    bind_dir: str | None = None
    auto_remove: bool = True
    stop_container: bool = True
    functions_module: str = "functions"
    extra_volumes: dict[str, dict[str, str]] = Field(default_factory=dict[str, dict[str, str]])
    extra_hosts: dict[str, str] = Field(default_factory=dict[str, str])
    init_command: str | None = None
    delete_tmp_files: bool = False
    max_output_bytes: int = 1_000_000


class DockerCommandLineCodeExecutor(
    FileCodeExecutor, Component[DockerCommandLineCodeExecutorConfig]
):
    """Runs Python and shell code blocks in a Docker container.

    :meth:`start` connects to the Docker engine, pulls ``image`` if it is not there, and starts
    a container that mounts the working directory at ``/workspace``. Each block is written to a
    file in the working directory (``tmp_code_<hash>.py``, or the name on its first line,
    ``# filename: app.py``) and run in the container with ``docker exec``: ``python`` blocks
    with ``python``, ``sh``/``bash``/``shell`` blocks with ``sh``, ``pwsh`` blocks with
    PowerShell if the image has it. Blocks run in order and stop at the first failure.

    Code runs under ``timeout`` in the container: at ``timeout`` seconds it is stopped and the
    result has ``exit_code=124`` and a ``Timeout:`` line. Cancelling the token stops the running
    code the same way and raises :class:`asyncio.CancelledError`. Output past
    ``max_output_bytes`` stops the code too.

    :meth:`stop` (and the end of ``async with``) kills the container when ``stop_container`` is
    true, and the engine removes it when ``auto_remove`` is true; a container still running when
    the executor is garbage-collected or Python exits is killed as well.

    The container isolates the code's processes and files from the host, except for what is
    mounted (the working directory, ``extra_volumes``) and the network, which is on by default.

    Args:
        image: The image to run; it needs ``sh``, ``timeout`` and ``python``.
        container_name: The container's name; default: ``parlay-exec-<random>``.
        timeout: Seconds each block may run.
        work_dir: Where code files are written, mounted at ``/workspace``; default: a
            temporary directory, removed by :meth:`stop`.
        bind_dir: The path the *engine* mounts, when it differs from ``work_dir`` (Parlay
            itself running in a container that shares the engine's socket); default:
            ``work_dir``.
        auto_remove: Let the engine remove the container once it stops.
        stop_container: Kill the container in :meth:`stop`; false leaves it running.
        device_requests: ``docker.types.DeviceRequest`` objects (GPUs); not saved in configs.
        functions: Functions executed Python code may import from ``functions_module`` (see
            :class:`~parlay_ext.code_executors.local.LocalCommandLineCodeExecutor`); their
            packages are installed in the container with ``pip``. Not saved in configs.
        functions_module: The module the functions are written to.
        extra_volumes: More mounts, ``{host_path: {"bind": container_path, "mode": "ro"}}``.
        extra_hosts: Extra ``/etc/hosts`` entries, ``{hostname: ip}``.
        init_command: A shell command run once in the container by :meth:`start` (for
            example ``pip install pandas``); if it fails, :meth:`start` fails.
        delete_tmp_files: Delete each code file after it runs.
        max_output_bytes: Output kept per block; past it the block is stopped.

    Raises:
        ValueError: ``timeout`` or ``max_output_bytes`` is not positive, ``functions_module``
            is not a module name, or an ``extra_volumes`` entry is malformed.
        FunctionSourceError: A function's source cannot be obtained.
    """

    component_config_schema = DockerCommandLineCodeExecutorConfig
    component_provider_override = "parlay_ext.code_executors.docker.DockerCommandLineCodeExecutor"

    def __init__(
        self,
        image: str = "python:3-slim",
        container_name: str | None = None,
        *,
        timeout: float = 60,
        work_dir: str | Path | None = None,
        bind_dir: str | Path | None = None,
        auto_remove: bool = True,
        stop_container: bool = True,
        device_requests: Sequence[Any] | None = None,
        functions: Sequence[FunctionEntry] = (),
        functions_module: str = "functions",
        extra_volumes: dict[str, dict[str, str]] | None = None,
        extra_hosts: dict[str, str] | None = None,
        init_command: str | None = None,
        delete_tmp_files: bool = False,
        max_output_bytes: int = 1_000_000,
    ) -> None:
        super().__init__(
            timeout=timeout,
            work_dir=work_dir,
            functions=functions,
            functions_module=functions_module,
            max_output_bytes=max_output_bytes,
            temp_prefix="parlay-docker-",
        )
        self._image = image
        self._name = container_name or f"parlay-exec-{uuid.uuid4().hex[:12]}"
        self._named = container_name is not None
        self._bind_dir = None if bind_dir is None else Path(bind_dir)
        self._auto_remove = auto_remove
        self._stop_container = stop_container
        self._device_requests = list(device_requests or [])
        self._extra_volumes = dict(extra_volumes or {})
        self._extra_hosts = dict(extra_hosts or {})
        mounts(Path("."), self._extra_volumes)  # checks their shape now, not at start()
        self._init_command = init_command
        self._delete_tmp_files = delete_tmp_files
        self._client: Any = None
        self._container: Any = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def image(self) -> str:
        """The image the container runs."""
        return self._image

    @property
    def container_name(self) -> str:
        """The container's name."""
        return self._name

    @property
    def bind_dir(self) -> Path:
        """The path the engine mounts at ``/workspace``."""
        return self._bind_dir or self.work_dir

    def container_spec(self) -> dict[str, Any]:
        """The keyword arguments :meth:`start` passes to ``client.containers.run``."""
        spec = container_spec(
            image=self._image,
            name=self._name,
            volumes=mounts(self.bind_dir, self._extra_volumes),
            extra_hosts=self._extra_hosts,
            auto_remove=self._auto_remove,
        )
        if self._device_requests:
            spec["device_requests"] = self._device_requests
        return spec

    async def _engine(self, call: Callable[[], Any], bound: float) -> Any:
        # The SDK blocks; a thread keeps the event loop free and wait_for bounds the wait.
        return await asyncio.wait_for(asyncio.to_thread(call), bound)

    async def start(self) -> None:
        """Connect to the engine and start the container (nothing happens if it runs).

        Raises:
            ExecutorUnavailableError: The Docker engine does not answer (within seconds).
            CodeExecutionError: The image cannot be pulled, the container does not start, or
                ``init_command`` fails.
        """
        if self._container is not None:
            return
        try:
            # The API timeout also limits each read of a block's output, so it outlasts the code.
            api_timeout = int(self._timeout + KILL_GRACE + 60)
            self._client = await self._engine(lambda: connect(api_timeout), _CONNECT_TIMEOUT)
        except (_sdk.DockerException, OSError, asyncio.TimeoutError) as exc:
            detail = str(exc) or f"no answer within {_CONNECT_TIMEOUT:g} s"
            raise ExecutorUnavailableError(
                f"Docker engine not reachable ({detail}). Start Docker (Docker Desktop, or "
                "`sudo systemctl start docker`), make sure your user may use it (`docker ps` "
                "works), or point DOCKER_HOST at a running engine."
            ) from exc
        self.work_dir.mkdir(parents=True, exist_ok=True)
        spec = self.container_spec()
        try:
            self._container = await self._engine(
                lambda: run_container(self._client, spec), _ENGINE_TIMEOUT
            )
        except (_sdk.DockerException, OSError, asyncio.TimeoutError) as exc:
            raise CodeExecutionError(
                f"Could not start a container from image {self._image!r}: {exc}"
            ) from exc
        if self._stop_container:
            # A forgotten executor must not leave a container running after Python exits.
            self._finalizer = weakref.finalize(self, kill_quietly, self._container)
        if self._init_command is not None:
            command = init_command_line(self._init_command, _ENGINE_TIMEOUT)
            code, output = await self._exec_setup(command)
            if code != 0:
                await self.stop()
                raise CodeExecutionError(
                    f"init_command failed with exit code {code}:\n{_tail(output)}"
                )

    async def stop(self) -> None:
        """Kill the container if ``stop_container`` is set, and remove a temporary work_dir."""
        if self._finalizer is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await self._engine(self._finalizer, _CALL_TIMEOUT)
        self._container = self._finalizer = None
        self._forget_work_dir()

    async def restart(self) -> None:
        """Replace the container with a new one (files in ``work_dir`` are kept)."""
        container = self._container
        if container is not None:
            with contextlib.suppress(Exception):  # it may already be gone
                await self._engine(lambda: container.remove(force=True), _CALL_TIMEOUT)
        if self._finalizer is not None:
            self._finalizer.detach()
        self._container = self._finalizer = None
        self._functions_ready = not self._functions
        await self.start()

    async def _exec_setup(self, command: list[str]) -> tuple[int, str]:
        try:
            outcome = await self._engine(lambda: self._exec(command, None), _ENGINE_TIMEOUT + 30)
        except (_sdk.DockerException, OSError) as exc:
            raise self._lost(exc) from exc
        return outcome[0], outcome[1]

    def _lost(self, exc: Exception) -> ExecutorUnavailableError:
        return ExecutorUnavailableError(
            f"The Docker engine failed to run code in container {self._name!r} ({exc}); the "
            "container may have stopped. Call restart() for a new one."
        )

    def _exec(self, command: list[str], pid_file: str | None) -> tuple[int, str, bool]:
        environment = {"PYTHONPATH": CONTAINER_WORK_DIR} if self._functions else None
        return exec_in(
            self._client,
            self._container,
            command,
            environment=environment,
            max_output=self._max_output,
            pid_file=pid_file,
        )

    async def _prepare_functions(self) -> None:
        (self.work_dir / f"{self._functions_module}.py").write_text(
            self._functions_source, encoding="utf-8"
        )
        packages = required_packages(self._functions)
        if packages:
            code, output = await self._exec_setup(
                pip_install_command_line(packages, _ENGINE_TIMEOUT)
            )
            if code != 0:
                raise CodeExecutionError(
                    f"Could not install the packages the functions need ({', '.join(packages)}) "
                    f"in the container:\n{_tail(output)}"
                )
        code, output = await self._exec_setup(["python", "-c", f"import {self._functions_module}"])
        if code != 0:
            raise CodeExecutionError(
                f"The functions module {self._functions_module!r} does not import in the "
                f"container; check each function's global_imports and python_packages:\n"
                f"{_tail(output)}"
            )
        self._functions_ready = True

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        """Run the blocks in order in the container and stop at the first that fails.

        Returns:
            The joined output; the exit code of the first failing block (124 for a timeout),
            or 0. Unsupported languages and output floods are failed results, not exceptions.

        Raises:
            ExecutorUnavailableError: The container is not running (call :meth:`start` or use
                ``async with``), or the engine failed while running the code.
            CodeExecutionError: The functions module could not be prepared.
            asyncio.CancelledError: ``cancellation_token`` fired; the running code was stopped.
        """
        if self._container is None:
            raise ExecutorUnavailableError(
                "The Docker container is not running: call start() first, or use "
                "`async with DockerCommandLineCodeExecutor(...) as executor:`."
            )
        if not self._functions_ready:
            await self._prepare_functions()
        outputs: list[str] = []
        code_file: str | None = None
        for block in code_blocks:
            language = block.language.strip().lower()
            try:
                name = code_file_name(block, language)
            except ValueError as exc:
                return CommandLineCodeResult(1, "".join([*outputs, str(exc)]), code_file)
            pid_file = f"/tmp/parlay-{uuid.uuid4().hex}.pid"
            command = run_command_line(language, name, self._timeout, pid_file)
            if command is None:
                outputs.append(unsupported_language(language, _SUPPORTED))
                return CommandLineCodeResult(1, "".join(outputs), code_file)
            file = self.work_dir / name
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(block.code, encoding="utf-8")
            code_file = str(file)
            try:
                exit_code, output, flooded = await self._run_block(
                    command, pid_file, cancellation_token
                )
            finally:
                if self._delete_tmp_files:
                    file.unlink(missing_ok=True)
            if exit_code == TIMEOUT_EXIT_CODE:
                output += (
                    f"\nTimeout: the code ran longer than {self._timeout:g} s and was stopped."
                )
            elif flooded:
                output += (
                    f"\nOutput limit: the code printed more than {self._max_output} bytes and "
                    "was stopped."
                )
                exit_code = exit_code or 1
            outputs.append(output)
            if exit_code != 0:
                return CommandLineCodeResult(exit_code, "".join(outputs), code_file)
        return CommandLineCodeResult(0, "".join(outputs), code_file)

    async def _run_block(
        self, command: list[str], pid_file: str, cancellation_token: CancellationToken
    ) -> tuple[int, str, bool]:
        task = asyncio.ensure_future(
            # The timeout in the container ends the code; this bound only covers a lost engine.
            self._engine(
                lambda: self._exec(command, pid_file), self._timeout + KILL_GRACE + _LOST_ENGINE
            )
        )
        cancellation_token.link_future(task)
        started = time.monotonic()
        try:
            exit_code, output, flooded = cast("tuple[int, str, bool]", await task)
        except asyncio.TimeoutError:
            await self._kill(pid_file)
            return TIMEOUT_EXIT_CODE, "", False
        except (_sdk.DockerException, OSError) as exc:
            raise self._lost(exc) from exc
        except asyncio.CancelledError:
            await self._kill(pid_file)
            raise
        if exit_code == _KILLED_EXIT_CODE and time.monotonic() - started >= self._timeout:
            exit_code = TIMEOUT_EXIT_CODE  # killed past its time limit: the timeout's KILL
        return exit_code, output, flooded

    async def _kill(self, pid_file: str) -> None:
        container = self._container
        with contextlib.suppress(Exception):  # best effort: the code may have just ended
            await self._engine(
                lambda: container.exec_run(kill_command_line(pid_file)), _CALL_TIMEOUT
            )

    def _to_config(self) -> DockerCommandLineCodeExecutorConfig:
        if self._functions or self._device_requests:
            warnings.warn(
                "The functions and device_requests given to DockerCommandLineCodeExecutor are "
                "not saved in its config; pass them again when loading it.",
                UserWarning,
                stacklevel=3,
            )
        return DockerCommandLineCodeExecutorConfig(
            image=self._image,
            container_name=self._name if self._named else None,
            timeout=self._timeout,
            work_dir=None if self._given_dir is None else str(self._given_dir),
            bind_dir=None if self._bind_dir is None else str(self._bind_dir),
            auto_remove=self._auto_remove,
            stop_container=self._stop_container,
            functions_module=self._functions_module,
            extra_volumes=self._extra_volumes,
            extra_hosts=self._extra_hosts,
            init_command=self._init_command,
            delete_tmp_files=self._delete_tmp_files,
            max_output_bytes=self._max_output,
        )

    @classmethod
    def _from_config(cls, config: DockerCommandLineCodeExecutorConfig) -> Self:
        # A container is no sandbox against a config that also chooses the image, the mounted
        # volumes, the extra hosts and the init command.
        require_code_execution(f"code in a Docker container of the image {config.image!r}")
        return cls(
            config.image,
            config.container_name,
            timeout=config.timeout,
            work_dir=config.work_dir,
            bind_dir=config.bind_dir,
            auto_remove=config.auto_remove,
            stop_container=config.stop_container,
            functions_module=config.functions_module,
            extra_volumes=config.extra_volumes,
            extra_hosts=config.extra_hosts,
            init_command=config.init_command,
            delete_tmp_files=config.delete_tmp_files,
            max_output_bytes=config.max_output_bytes,
        )


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
