"""Code executors: run code blocks (usually written by a model) and report the outcome."""

from parlay_core._import_statements import Alias, Import, ImportFromModule
from parlay_core.code_executor._base import (
    CodeBlock,
    CodeExecutor,
    CodeResult,
    extract_markdown_code_blocks,
)

__all__ = [
    "Alias",
    "CodeBlock",
    "CodeExecutor",
    "CodeResult",
    "Import",
    "ImportFromModule",
    "extract_markdown_code_blocks",
]
