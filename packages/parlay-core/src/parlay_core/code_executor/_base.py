"""The code-executor protocol (run code blocks, report what happened) and finding code in Markdown."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import ComponentBase

__all__ = ["CodeBlock", "CodeExecutor", "CodeResult", "extract_markdown_code_blocks"]


@dataclass
class CodeBlock:
    """A piece of code to run.

    Attributes:
        code: The source code.
        language: Its language as written after a Markdown fence (``python``, ``sh``, ...).
    """

    code: str
    language: str


@dataclass
class CodeResult:
    """The outcome of running code blocks.

    Attributes:
        exit_code: 0 on success; otherwise the exit code of the first block that failed.
        output: What the code printed (standard output and error, in order where possible).
    """

    exit_code: int
    output: str


class CodeExecutor(ComponentBase[BaseModel], ABC):
    """Runs code blocks, usually written by a model, in some environment.

    Executors hold resources (a working directory, a container, a kernel): :meth:`start`
    acquires them, :meth:`stop` releases them, and ``async with executor:`` does both. A
    code executor is a component (``component_type = "code_executor"``).

    Code that runs and fails is a normal result with a non-zero ``exit_code``; an executor
    raises :class:`~parlay_core.CodeExecutionError` only when it cannot run the code at all.
    """

    component_type = "code_executor"

    @abstractmethod
    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        """Run ``code_blocks`` in order, stopping at the first that fails.

        Args:
            code_blocks: The blocks to run.
            cancellation_token: Cancels the run (the executor stops the running code).

        Returns:
            The combined output and the exit code.
        """

    @abstractmethod
    async def start(self) -> None:
        """Acquire the executor's resources."""

    @abstractmethod
    async def stop(self) -> None:
        """Release the executor's resources."""

    @abstractmethod
    async def restart(self) -> None:
        """Start again from a clean environment."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.stop()


# An opening fence of three or more backticks or tildes, an optional info string, the body, and
# a closing fence made of the same character, at least as long, on a line of its own.
_FENCE = re.compile(
    r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n"
    r"(?P<body>.*?)"
    r"^[ ]{0,3}(?P=fence)(?P<extra>`*|~*)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def extract_markdown_code_blocks(markdown_text: str, default_language: str = "") -> list[CodeBlock]:
    """Return the fenced code blocks of ``markdown_text`` in order.

    The language is the first word of the fence's info string (```` ```python ```` gives
    ``"python"``), lower-cased, or ``default_language`` when the fence has none. Unclosed fences
    and indented (unfenced) code are ignored.

    Args:
        markdown_text: The Markdown to scan.
        default_language: The language of fences without an info string.

    Example:
        >>> extract_markdown_code_blocks("Run:\\n```python\\nprint(1)\\n```\\n")
        [CodeBlock(code='print(1)\\n', language='python')]
    """
    blocks: list[CodeBlock] = []
    for match in _FENCE.finditer(markdown_text):
        words = match.group("info").split()
        language = words[0].lower() if words else default_language
        blocks.append(CodeBlock(code=match.group("body"), language=language))
    return blocks
