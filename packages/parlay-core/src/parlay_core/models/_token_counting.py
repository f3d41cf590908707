"""An offline, deterministic token estimate.

Exact counts need each provider's tokenizer, which Parlay does not download. This estimate is
what the replay client reports and what provider clients fall back to for models whose tokenizer
they do not ship. The rules, chosen to land close to common BPE tokenizers on English text and
code without any vocabulary:

* each run of letters, digits and underscores counts one token per started six characters, so
  most English words are one token and long identifiers are several;
* every other non-space character (punctuation, symbols) counts one token;
* whitespace is free;
* each image counts :data:`IMAGE_TOKENS`;
* a function call counts its name and its arguments text;
* a tool counts its name, description and the JSON of its parameter schema.

There is no per-message overhead, so the estimate of a list of messages is the sum of the
estimates of their contents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from parlay_core._image import Image
from parlay_core._types import FunctionCall
from parlay_core.models._types import (
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

__all__ = ["IMAGE_TOKENS", "approximate_message_tokens", "approximate_text_tokens"]

IMAGE_TOKENS = 85
"""Tokens counted per image: the price of a low-detail image at OpenAI, a common lower bound."""

_WORD_CHARS_PER_TOKEN = 6
_PIECES = re.compile(r"(\w+)|[^\w\s]")


def approximate_text_tokens(text: str) -> int:
    """Estimate the number of tokens in ``text`` (see the module notes for the rules).

    Example:
        >>> approximate_text_tokens("Hello, world!")
        4
    """
    count = 0
    for match in _PIECES.finditer(text):
        word = match.group(1)
        count += -(-len(word) // _WORD_CHARS_PER_TOKEN) if word else 1
    return count


def _function_call_tokens(calls: Iterable[FunctionCall]) -> int:
    return sum(
        approximate_text_tokens(c.name) + approximate_text_tokens(c.arguments) for c in calls
    )


def _tool_tokens(tool: object) -> int:
    found: object = getattr(tool, "schema", tool)
    if not isinstance(found, Mapping):
        return 0
    schema = cast("Mapping[str, Any]", found)
    text = " ".join(
        [
            str(schema.get("name", "")),
            str(schema.get("description", "")),
            json.dumps(schema.get("parameters", {}), sort_keys=True, default=str),
        ]
    )
    return approximate_text_tokens(text)


def _message_tokens(message: LLMMessage) -> int:
    if isinstance(message, SystemMessage):
        return approximate_text_tokens(message.content)
    if isinstance(message, UserMessage):
        if isinstance(message.content, str):
            return approximate_text_tokens(message.content)
        return sum(
            IMAGE_TOKENS if isinstance(part, Image) else approximate_text_tokens(part)
            for part in message.content
        )
    if isinstance(message, AssistantMessage):
        thought = approximate_text_tokens(message.thought) if message.thought else 0
        if isinstance(message.content, str):
            return thought + approximate_text_tokens(message.content)
        return thought + _function_call_tokens(message.content)
    if isinstance(message, FunctionExecutionResultMessage):  # pyright: ignore[reportUnnecessaryIsInstance]
        return sum(approximate_text_tokens(result.content) for result in message.content)
    return 0  # pragma: no cover - LLMMessage is a closed union


def approximate_message_tokens(
    messages: Sequence[LLMMessage] | str | Sequence[FunctionCall],
    *,
    tools: Sequence[object] = (),
) -> int:
    """Estimate the tokens of a prompt (messages plus tool definitions) or of a reply.

    Args:
        messages: The conversation, or a reply's content (text or function calls).
        tools: Tools (objects with a ``schema``) or tool schemas offered with the prompt.

    Returns:
        The estimated token count.
    """
    if isinstance(messages, str):
        total = approximate_text_tokens(messages)
    else:
        total = 0
        for item in messages:
            if isinstance(item, FunctionCall):
                total += _function_call_tokens((item,))
            else:
                total += _message_tokens(item)
    return total + sum(_tool_tokens(tool) for tool in tools)
