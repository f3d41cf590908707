"""Read the JSON objects in a model's reply."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["extract_json_from_str"]

# A fenced block: three backticks, an optional language tag on the same line, the body, and the
# closing backticks.
_FENCED = re.compile(r"```[ \t]*([\w+\-]*)[ \t]*\n(.*?)```", re.DOTALL)


def extract_json_from_str(content: str) -> list[dict[str, Any]]:
    """Parse the JSON in ``content``.

    If ``content`` has fenced code blocks, each block (untagged or tagged ``json``) is parsed;
    otherwise the whole text is parsed as one JSON document.

    Args:
        content: A model's reply.

    Returns:
        The parsed documents, in order.

    Raises:
        ValueError: A block is tagged with another language, or the text is not valid JSON
            (``json.JSONDecodeError`` is a ``ValueError``).

    Example:
        >>> extract_json_from_str('Here:\\n```json\\n{"a": 1}\\n```')
        [{'a': 1}]
    """
    blocks = _FENCED.findall(content)
    if not blocks:
        return [json.loads(content)]
    found: list[dict[str, Any]] = []
    for language, body in blocks:
        if language and language.lower() != "json":
            raise ValueError(
                f"Expected a JSON code block, but the block is tagged {language!r}. Tag it "
                "'json' or leave it untagged."
            )
        found.append(json.loads(body))
    return found
