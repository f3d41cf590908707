"""Code-executor protocol types and Markdown code-block extraction."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import Component
from parlay_core.code_executor import (
    CodeBlock,
    CodeExecutor,
    CodeResult,
    extract_markdown_code_blocks,
)


class _EchoConfig(BaseModel):
    prefix: str = ""


@dataclass
class _Log:
    events: list[str] = field(default_factory=list[str])


class _EchoExecutor(CodeExecutor, Component[_EchoConfig]):
    """Echoes code instead of running it; records lifecycle calls."""

    component_config_schema = _EchoConfig

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.log = _Log()

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        return CodeResult(exit_code=0, output="".join(self.prefix + b.code for b in code_blocks))

    async def start(self) -> None:
        self.log.events.append("start")

    async def stop(self) -> None:
        self.log.events.append("stop")

    async def restart(self) -> None:
        self.log.events.append("restart")

    def _to_config(self) -> _EchoConfig:
        return _EchoConfig(prefix=self.prefix)

    @classmethod
    def _from_config(cls, config: _EchoConfig) -> Self:
        return cls(config.prefix)


async def test_async_context_manager_starts_and_stops() -> None:
    executor = _EchoExecutor(">")
    async with executor as running:
        assert running is executor
        result = await running.execute_code_blocks(
            [CodeBlock(code="x", language="python")], CancellationToken()
        )
    assert result == CodeResult(exit_code=0, output=">x")
    assert executor.log.events == ["start", "stop"]


async def test_context_manager_stops_on_error() -> None:
    executor = _EchoExecutor()
    with pytest.raises(KeyError):
        async with executor:
            raise KeyError("boom")
    assert executor.log.events == ["start", "stop"]


def test_executor_is_a_code_executor_component() -> None:
    assert CodeExecutor.component_type == "code_executor"
    dumped = _EchoExecutor("$ ").dump_component()
    assert dumped.component_type == "code_executor"
    assert dumped.config == {"prefix": "$ "}
    with pytest.raises(TypeError):
        CodeExecutor()  # type: ignore[abstract]


def test_extracts_fenced_blocks_in_order_with_languages() -> None:
    text = (
        "First:\n```python\nprint('a')\n```\n"
        "Then a shell step:\n~~~ Bash title=run\nls -l\necho hi\n~~~\n"
        "And one without a language:\n```\nplain\n```\n"
    )
    assert extract_markdown_code_blocks(text) == [
        CodeBlock(code="print('a')\n", language="python"),
        CodeBlock(code="ls -l\necho hi\n", language="bash"),
        CodeBlock(code="plain\n", language=""),
    ]


def test_default_language_applies_to_bare_fences() -> None:
    assert extract_markdown_code_blocks("```\nx = 1\n```", default_language="python") == [
        CodeBlock(code="x = 1\n", language="python")
    ]


def test_longer_fences_can_contain_shorter_ones() -> None:
    text = "````markdown\n```python\nnested\n```\n````\n"
    assert extract_markdown_code_blocks(text) == [
        CodeBlock(code="```python\nnested\n```\n", language="markdown")
    ]


def test_unclosed_fences_and_plain_text_give_nothing() -> None:
    assert extract_markdown_code_blocks("no code here") == []
    assert extract_markdown_code_blocks("```python\nprint(1)\n") == []


def test_empty_block() -> None:
    assert extract_markdown_code_blocks("```sh\n```\n") == [CodeBlock(code="", language="sh")]
