"""What the command-line executors share: languages, code-file names, the result type, and a
base class holding the timeout, the working directory and the functions offered to code."""

from __future__ import annotations

import hashlib
import keyword
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Union

from parlay_core.code_executor import (
    FUNCTIONS_PROMPT_TEMPLATE,
    CodeBlock,
    CodeExecutor,
    CodeResult,
    FunctionWithRequirements,
    FunctionWithRequirementsStr,
    build_python_functions_file,
    format_functions_for_prompt,
    function_name,
)
from parlay_core.exceptions import ComponentConfigError

__all__ = [
    "POWERSHELL",
    "PYTHON",
    "SHELL",
    "TIMEOUT_EXIT_CODE",
    "CommandLineCodeResult",
    "FileCodeExecutor",
    "FunctionEntry",
    "code_file_name",
    "unsupported_language",
]

FunctionEntry = Union[
    FunctionWithRequirements[Any, ...], FunctionWithRequirementsStr, Callable[..., Any]
]
"""A function offered to executed code: plain, or with the packages and imports it needs."""

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"bash", "shell", "sh"})
POWERSHELL = frozenset({"pwsh", "powershell", "ps1"})
TIMEOUT_EXIT_CODE = 124
"""The exit code reported for code stopped at its timeout (as ``timeout(1)`` and AutoGen do)."""
_FILENAME = re.compile(r"^\s*(?:#|//|--)\s*filename:\s*(?P<name>[^\s]+)\s*$", re.IGNORECASE)


@dataclass
class CommandLineCodeResult(CodeResult):
    """A :class:`~parlay_core.code_executor.CodeResult` that also names the file that ran.

    Attributes:
        code_file: The file the last block was written to, or None if none was written.
    """

    code_file: str | None = None


def code_file_name(block: CodeBlock, language: str) -> str:
    """The relative path a block is saved under before it runs.

    A first line ``# filename: app.py`` names it; otherwise ``tmp_code_<hash>.<ext>``, so the
    same code always lands in the same file.

    Raises:
        ValueError: The given name is absolute or climbs out of the working directory.
    """
    match = _FILENAME.match(block.code.split("\n", 1)[0])
    if match is not None:
        name = match.group("name")
        # Checked on pure paths so that a container's working directory is judged the same way.
        if PurePath(name).is_absolute() or ".." in PurePosixPath(name.replace("\\", "/")).parts:
            raise ValueError(f"The filename {name!r} points outside the working directory.")
        return name
    suffix = ".py" if language in PYTHON else ".ps1" if language in POWERSHELL else ".sh"
    return f"tmp_code_{hashlib.sha256(block.code.encode()).hexdigest()[:16]}{suffix}"


def unsupported_language(language: str, supported: str) -> str:
    """The output of a failed result for a block in a language the executor cannot run."""
    return f"Unsupported language {language!r}: this executor runs {supported} blocks."


class FileCodeExecutor(CodeExecutor):
    """A code executor that writes each block to a file in a working directory and runs it.

    It holds what the local and Docker executors have in common: the per-block timeout and
    output cap, the working directory (a temporary one, made on first use, unless given), and
    the functions written to a module that executed code can import.

    Raises:
        ComponentConfigError: ``timeout`` or ``max_output_bytes`` is not positive, or
            ``functions_module`` is not a module name (also a ``ValueError``).
        FunctionSourceError: A function's source cannot be obtained.
    """

    def __init__(
        self,
        *,
        timeout: float,
        work_dir: str | Path | None,
        functions: Sequence[FunctionEntry],
        functions_module: str,
        max_output_bytes: int,
        temp_prefix: str,
    ) -> None:
        owner = type(self).__name__
        if timeout <= 0:
            raise ComponentConfigError(
                f"{owner}: timeout must be a positive number of seconds; got {timeout}. Set it "
                "to how long one block may run, for example 60."
            )
        if max_output_bytes <= 0:
            raise ComponentConfigError(
                f"{owner}: max_output_bytes must be a positive number of bytes; got "
                f"{max_output_bytes}. Set it to the output kept per block, for example 1000000."
            )
        if not functions_module.isidentifier() or keyword.iskeyword(functions_module):
            raise ComponentConfigError(
                f"{owner}: functions_module must be a module name such as 'functions'; got "
                f"{functions_module!r}. Use a Python identifier that is not a keyword."
            )
        self._timeout = timeout
        self._max_output = max_output_bytes
        self._given_dir = None if work_dir is None else Path(work_dir)
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._temp_prefix = temp_prefix
        self._functions = list(functions)
        self._functions_module = functions_module
        self._functions_source = build_python_functions_file(self._functions)
        self._functions_ready = not self._functions

    @property
    def timeout(self) -> float:
        """Seconds each block may run."""
        return self._timeout

    @property
    def work_dir(self) -> Path:
        """The directory code files are written to (created on first use)."""
        if self._given_dir is not None:
            return self._given_dir
        if self._temp_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix=self._temp_prefix)
        return Path(self._temp_dir.name)

    @property
    def functions(self) -> list[str]:
        """The names of the functions executed code can import."""
        return [function_name(entry) for entry in self._functions]

    @property
    def functions_module(self) -> str:
        """The module executed code imports the functions from."""
        return self._functions_module

    def format_functions_for_prompt(self, prompt_template: str = FUNCTIONS_PROMPT_TEMPLATE) -> str:
        """Describe the functions for a model: where to import them, signatures, docstrings.

        Args:
            prompt_template: Text in which ``$module_name`` and ``$functions`` are replaced.
        """
        return format_functions_for_prompt(self._functions, self._functions_module, prompt_template)

    def _forget_work_dir(self) -> None:
        """Remove a temporary working directory; the functions are written again next time."""
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None
        self._functions_ready = not self._functions
