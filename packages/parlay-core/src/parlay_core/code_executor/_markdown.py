"""Finding fenced code blocks in Markdown text (a model's reply)."""

from __future__ import annotations

import re

from parlay_core.code_executor._base import CodeBlock

__all__ = ["extract_markdown_code_blocks"]

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
