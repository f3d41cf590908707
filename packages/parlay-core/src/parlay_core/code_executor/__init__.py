"""Code executors: run code blocks (usually written by a model) and report the outcome."""

from parlay_core.code_executor._base import (
    CodeBlock,
    CodeExecutor,
    CodeResult,
    extract_markdown_code_blocks,
)

__all__ = ["CodeBlock", "CodeExecutor", "CodeResult", "extract_markdown_code_blocks"]
