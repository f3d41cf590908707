"""Running Python code blocks in a persistent Jupyter kernel."""

from __future__ import annotations

import asyncio
import base64
import codecs
import contextlib
import queue
import re
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import CancellationToken, Component, require_code_execution
from parlay_core.code_executor import CodeBlock, CodeExecutor, CodeResult
from parlay_core.exceptions import ComponentConfigError, ExecutorUnavailableError
from parlay_ext.code_executors._common import PYTHON, TIMEOUT_EXIT_CODE, unsupported_language
from parlay_ext.code_executors.jupyter._sdk import (
    AsyncKernelClient,
    KernelManager,
    NoSuchKernel,
    new_kernel_manager,
)

__all__ = ["JupyterCodeExecutor", "JupyterCodeExecutorConfig", "JupyterCodeResult"]

_START_TIMEOUT = 60.0  # a cold kernel start imports IPython; generous but bounded
_STOP_TIMEOUT = 10.0
_INTERRUPT_GRACE = 5.0  # how long an interrupted cell gets to report idle
_POLL = 0.25  # how often a silent kernel is checked for being alive
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_IMAGE_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg"}


@dataclass
class JupyterCodeResult(CodeResult):
    """A :class:`~parlay_core.code_executor.CodeResult` with the files the code displayed.

    Attributes:
        output_files: Images the code displayed (``image/png`` and ``image/jpeg`` display
            data), saved into the executor's output directory, in order.
    """

    output_files: list[Path] = field(default_factory=list[Path])


class JupyterCodeExecutorConfig(BaseModel):
    """Configuration of :class:`JupyterCodeExecutor` (see its arguments)."""

    kernel_name: str = "python3"
    timeout: float = 60
    output_dir: str | None = None
    max_output_bytes: int = 1_000_000


@dataclass
class _Cell:
    """What one cell produced while it ran."""

    text: list[str] = field(default_factory=list[str])
    files: list[Path] = field(default_factory=list[Path])
    error: str | None = None
    timed_out: bool = False
    flooded: bool = False
    restarted: bool = False
    size: int = 0  # UTF-8 bytes kept in text and error


class _KernelDied(Exception):
    pass


class _Flooded(Exception):
    """The cell's output passed the cap."""


def _keep(cell: _Cell, text: str, limit: int) -> str:
    """The part of ``text`` that fits in the cell's output budget; marks the cell flooded."""
    data = text.encode("utf-8", errors="replace")
    room = limit - cell.size
    if len(data) <= room:
        cell.size += len(data)
        return text
    cell.flooded = True
    cell.size = limit
    # Cut at a character boundary: the incremental decoder holds back a split character.
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data[: max(room, 0)])


class JupyterCodeExecutor(CodeExecutor, Component[JupyterCodeExecutorConfig]):
    """Runs Python code blocks in a Jupyter kernel that keeps its state between calls.

    Each block runs as one cell, as in a notebook: variables, imports and functions defined by
    one call are there for the next, until :meth:`restart` or :meth:`stop`. The result's output
    is what the cells printed, their last expressions' values and their tracebacks (ANSI colours
    removed); images they display are saved as files into ``output_dir`` and listed in
    ``output_files``. Blocks run in order and stop at the first that raises (``exit_code=1``).
    Only Python blocks run; any other language is a failed result.

    The text output of each block is capped at ``max_output_bytes``: past it the cell is
    interrupted like at a timeout, the output is cut there and ends with an ``Output limit:``
    line, and the result has ``exit_code=1``.

    At the timeout the kernel is **interrupted**, not killed: the cell gets a
    ``KeyboardInterrupt``, the result has ``exit_code=124`` and a ``Timeout:`` line, and the
    kernel keeps its state. A cell that ignores the interrupt (stuck in native code) for a few
    seconds gets the kernel restarted, which the output says. Cancelling the token interrupts
    the cell the same way and raises :class:`asyncio.CancelledError`.

    If the kernel process dies (the code calls ``os._exit``, crashes the interpreter, runs out
    of memory) the call raises :class:`~parlay_core.exceptions.ExecutorUnavailableError`, and
    so does every later call until :meth:`restart` (or :meth:`stop`): state is lost, and
    silently carrying on would hide that.

    This is **not a sandbox**: the kernel runs as your user, with your files, environment and
    network. ``execute_code_blocks`` starts the kernel if needed; ``async with`` starts and
    stops it.

    Args:
        kernel_name: The Jupyter kernel spec to start; ``"python3"`` is the interpreter running
            Parlay (through ipykernel).
        timeout: Seconds each block may run.
        output_dir: Where displayed images are saved; default: a temporary directory, removed
            by :meth:`stop` (pass a directory to keep the images).
        max_output_bytes: Text output kept per block (UTF-8 bytes); past it the cell is
            interrupted.

    Raises:
        ComponentConfigError: ``timeout`` or ``max_output_bytes`` is not positive (also a
            ``ValueError``; loading a config with such a value raises it too).
    """

    component_config_schema = JupyterCodeExecutorConfig
    component_provider_override = "parlay_ext.code_executors.jupyter.JupyterCodeExecutor"

    def __init__(
        self,
        kernel_name: str = "python3",
        timeout: float = 60,
        output_dir: str | Path | None = None,
        *,
        max_output_bytes: int = 1_000_000,
    ) -> None:
        if timeout <= 0:
            raise ComponentConfigError(
                f"JupyterCodeExecutor: timeout must be a positive number of seconds; got "
                f"{timeout}. Set it to how long one block may run, for example 60."
            )
        if max_output_bytes <= 0:
            raise ComponentConfigError(
                f"JupyterCodeExecutor: max_output_bytes must be a positive number of bytes; got "
                f"{max_output_bytes}. Set it to the output kept per block, for example 1000000."
            )
        self._kernel_name = kernel_name
        self._timeout = timeout
        self._max_output = max_output_bytes
        self._given_dir = None if output_dir is None else Path(output_dir)
        self._scratch: Path | None = None  # kernel sockets and the default output directory
        self._manager: KernelManager | None = None
        self._client: AsyncKernelClient | None = None
        self._death: str | None = None
        self._lock = asyncio.Lock()

    @property
    def kernel_name(self) -> str:
        """The kernel spec this executor starts."""
        return self._kernel_name

    @property
    def timeout(self) -> float:
        """Seconds each block may run."""
        return self._timeout

    @property
    def max_output_bytes(self) -> int:
        """Text output kept per block; past it the cell is interrupted."""
        return self._max_output

    @property
    def output_dir(self) -> Path:
        """Where displayed images are saved (a temporary directory until :meth:`start`)."""
        if self._given_dir is not None:
            return self._given_dir
        return self._scratch_dir() / "output"

    def _scratch_dir(self) -> Path:
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="parlay-kernel-"))
        return self._scratch

    async def start(self) -> None:
        """Start the kernel (nothing happens if it is running).

        Raises:
            ExecutorUnavailableError: The kernel spec is not installed, or the kernel did not
                start and answer within a minute.
        """
        if self._manager is not None:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {"kernel_name": self._kernel_name}
        if sys.platform != "win32":
            # Unix sockets in a private directory: no TCP port other local users could reach.
            scratch = self._scratch_dir()
            options.update(
                transport="ipc",
                ip=str(scratch / "kernel"),
                connection_file=str(scratch / "kernel.json"),
            )
        manager = new_kernel_manager(**options)
        try:
            await asyncio.wait_for(manager.start_kernel(), _START_TIMEOUT)
            client = manager.client()
            client.start_channels()
            self._manager, self._client = manager, client
            await asyncio.wait_for(client.wait_for_ready(timeout=_START_TIMEOUT), _START_TIMEOUT)
        except NoSuchKernel as exc:
            raise ExecutorUnavailableError(
                f"No Jupyter kernel named {self._kernel_name!r} is installed. For Python, "
                'install ipykernel (pip install "parlay-ext[jupyter]") and use kernel_name='
                "'python3', or register one with: python -m ipykernel install --user --name "
                f"{self._kernel_name}"
            ) from exc
        except (RuntimeError, OSError, asyncio.TimeoutError) as exc:
            await self._shutdown(manager)
            raise ExecutorUnavailableError(
                f"The Jupyter kernel {self._kernel_name!r} did not start: {exc or 'timed out'}."
            ) from exc
        self._death = None

    async def stop(self) -> None:
        """Shut the kernel down and remove the temporary directory (state is lost)."""
        await self._shutdown(self._manager)
        self._death = None  # the next start is a fresh kernel anyway
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    async def restart(self) -> None:
        """Replace the kernel with a fresh one (also after it died); all state is lost."""
        await self._shutdown(self._manager)
        await self.start()

    async def _shutdown(self, manager: KernelManager | None) -> None:
        if self._client is not None:
            self._client.stop_channels()
        self._manager = self._client = None
        if manager is not None:
            with contextlib.suppress(Exception):  # the kernel may already be gone
                await asyncio.wait_for(manager.shutdown_kernel(now=True), _STOP_TIMEOUT)

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> JupyterCodeResult:
        """Run the blocks as cells in order and stop at the first that raises.

        Returns:
            The joined output, the saved images, and the exit code: 0, 1 for an exception or
            an unsupported language, 124 for a timeout.

        Raises:
            ExecutorUnavailableError: The kernel could not start, or it died (now or earlier;
                call :meth:`restart`).
            asyncio.CancelledError: ``cancellation_token`` fired; the cell was interrupted.
        """
        async with self._lock:  # one kernel runs one cell at a time
            if self._death is not None:
                raise ExecutorUnavailableError(
                    f"The Jupyter kernel died earlier ({self._death}); call restart() for a "
                    "fresh kernel."
                )
            await self.start()
            outputs: list[str] = []
            files: list[Path] = []
            for block in code_blocks:
                language = block.language.strip().lower()
                if language not in PYTHON:
                    outputs.append(unsupported_language(language, "python"))
                    return JupyterCodeResult(1, "".join(outputs), files)
                task = asyncio.ensure_future(self._run_cell(block.code))
                cancellation_token.link_future(task)
                try:
                    cell = await task
                except _KernelDied as exc:
                    self._death = str(exc)
                    raise ExecutorUnavailableError(
                        f"The Jupyter kernel died while running the code ({exc}); its state is "
                        "lost. Call restart() for a fresh kernel."
                    ) from None
                outputs.extend(cell.text)
                files.extend(cell.files)
                if cell.timed_out:
                    joined = "".join(outputs)
                    outputs.append(
                        ("\n" if joined and not joined.endswith("\n") else "")
                        + f"Timeout: the code ran longer than {self._timeout:g} s and was "
                        + (
                            "not stopped by an interrupt; the kernel was restarted and its "
                            "state is lost."
                            if cell.restarted
                            else "interrupted; the kernel keeps its state."
                        )
                    )
                    return JupyterCodeResult(TIMEOUT_EXIT_CODE, "".join(outputs), files)
                if cell.flooded:
                    if cell.error is not None:
                        outputs.append(cell.error)
                    joined = "".join(outputs)
                    outputs.append(
                        ("\n" if joined and not joined.endswith("\n") else "")
                        + f"Output limit: the code printed more than {self._max_output} bytes "
                        + (
                            "and was not stopped by an interrupt; the kernel was restarted and "
                            "its state is lost."
                            if cell.restarted
                            else "and was interrupted; the kernel keeps its state."
                        )
                    )
                    return JupyterCodeResult(1, "".join(outputs), files)
                if cell.error is not None:
                    outputs.append(cell.error)
                    return JupyterCodeResult(1, "".join(outputs), files)
            return JupyterCodeResult(0, "".join(outputs), files)

    async def _run_cell(self, code: str) -> _Cell:
        assert self._client is not None
        msg_id: str = self._client.execute(code, allow_stdin=False, stop_on_error=True)
        cell = _Cell()
        loop = asyncio.get_running_loop()
        try:
            await self._collect(msg_id, cell, loop.time() + self._timeout)
        except asyncio.TimeoutError:
            cell.timed_out = True
            cell.restarted = not await self._interrupt(msg_id, cell)
        except _Flooded:
            cell.restarted = not await self._interrupt(msg_id, cell)
        except asyncio.CancelledError:
            with contextlib.suppress(_KernelDied, ExecutorUnavailableError):
                await self._interrupt(msg_id, cell)
            raise
        return cell

    async def _interrupt(self, msg_id: str, cell: _Cell) -> bool:
        """Interrupt the running cell; return False if the kernel had to be restarted."""
        assert self._manager is not None
        await self._manager.interrupt_kernel()
        try:
            await self._collect(msg_id, cell, asyncio.get_running_loop().time() + _INTERRUPT_GRACE)
        except asyncio.TimeoutError:
            await self.restart()
            return False
        return True

    async def _collect(self, msg_id: str, cell: _Cell, deadline: float) -> None:
        """Gather the cell's messages until the kernel reports it idle.

        Raises:
            asyncio.TimeoutError: ``deadline`` passed first.
            _Flooded: The cell's output passed the cap (raised once; later output is dropped).
            _KernelDied: The kernel process ended.
        """
        assert self._client is not None and self._manager is not None
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError
            try:
                message = await self._client.get_iopub_msg(timeout=min(remaining, _POLL))
            except queue.Empty:
                # A dead kernel sends nothing at all, so silence is when to look.
                if not await self._manager.is_alive():
                    raise _KernelDied(_exit_description(self._manager)) from None
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue  # a late message of an earlier cell
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content["execution_state"] == "idle":
                return
            if cell.flooded or cell.timed_out:
                # Output after the cap is dropped; after a timeout or a flood the traceback is
                # the KeyboardInterrupt this executor caused.
                continue
            if kind == "stream":
                self._add_text(cell, content["text"])
            elif kind in ("execute_result", "display_data"):
                self._add_display(content["data"], cell)
            elif kind == "error":
                traceback = _ANSI.sub("", "\n".join(content["traceback"])) + "\n"
                cell.error = _keep(cell, traceback, self._max_output)
            if cell.flooded:
                raise _Flooded

    def _add_text(self, cell: _Cell, text: str) -> None:
        kept = _keep(cell, text, self._max_output)
        if kept:
            cell.text.append(kept)

    def _add_display(self, data: dict[str, Any], cell: _Cell) -> None:
        for mime, suffix in _IMAGE_SUFFIXES.items():
            if mime in data:
                path = self.output_dir / f"{uuid.uuid4().hex}{suffix}"
                path.write_bytes(base64.b64decode(data[mime]))
                cell.files.append(path)
                self._add_text(cell, f"[{mime} saved to {path}]\n")
                return
        if "text/plain" in data:
            self._add_text(cell, f"{data['text/plain']}\n")

    def _to_config(self) -> JupyterCodeExecutorConfig:
        return JupyterCodeExecutorConfig(
            kernel_name=self._kernel_name,
            timeout=self._timeout,
            output_dir=None if self._given_dir is None else str(self._given_dir),
            max_output_bytes=self._max_output,
        )

    @classmethod
    def _from_config(cls, config: JupyterCodeExecutorConfig) -> Self:
        # The kernel is a local process with the current user's rights.
        require_code_execution(
            "code on this machine, as the current user, in a Jupyter kernel (a Jupyter executor)"
        )
        return cls(
            config.kernel_name,
            config.timeout,
            config.output_dir,
            max_output_bytes=config.max_output_bytes,
        )


def _exit_description(manager: KernelManager) -> str:
    provisioner = manager.provisioner
    process = getattr(provisioner, "process", None) if provisioner is not None else None
    code = getattr(process, "returncode", None)
    return "the kernel process ended" if code is None else f"kernel exit code {code}"
