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


_MESSAGE_CLASSES = (SystemMessage, UserMessage, AssistantMessage, FunctionExecutionResultMessage)
# The message class each class of message estimates as: itself, or for a subclass the class it
# derives from. Looked up by exact type, because isinstance against a pydantic model class that
# does not match goes through ABCMeta's subclass check, which costs more than estimating a short
# message.
_KIND_OF: dict[type, type | None] = {cls: cls for cls in _MESSAGE_CLASSES}


def _kind(message: object) -> type | None:
    cls = type(message)
    try:
        return _KIND_OF[cls]
    except KeyError:
        kind = next((base for base in _MESSAGE_CLASSES if issubclass(cls, base)), None)
        _KIND_OF[cls] = kind
        return kind


def _message_tokens(message: LLMMessage) -> int:
    kind = _kind(message)
    if kind is AssistantMessage:
        reply = cast("AssistantMessage", message)
        thought = approximate_text_tokens(reply.thought) if reply.thought else 0
        if isinstance(reply.content, str):
            return thought + approximate_text_tokens(reply.content)
        return thought + _function_call_tokens(reply.content)
    if kind is UserMessage:
        user = cast("UserMessage", message)
        if isinstance(user.content, str):
            return approximate_text_tokens(user.content)
        return sum(
            IMAGE_TOKENS if isinstance(part, Image) else approximate_text_tokens(part)
            for part in user.content
        )
    if kind is SystemMessage:
        return approximate_text_tokens(cast("SystemMessage", message).content)
    if kind is FunctionExecutionResultMessage:
        results = cast("FunctionExecutionResultMessage", message)
        return sum(approximate_text_tokens(result.content) for result in results.content)
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


class _Prompt:
    """One remembered prompt of a tally, with the estimate of each of its messages."""

    __slots__ = ("counts", "messages", "total", "unstable")

    def __init__(self, messages: list[LLMMessage], counts: list[int], unstable: list[int]) -> None:
        self.messages = messages  # never changed in place: a newer prompt replaces the list
        self.counts = counts  # the estimate of each message
        self.total = sum(counts)
        self.unstable = unstable  # positions whose content is a list: estimated on every call


class PromptTokenTally:
    """Estimates successive prompts of one conversation, re-estimating only what changed.

    A chat client sees the same conversation again on every call, one or two messages longer.
    The tally remembers the most recent prompts (two: a model context that counts its window
    before the agent sends it with a system message in front makes two growing prompts) and
    the estimate of each of their messages. When a remembered prompt is the start of the new one
    (the usual case) only the new messages are estimated; that check compares the message
    objects and runs in C, so a call costs little more than estimating its new messages. Any
    other prompt (a window that dropped messages, a reordered list) reuses the estimate of
    every message object a remembered prompt holds.

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

    __slots__ = ("_edits", "_prompts")

    _REMEMBERED = 2

    def __init__(self) -> None:
        self._prompts: list[_Prompt] = []  # the most recently used first
        self._edits = MESSAGE_EDITS.value  # message edits seen when the estimates were made

    def count(self, messages: Sequence[LLMMessage], *, tools: Sequence[object] = ()) -> int:
        """Estimate a prompt, as :func:`approximate_message_tokens` does.

        Args:
            messages: The conversation.
            tools: Tools (objects with a ``schema``) or tool schemas offered with the prompt.

        Returns:
            The estimated token count.
        """
        total, _ = self.count_owned(list(messages))
        return total + sum(_tool_tokens(tool) for tool in tools) if tools else total

    def count_owned(self, messages: list[LLMMessage]) -> tuple[int, list[LLMMessage] | None]:
        """Estimate a prompt's messages, keeping ``messages`` itself (not a copy).

        For a caller that already holds its own copy of the prompt: the tally keeps that list,
        and the caller must never change it.

        Args:
            messages: The conversation, a list that nobody changes from now on.

        Returns:
            The estimate of the messages (tools not included) and the remembered prompt that
            ``messages`` extends (the very list given to an earlier call), or ``None`` when no
            remembered prompt is its start.
        """
        edits = MESSAGE_EDITS.value
        prompts = self._prompts
        if edits != self._edits:
            # After an edit in place nothing remembered can be trusted.
            prompts.clear()
            self._edits = edits
        size = len(messages)
        for position, prompt in enumerate(prompts):
            previous = prompt.messages
            known = len(previous)
            # List equality compares identical items without calling __eq__, so when the
            # remembered prompt is a prefix of this one this check runs at C speed. (Equal
            # messages that are not identical have equal estimates, so equality is enough.)
            if known > size or messages[:known] != previous:
                continue
            counts = prompt.counts
            total = prompt.total
            for index in prompt.unstable:
                count = _message_tokens(messages[index])
                total += count - counts[index]
                counts[index] = count
            for index in range(known, size):
                message = messages[index]
                count = _message_tokens(message)
                counts.append(count)
                total += count
                if not isinstance(message.content, str):
                    prompt.unstable.append(index)
            prompt.messages = messages
            prompt.total = total
            if position:
                prompts.insert(0, prompts.pop(position))
            return total, previous
        prompts.insert(0, self._recount(messages))
        del prompts[self._REMEMBERED :]
        return prompts[0].total, None

    def _recount(self, messages: list[LLMMessage]) -> _Prompt:
        # Every message object a remembered prompt holds keeps its estimate wherever it now
        # stands. The remembered prompts hold their messages, so an id stays theirs meanwhile.
        reusable: dict[int, int] = {}
        for prompt in self._prompts:
            for message, count in zip(prompt.messages, prompt.counts, strict=True):
                if isinstance(message.content, str):
                    reusable[id(message)] = count
        counts: list[int] = []
        unstable: list[int] = []
        for index, message in enumerate(messages):
            if isinstance(message.content, str):
                known = reusable.get(id(message))
                count = _message_tokens(message) if known is None else known
            else:
                count = _message_tokens(message)
                unstable.append(index)
            counts.append(count)
        return _Prompt(messages, counts, unstable)
