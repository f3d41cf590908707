"""Reading the progress ledger, the JSON the orchestrator's model answers each step with.

Models wrap JSON in prose or code fences, write booleans as strings, or vary a name's case;
all of that is accepted. What cannot be read raises :class:`LedgerFormatError`, whose message
is sent back to the model so it can correct its reply. A model client that supports structured
output is given the ledger's shape as a pydantic model (:func:`ledger_schema`), so its reply
is constrained to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, create_model

__all__ = [
    "LEDGER_KEYS",
    "LedgerFormatError",
    "ProgressLedger",
    "extract_json",
    "ledger_schema",
    "parse_ledger",
]

LEDGER_KEYS = (
    "is_request_satisfied",
    "is_in_loop",
    "is_progress_being_made",
    "next_speaker",
    "instruction_or_question",
)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class LedgerFormatError(ValueError):
    """A reply is not a usable progress ledger; the message says what is wrong."""


@dataclass(slots=True)
class ProgressLedger:
    """One step's progress ledger.

    Attributes:
        is_request_satisfied: The request was answered completely.
        is_in_loop: The team repeats itself.
        is_progress_being_made: Recent turns added value.
        next_speaker: The participant who acts next.
        instruction: What the orchestrator tells that participant.
        reasons: The model's reason for each answer, by key.
    """

    is_request_satisfied: bool
    is_in_loop: bool
    is_progress_being_made: bool
    next_speaker: str
    instruction: str
    reasons: dict[str, str] = field(default_factory=dict[str, str])


class _Judgement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str
    answer: bool


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str
    answer: str


def ledger_schema(names: Sequence[str]) -> type[BaseModel]:
    """The progress ledger's shape as a pydantic model, for a structured-output request.

    Every entry is ``{"reason": ..., "answer": ...}`` as the ledger prompt asks, in the prompt's
    order; the next speaker's answer is one of ``names``.

    Args:
        names: The participants' names.
    """
    speaker: Any = cast(Any, Literal)[tuple(names)]
    speaker_entry = create_model(
        "NextSpeaker",
        __config__=ConfigDict(extra="forbid"),
        reason=(str, ...),
        answer=(speaker, ...),
    )
    return create_model(
        "ProgressLedger",
        __config__=ConfigDict(extra="forbid"),
        is_request_satisfied=(_Judgement, ...),
        is_in_loop=(_Judgement, ...),
        is_progress_being_made=(_Judgement, ...),
        next_speaker=(speaker_entry, ...),
        instruction_or_question=(_Text, ...),
    )


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in ``text``: the whole text, a fenced block, or an embedded one.

    Raises:
        LedgerFormatError: No JSON object is found.
    """
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return cast(dict[str, Any], value)
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            return cast(dict[str, Any], value)
    raise LedgerFormatError("The reply holds no JSON object.")


def _entry(data: Mapping[str, Any], key: str) -> tuple[Any, str]:
    if key not in data:
        raise LedgerFormatError(f"The JSON object has no {key!r} entry.")
    entry = data[key]
    if isinstance(entry, Mapping):
        fields = cast(Mapping[str, Any], entry)
        if "answer" not in fields:
            raise LedgerFormatError(f"The {key!r} entry has no 'answer'.")
        return fields["answer"], str(fields.get("reason", ""))
    return entry, ""  # a bare answer instead of {"reason", "answer"}


def _boolean(key: str, answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str):
        word = answer.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise LedgerFormatError(f"The answer of {key!r} must be true or false, not {answer!r}.")


def _speaker(answer: Any, names: Sequence[str]) -> str:
    if isinstance(answer, str):
        wanted = answer.strip()
        if wanted in names:
            return wanted
        folded = [n for n in names if n.lower() == wanted.lower()]
        if len(folded) == 1:
            return folded[0]
    raise LedgerFormatError(
        f"The answer of 'next_speaker' must be one of {list(names)}, not {answer!r}."
    )


def parse_ledger(text: str, names: Sequence[str]) -> ProgressLedger:
    """Read a progress ledger from a model reply.

    Args:
        text: The model's reply.
        names: The participants' names, one of which must be the next speaker.

    Raises:
        LedgerFormatError: The reply is not a usable ledger (the message says why).
    """
    data = extract_json(text)
    answers: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for key in LEDGER_KEYS:
        answers[key], reasons[key] = _entry(data, key)
    instruction = answers["instruction_or_question"]
    if not isinstance(instruction, str):
        raise LedgerFormatError("The answer of 'instruction_or_question' must be a string.")
    return ProgressLedger(
        is_request_satisfied=_boolean("is_request_satisfied", answers["is_request_satisfied"]),
        is_in_loop=_boolean("is_in_loop", answers["is_in_loop"]),
        is_progress_being_made=_boolean(
            "is_progress_being_made", answers["is_progress_being_made"]
        ),
        next_speaker=_speaker(answers["next_speaker"], names),
        instruction=instruction,
        reasons=reasons,
    )
