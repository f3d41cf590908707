"""What the command-line executors share: languages, code-file names, the result type."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath

from parlay_core.code_executor import CodeBlock, CodeResult

__all__ = [
    "POWERSHELL",
    "PYTHON",
    "SHELL",
    "TIMEOUT_EXIT_CODE",
    "CommandLineCodeResult",
    "code_file_name",
    "unsupported_language",
]

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
