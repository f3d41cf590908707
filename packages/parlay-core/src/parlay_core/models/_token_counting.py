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
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress
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


_content_of = operator.attrgetter("content")


class _Unmatched:
    """Stands in for a content that must be estimated again on every call (see PromptTokenTally)."""

    __slots__ = ()


class PromptTokenTally:
    """Estimates successive prompts of one conversation, re-estimating only what changed.

    A chat client sees the same conversation again on every call, one or two messages longer.
    The tally remembers the messages of the previous prompt, their text contents and their
    estimates; a message at the same position that is the same object with the same content
    object (texts are immutable) reuses its estimate. That comparison runs in C over the whole
    prompt, so a call costs little more than estimating its new messages. Messages whose content
    is a list (images, function calls or results, which can be changed in place) and assistant
    messages with a ``thought`` are estimated afresh each time, so the result equals
    :func:`approximate_message_tokens` of the same prompt. (One edit goes unseen: giving a
    ``thought`` in place to an assistant message that had none after it was counted.)

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

    __slots__ = ("_contents", "_counts", "_messages", "_total")

    def __init__(self) -> None:
        self._messages: list[LLMMessage] = []
        self._contents: list[object] = []
        self._counts: list[int] = []
        self._total = 0  # sum(self._counts)

    def count(self, messages: Sequence[LLMMessage], *, tools: Sequence[object] = ()) -> int:
        """Estimate a prompt, as :func:`approximate_message_tokens` does.

        Args:
            messages: The conversation.
            tools: Tools (objects with a ``schema``) or tool schemas offered with the prompt.

        Returns:
            The estimated token count.
        """
        current = list(messages)
        contents: list[object] = list(map(_content_of, current))
        previous = self._messages
        known = min(len(current), len(previous))
        tool_tokens = sum(_tool_tokens(tool) for tool in tools) if tools else 0
        # List equality compares identical items without calling __eq__, so when the previous
        # prompt is a prefix of this one (the usual case) this check runs at C speed. Equal
        # messages with equal text contents have equal estimates, so equality is enough.
        if (
            known == len(previous)
            and current[:known] == previous
            and contents[:known] == self._contents
        ):
            # The usual case: the previous prompt plus new messages at the end. Its counts
            # and their sum are reused as they are.
            counts = self._counts
            total = self._total
            for index in range(known, len(current)):
                message = current[index]
                count = _message_tokens(message)
                counts.append(count)
                total += count
                if not _is_stable(message):
                    contents[index] = _Unmatched()
            self._messages = current
            self._contents = contents
            self._total = total
            return total + tool_tokens
        # Per position: the same message object with the same (immutable) content object.
        same = [
            message is previous_message and content is previous_content
            for message, previous_message, content, previous_content in zip(
                current[:known],
                previous[:known],
                contents[:known],
                self._contents[:known],
                strict=True,
            )
        ]
        new_counts = [0] * known
        for index, count in zip(
            compress(range(known), same), compress(self._counts, same), strict=True
        ):
            new_counts[index] = count
        fresh = [index for index, hit in enumerate(same) if not hit]
        fresh.extend(range(known, len(current)))
        new_counts.extend([0] * (len(current) - known))
        for index in fresh:
            message = current[index]
            new_counts[index] = _message_tokens(message)
            if not _is_stable(message):
                contents[index] = _Unmatched()
        self._messages = current
        self._contents = contents
        self._counts = new_counts
        self._total = sum(new_counts)
        return self._total + tool_tokens


def _is_stable(message: LLMMessage) -> bool:
    """Whether a message's estimate depends only on the message object and its text content."""
    if not isinstance(message.content, str):
        return False
    return not (isinstance(message, AssistantMessage) and message.thought is not None)
