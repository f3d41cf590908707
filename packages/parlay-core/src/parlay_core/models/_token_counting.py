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

Estimates are cheap to repeat: a conversation is re-estimated on every model call, so the count of
each text is remembered (keyed on the text itself, which is immutable, so a remembered count can
never go stale), and :class:`PromptTokenTally` lets a client re-estimate a growing conversation in
time proportional to the new messages only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from parlay_core._image import Image
from parlay_core._types import FunctionCall
from parlay_core.models._types import (
    MESSAGE_EDITS,
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

__all__ = [
    "IMAGE_TOKENS",
    "PromptTokenTally",
    "approximate_message_tokens",
    "approximate_text_tokens",
]

IMAGE_TOKENS = 85
"""Tokens counted per image: the price of a low-detail image at OpenAI, a common lower bound."""

_WORD_CHARS_PER_TOKEN = 6
_PIECES = re.compile(r"(\w+)|[^\w\s]")

# Counts of texts seen before. A conversation is re-estimated on every model call, so the same
# texts come back again and again; a dictionary hit costs far less than the regex scan. Strings
# cache their hash, so a hit on the very same string object is constant time. The memory held is
# bounded by characters, not entries: past the budget the whole table is dropped and refilled
# (cheaper and scan-proof, unlike an LRU, which a conversation longer than its size defeats).
_TEXT_COUNTS: dict[str, int] = {}
_TEXT_CACHE_CHARS = 4_000_000
_text_cache_used = 0


def _scan_text_tokens(text: str) -> int:
    count = 0
    for match in _PIECES.finditer(text):
        word = match.group(1)
        count += -(-len(word) // _WORD_CHARS_PER_TOKEN) if word else 1
    return count


def approximate_text_tokens(text: str) -> int:
    """Estimate the number of tokens in ``text`` (see the module notes for the rules).

    Example:
        >>> approximate_text_tokens("Hello, world!")
        4
    """
    global _text_cache_used  # one process-wide table, see _TEXT_COUNTS
    count = _TEXT_COUNTS.get(text)
    if count is None:
        count = _scan_text_tokens(text)
        if _text_cache_used + len(text) > _TEXT_CACHE_CHARS:
            _TEXT_COUNTS.clear()
            _text_cache_used = 0
        if len(text) <= _TEXT_CACHE_CHARS:
            _TEXT_COUNTS[text] = count
            _text_cache_used += len(text)
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


class PromptTokenTally:
    """Estimates successive prompts of one conversation, re-estimating only what changed.

    A chat client sees the same conversation again on every call, one or two messages longer.
    The tally remembers the messages of the previous prompt and their estimates. When the
    previous prompt is the start of the new one (the usual case) only the new messages are
    estimated; that check compares the message objects and runs in C, so a call costs little
    more than estimating its new messages. Any other prompt (a window that dropped messages, a
    reordered list) reuses the estimate of every message object it already holds.

    The result always equals :func:`approximate_message_tokens` of the same prompt: assigning
    a field of any model message makes the next call re-estimate every message, and messages
    whose content is a list (images, function calls or results, which can be changed in place)
    are estimated afresh on every call.

    Example:
        >>> from parlay_core.models import UserMessage
        >>> tally = PromptTokenTally()
        >>> history = [UserMessage(content="Hello, world!", source="user")]
        >>> tally.count(history)
        4
        >>> history.append(UserMessage(content="Hi again", source="user"))
        >>> tally.count(history)
        6
    """

    __slots__ = ("_counts", "_edits", "_known", "_messages", "_total", "_unstable")

    def __init__(self) -> None:
        self._messages: list[LLMMessage] = []
        self._counts: list[int] = []  # the estimate of each message of self._messages
        self._total = 0  # sum(self._counts)
        self._unstable: list[int] = []  # positions whose content is a list: estimated each call
        # The stable messages of the previous prompt by id, with their estimates. The entry holds
        # the message, so its id cannot be reused while the entry exists.
        self._known: dict[int, tuple[LLMMessage, int]] = {}
        self._edits = MESSAGE_EDITS.value  # message edits seen when the estimates were made

    def count(self, messages: Sequence[LLMMessage], *, tools: Sequence[object] = ()) -> int:
        """Estimate a prompt, as :func:`approximate_message_tokens` does.

        Args:
            messages: The conversation.
            tools: Tools (objects with a ``schema``) or tool schemas offered with the prompt.

        Returns:
            The estimated token count.
        """
        current = list(messages)
        previous = self._messages
        known = len(previous)
        tool_tokens = sum(_tool_tokens(tool) for tool in tools) if tools else 0
        edits = MESSAGE_EDITS.value
        # List equality compares identical items without calling __eq__, so when the previous
        # prompt is a prefix of this one this check runs at C speed. (Equal messages that are
        # not identical have equal estimates, so equality is enough.)
        if edits != self._edits or len(current) < known or current[:known] != previous:
            return self._recount(current, edits) + tool_tokens
        counts = self._counts
        total = self._total
        for index in self._unstable:
            count = _message_tokens(current[index])
            total += count - counts[index]
            counts[index] = count
        for index in range(known, len(current)):
            message = current[index]
            count = _message_tokens(message)
            counts.append(count)
            total += count
            if isinstance(message.content, str):
                self._known[id(message)] = (message, count)
            else:
                self._unstable.append(index)
        self._messages = current
        self._total = total
        return total + tool_tokens

    def _recount(self, current: list[LLMMessage], edits: int) -> int:
        # After an edit nothing remembered can be trusted; otherwise every message object of the
        # previous prompt keeps its estimate wherever it now stands.
        reusable = self._known if edits == self._edits else {}
        counts: list[int] = []
        unstable: list[int] = []
        remembered: dict[int, tuple[LLMMessage, int]] = {}
        for index, message in enumerate(current):
            entry = reusable.get(id(message))
            if entry is not None and entry[0] is message:
                count = entry[1]
            else:
                count = _message_tokens(message)
            counts.append(count)
            if isinstance(message.content, str):
                remembered[id(message)] = (message, count)
            else:
                unstable.append(index)
        self._messages = current
        self._counts = counts
        self._total = sum(counts)
        self._unstable = unstable
        self._known = remembered
        self._edits = edits
        return self._total
