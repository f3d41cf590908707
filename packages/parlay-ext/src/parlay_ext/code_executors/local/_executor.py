"""Running model-written code blocks as local processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import CancellationToken, Component, require_code_execution
from parlay_core.code_executor import (
    CodeBlock,
    required_packages,
)
from parlay_core.exceptions import CodeExecutionError, ComponentConfigError
from parlay_ext.code_executors._common import (
    POWERSHELL,
    PYTHON,
    SHELL,
    CommandLineCodeResult,
    FileCodeExecutor,
    FunctionEntry,
    code_file_name,
    unsupported_language,
)
from parlay_ext.code_executors.local._functions import prepare_functions
from parlay_ext.code_executors.local._process import run_process

__all__ = [
    "CommandLineCodeResult",
    "LocalCommandLineCodeExecutor",
    "LocalCommandLineCodeExecutorConfig",
]


class LocalCommandLineCodeExecutorConfig(BaseModel):
    """Configuration of :class:`LocalCommandLineCodeExecutor` (see its arguments)."""

    timeout: float = 60
    work_dir: str | None = None
    virtual_env_dir: str | None = None
    max_output_bytes: int = 1_000_000
    cleanup_temp_files: bool = True
    functions_module: str = "functions"


class LocalCommandLineCodeExecutor(FileCodeExecutor, Component[LocalCommandLineCodeExecutorConfig]):
    """Runs Python and shell code blocks as processes on this machine.

    Each block is written to a file in the working directory and run there: ``python`` blocks
    with the virtual environment's interpreter (or this interpreter), ``sh``/``bash``/``shell``
    blocks with ``bash`` (or ``sh``), ``pwsh`` blocks with PowerShell. A block whose first line
    is ``# filename: name.py`` is saved under that name. Blocks run in order and stop at the
    first failure; their outputs are joined.

    Every block runs in its own process group (a new session), and the whole group is killed
    when the block ends: when its process exits, at the timeout, when its output passes
    ``max_output_bytes``, or when the cancellation token fires. So the timeout is a hard
    deadline for everything the block started, and neither a runaway loop, a flood of output
    nor a background job (``sleep 60 &``, a server started with ``Popen``) outlives the block;
    the output says when background processes were killed. A process that starts a session of
    its own (``setsid``, a daemon) leaves the group and is not tracked.

    ``functions`` are made available to executed code: their source (and the imports they
    declare with :func:`~parlay_core.code_executor.with_requirements`) is written to the module
    ``functions_module`` in the working directory before the first block runs, so a block can
    ``from functions import my_function``. Packages the functions declare are installed with
    ``pip`` into the code's environment unless already there. :meth:`format_functions_for_prompt`
    describes the functions for a model's system message.

    This is **not a sandbox**: the code runs as the current user, sees the environment
    (including any API keys in it), the network and every file that user can reach. Use it
    for code you would run yourself; otherwise use a container-based executor.

    Args:
        timeout: Seconds each block may run.
        work_dir: Where code files are written and run; default: a temporary directory,
            removed by :meth:`stop`.
        virtual_env_context: A virtual environment to run in: the object returned by
            ``venv.EnvBuilder().ensure_directories(path)`` (AutoGen's convention), or its path.
            A relative path is resolved against the current directory at construction.
        max_output_bytes: Output kept per block; past it the block is stopped.
        cleanup_temp_files: Delete each code file after it runs.
        env: The environment for the code; default: this process's environment.
        functions: Functions executed code may import: plain functions defined with ``def``
            in a file, :class:`~parlay_core.code_executor.FunctionWithRequirements` (see
            :func:`~parlay_core.code_executor.with_requirements`) or
            :class:`~parlay_core.code_executor.FunctionWithRequirementsStr`. They are not
            saved in component configs.
        functions_module: The name of the module the functions are written to.

    Raises:
        ComponentConfigError: ``timeout`` or ``max_output_bytes`` is not positive,
            ``functions_module`` is not a module name, or ``virtual_env_context`` is neither
            a path nor an environment context; also a ``ValueError``, as in AutoGen. Loading a
            config with such a value raises it too.
        FunctionSourceError: A function's source cannot be obtained (defined in a REPL or
            with ``exec``, a lambda, a built-in, a closure), or two functions share a name.
    """

    component_config_schema = LocalCommandLineCodeExecutorConfig
    component_provider_override = "parlay_ext.code_executors.local.LocalCommandLineCodeExecutor"

    def __init__(
        self,
        timeout: float = 60,
        work_dir: str | Path | None = None,
        *,
        virtual_env_context: SimpleNamespace | str | Path | None = None,
        max_output_bytes: int = 1_000_000,
        cleanup_temp_files: bool = True,
        env: dict[str, str] | None = None,
        functions: Sequence[FunctionEntry] = (),
        functions_module: str = "functions",
    ) -> None:
        super().__init__(
            timeout=timeout,
            work_dir=work_dir,
            functions=functions,
            functions_module=functions_module,
            max_output_bytes=max_output_bytes,
            temp_prefix="parlay-code-",
        )
        self._venv = _venv_dir(virtual_env_context)
        self._cleanup = cleanup_temp_files
        self._env = env

    async def start(self) -> None:
        """Create the working directory."""
        self.work_dir.mkdir(parents=True, exist_ok=True)

    async def stop(self) -> None:
        """Remove the temporary working directory, if this executor created one."""
        self._forget_work_dir()

    async def restart(self) -> None:
        """Start again with a fresh temporary directory (a given ``work_dir`` is kept)."""
        await self.stop()
        await self.start()

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ if self._env is None else self._env)
        if self._venv is not None:
            env["VIRTUAL_ENV"] = str(self._venv)
            env["PATH"] = str(_bin_dir(self._venv)) + os.pathsep + env.get("PATH", "")
            env.pop("PYTHONHOME", None)
        if self._functions:
            # Blocks saved in a subdirectory (# filename: sub/x.py) still find the module.
            paths = [str(self.work_dir.resolve()), env.get("PYTHONPATH", "")]
            env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        return env

    def _python(self) -> str:
        if self._venv is not None:
            return str(
                _bin_dir(self._venv) / ("python.exe" if sys.platform == "win32" else "python")
            )
        return sys.executable

    def _check_venv(self) -> None:
        # Checked before any block runs: shell blocks would otherwise quietly run with the
        # system's python and pip instead of the environment's.
        if self._venv is not None and not Path(self._python()).exists():
            raise CodeExecutionError(
                f"Could not start code in the virtual environment {str(self._venv)!r}: there is "
                f"no Python interpreter at {self._python()!r}. Create the environment first, "
                "for example with venv.EnvBuilder(with_pip=True).create(path)."
            )

    def _command(self, language: str, file: Path) -> list[str] | None:
        if language in PYTHON:
            return [self._python(), str(file)]
        if language in SHELL:
            shell = shutil.which("bash") or shutil.which("sh")
            return None if shell is None else [shell, str(file)]
        if language in POWERSHELL:
            pwsh = shutil.which("pwsh") or shutil.which("powershell")
            return None if pwsh is None else [pwsh, "-NoProfile", "-File", str(file)]
        return None

    def _file_for(self, block: CodeBlock, language: str) -> Path | str:
        try:
            name = code_file_name(block, language)
        except ValueError as exc:
            return str(exc)
        target = (self.work_dir / name).resolve()
        # Resolved, so that a symbolic link inside the directory cannot lead out of it either.
        if not target.is_relative_to(self.work_dir.resolve()):
            return f"The filename {name!r} points outside the working directory."
        return target

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        """Run the blocks in order and stop at the first that fails.

        Returns:
            The joined output; the exit code of the first failing block (124 for a timeout),
            or 0. Unsupported languages and output floods are failed results, not exceptions.

        Raises:
            CodeExecutionError: The interpreter could not be started at all (or the virtual
                environment has none), or the functions module could not be prepared (a
                package failed to install, or it does not import).
            asyncio.CancelledError: ``cancellation_token`` fired; the running code was killed.
        """
        await self.start()
        self._check_venv()
        if not self._functions_ready:
            await prepare_functions(
                python=self._python(),
                work_dir=self.work_dir,
                module=self._functions_module,
                source=self._functions_source,
                packages=required_packages(self._functions),
                env=self._environment(),
                cancellation_token=cancellation_token,
            )
            self._functions_ready = True
        outputs: list[str] = []
        code_file: str | None = None
        for block in code_blocks:
            language = block.language.strip().lower()
            file = self._file_for(block, language)
            command = None if isinstance(file, str) else self._command(language, file)
            if isinstance(file, str) or command is None:
                reason = file if isinstance(file, str) else _unsupported(language)
                outputs.append(reason)
                return CommandLineCodeResult(1, "\n".join(outputs), code_file)
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(block.code, encoding="utf-8")
            code_file = str(file)
            task = asyncio.ensure_future(
                run_process(
                    command,
                    cwd=self.work_dir,
                    env=self._environment(),
                    timeout=self._timeout,
                    max_output_bytes=self._max_output,
                )
            )
            cancellation_token.link_future(task)
            try:
                outcome = await task
            except OSError as exc:
                raise CodeExecutionError(
                    f"Could not start {command[0]!r} to run a {language} block: {exc}."
                ) from exc
            finally:
                if self._cleanup:
                    file.unlink(missing_ok=True)
            output = outcome.output
            if outcome.timed_out:
                output += (
                    f"\nTimeout: the code ran longer than {self._timeout:g} s and was killed at "
                    "the deadline, together with every process it started (background jobs "
                    "included)."
                )
            elif outcome.truncated:
                output += (
                    f"\nOutput limit: the code printed more than {self._max_output} bytes and "
                    "was killed, together with every process it started."
                )
            elif outcome.stopped_leftovers:
                output += ("" if not output or output.endswith("\n") else "\n") + (
                    "Note: the code left processes running in the background; they were "
                    "killed when it ended (a block's processes do not outlive it).\n"
                )
            outputs.append(output)
            if outcome.exit_code != 0:
                return CommandLineCodeResult(outcome.exit_code, "".join(outputs), code_file)
        return CommandLineCodeResult(0, "".join(outputs), code_file)

    def _to_config(self) -> LocalCommandLineCodeExecutorConfig:
        if self._functions:
            warnings.warn(
                "The functions given to LocalCommandLineCodeExecutor "
                f"({', '.join(self.functions)}) are not saved in its config; pass them again "
                "when loading it.",
                UserWarning,
                stacklevel=3,
            )
        return LocalCommandLineCodeExecutorConfig(
            timeout=self._timeout,
            work_dir=None if self._given_dir is None else str(self._given_dir),
            virtual_env_dir=None if self._venv is None else str(self._venv),
            max_output_bytes=self._max_output,
            cleanup_temp_files=self._cleanup,
            functions_module=self._functions_module,
        )

    @classmethod
    def _from_config(cls, config: LocalCommandLineCodeExecutorConfig) -> Self:
        # It runs whatever it is given as the current user, unsandboxed.
        require_code_execution("code on this machine, as the current user (a local executor)")
        return cls(
            timeout=config.timeout,
            work_dir=config.work_dir,
            virtual_env_context=config.virtual_env_dir,
            max_output_bytes=config.max_output_bytes,
            cleanup_temp_files=config.cleanup_temp_files,
            functions_module=config.functions_module,
        )


def _unsupported(language: str) -> str:
    if language in SHELL or language in POWERSHELL:
        return f"No interpreter for {language!r} blocks was found on PATH."
    return unsupported_language(language, "python, bash/sh/shell and pwsh")


def _venv_dir(context: Any) -> Path | None:
    if context is None:
        return None
    env_dir = context if isinstance(context, (str, Path)) else getattr(context, "env_dir", None)
    if env_dir is None:
        raise ComponentConfigError(
            "LocalCommandLineCodeExecutor: virtual_env_context must be a path or the object "
            "venv.EnvBuilder().ensure_directories(path) returns (it has an env_dir attribute)."
        )
    # Code runs with the working directory as its current directory, so a relative path (as in
    # ensure_directories(".venv")) would name a directory that does not exist there: Python
    # blocks would fail to start and shell blocks would quietly use the system's tools. Resolve
    # it now, against the directory the caller meant.
    return Path(os.path.abspath(env_dir))


def _bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if sys.platform == "win32" else "bin")
