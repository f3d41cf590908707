"""Prompts, tool-call grammars and reply parsing for an embedded llama.cpp model.

Small local models do not reliably write well-formed tool calls on their own, so a call is
generated under a grammar built from the tools' JSON schemas: whatever the model picks, the
call parses and names one of the offered tools with arguments of the right shape. The call is
written as ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``, the convention many
open chat models were trained on.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any, Literal, cast

from parlay_core import FunctionCall
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import ToolSchema
from parlay_ext.models.llama_cpp._sdk import json_schema_to_gbnf

__all__ = [
    "CALL_CLOSE",
    "CALL_OPEN",
    "NO_TOOL",
    "YES_NO_GRAMMAR",
    "DecisionStrategy",
    "ToolMode",
    "arguments_available",
    "choose_tool",
    "confirm_messages",
    "convert_messages",
    "decision_grammar",
    "decision_messages",
    "lexical_scores",
    "parse_reply",
    "tool_grammar",
    "tool_instructions",
    "word_choice",
]

CALL_OPEN = "<tool_call>"
CALL_CLOSE = "</tool_call>"
ToolMode = Literal["auto", "required"]

_CALL = re.compile(re.escape(CALL_OPEN) + r"\s*(?P<json>.*?)\s*" + re.escape(CALL_CLOSE), re.DOTALL)
_ROOT = re.compile(r"^root ::=", re.MULTILINE)
_WORD = re.compile(r"[a-z]+")
# Words too common to say which tool a request is about.
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "why",
        "are",
        "was",
        "were",
        "you",
        "your",
        "can",
        "could",
        "would",
        "should",
        "will",
        "please",
        "tell",
        "give",
        "get",
        "set",
        "from",
        "into",
        "about",
        "some",
        "any",
        "all",
        "its",
        "it's",
        "is",
        "be",
        "do",
        "does",
        "did",
        "not",
        "have",
        "has",
        "had",
        "there",
        "their",
        "them",
        "they",
        "our",
        "out",
        "one",
        "two",
        "me",
        "my",
        "let",
        "us",
        "just",
        "also",
        "than",
        "then",
        "now",
    ]
)

NO_TOOL = "none"
"""The decision step's answer when no offered tool fits the request."""


def _render_call(call: FunctionCall) -> str:
    try:
        arguments: Any = json.loads(call.arguments) if call.arguments.strip() else {}
    except json.JSONDecodeError:
        arguments = call.arguments
    return f"{CALL_OPEN}{json.dumps({'name': call.name, 'arguments': arguments})}{CALL_CLOSE}"


def convert_messages(
    messages: Sequence[LLMMessage], instructions: str | None
) -> list[dict[str, str]]:
    """Convert a conversation to llama.cpp chat messages (rendered by the GGUF's template).

    Tool calls become ``<tool_call>`` text in the assistant turn and tool results a user turn,
    because many chat templates accept only system, user and assistant turns and some insist
    that user and assistant alternate; adjacent turns of one role are merged for the same reason.
    A user turn from another speaker than ``user`` (another agent of a team) starts with its
    name.
    ``instructions`` (how to call the tools) join the first system message.
    """
    turns: list[dict[str, str]] = []

    def append(role: str, content: str) -> None:
        if turns and turns[-1]["role"] == role and role != "system":
            turns[-1]["content"] += "\n\n" + content
        else:
            turns.append({"role": role, "content": content})

    for message in messages:
        if isinstance(message, SystemMessage):
            append("system", message.content)
        elif isinstance(message, UserMessage):
            if isinstance(message.content, str):
                text = message.content
            else:  # images were refused earlier (no vision); keep the text parts
                text = "\n".join(p for p in message.content if isinstance(p, str))
            # In a team every other agent speaks as "user": naming the speaker keeps turns
            # apart, so a small model answers them instead of repeating them.
            speaker = message.source.strip()
            append("user", f"{speaker}: {text}" if speaker and speaker != "user" else text)
        elif isinstance(message, AssistantMessage):
            if isinstance(message.content, str):
                append("assistant", message.content)
            else:
                append("assistant", "\n".join(_render_call(c) for c in message.content))
        elif isinstance(message, FunctionExecutionResultMessage):  # pyright: ignore[reportUnnecessaryIsInstance]
            for result in message.content:
                status = "error" if result.is_error else "result"
                append("user", f"Tool {result.name} {status}: {result.content}")
    if instructions:
        if turns and turns[0]["role"] == "system":
            turns[0]["content"] += "\n\n" + instructions
        else:
            turns.insert(0, {"role": "system", "content": instructions})
    return turns


def tool_instructions(schemas: Sequence[ToolSchema], mode: ToolMode) -> str:
    """The system-prompt text that tells the model which tools exist and how to call one."""
    listing = json.dumps(
        [
            {
                "name": s["name"],
                "description": s.get("description", ""),
                "parameters": s.get("parameters", {}),
            }
            for s in schemas
        ]
    )
    how = (
        f'To call a tool, reply with only {CALL_OPEN}{{"name": "<tool name>", "arguments": '
        f"{{...}}}}{CALL_CLOSE}."
    )
    # Without this a small model fills string arguments with made-up "<user name>" slots.
    how += " Copy argument values exactly as the user wrote them; never invent placeholders."
    if mode == "auto":
        how += " If no tool is needed, answer normally."
    return f"You can call these tools:\n{listing}\n{how}"


def decision_messages(schemas: Sequence[ToolSchema], request: str) -> list[dict[str, str]]:
    """The short prompt of the decision step: which offered tool, if any, fits ``request``.

    A small model decides far better on a short list of names and descriptions and the one
    message to act on than buried under a whole conversation and JSON schemas.
    """
    listing = "\n".join(f"- {s['name']}: {s.get('description', '')}".rstrip() for s in schemas)
    return [
        {
            "role": "system",
            "content": (
                "Decide whether a tool is needed for the user's message. Tools:\n"
                f"{listing}\nReply with the tool name, or {NO_TOOL} if no tool fits."
            ),
        },
        {"role": "user", "content": request},
    ]


def decision_grammar(names: Sequence[str]) -> str:
    """A GBNF grammar whose only sentences are the tool names and ``none``."""
    choices = " | ".join(json.dumps(name) for name in [*names, NO_TOOL])
    return f"root ::= {choices}"


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS}


def _related(a: str, b: str) -> bool:
    # A shared stem of four letters or more ("weather"/"weathers", "email"/"emailing").
    stem = min(len(a), len(b), 5)
    return (stem >= 4 and a[:stem] == b[:stem]) or a == b


def lexical_scores(schemas: Sequence[ToolSchema], request: str) -> dict[str, int]:
    """How many of the request's words each tool's name, description and parameters share."""
    asked = _words(request)
    scores: dict[str, int] = {}
    for schema in schemas:
        parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
        properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
        text = " ".join(
            [
                schema["name"].replace("_", " "),
                schema.get("description", ""),
                *(name.replace("_", " ") for name in properties),
            ]
        )
        offered = _words(text)
        scores[schema["name"]] = sum(any(_related(a, o) for o in offered) for a in asked)
    return scores


DecisionStrategy = Literal["model", "words", "both", "grammar"]


def word_choice(schemas: Sequence[ToolSchema], request: str) -> str | None:
    """The tool sharing the most words with ``request`` (the first on a tie), or ``None``."""
    scores = lexical_scores(schemas, request)
    best = max(scores, key=lambda name: scores[name], default=None)
    return best if best is not None and scores[best] > 0 else None


_NUMBER = re.compile(
    r"\d|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|thousand)\b",
    re.IGNORECASE,
)


def arguments_available(schema: ToolSchema, request: str) -> bool:
    """Whether ``request`` could supply the tool's required numbers.

    A tool with a required numeric parameter cannot be what a request without any number
    asks for; a small model still picks such tools (``add`` for "what is a noun?").
    """
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    required = cast("list[str]", parameters.get("required", []) or [])
    numeric = any(
        cast("dict[str, Any]", properties.get(name, {})).get("type") in ("integer", "number")
        for name in required
    )
    return not numeric or _NUMBER.search(request) is not None


def confirm_messages(schema: ToolSchema, request: str) -> list[dict[str, str]]:
    """A yes-or-no question: does this one tool do what ``request`` asks?

    A small model picks some tool for almost any request when asked to choose among several;
    asked about one tool alone it says no far more often when the tool does not fit.
    """
    description = schema.get("description", "")
    return [
        {
            "role": "user",
            "content": (
                f"Request: {request}\nTool: {schema['name']} ({description})\n"
                "Does this tool do what the request asks? Answer yes or no."
            ),
        }
    ]


YES_NO_GRAMMAR = 'root ::= "yes" | "no"'
"""The grammar of :func:`confirm_messages`' answer."""


def choose_tool(
    schemas: Sequence[ToolSchema],
    request: str,
    model_choice: str | None,
    strategy: DecisionStrategy = "both",
    *,
    confirmed: bool = True,
) -> str | None:
    """Decide which tool to call, if any, from the model's choice and the request's words.

    ``model`` takes the model's choice; ``words`` takes the tool that shares the most words
    with the request (no call when none shares any); ``both`` takes that tool when one shares
    words, and otherwise the model's choice if the model ``confirmed`` it when asked about
    that tool alone and the request holds a number when the tool requires one. (``grammar`` is decided by the reply itself and never reaches here; it is
    treated as ``model``.)

    Returns:
        The tool's name, or ``None`` for no call.
    """
    names = {s["name"] for s in schemas}
    chosen = model_choice if model_choice in names else None
    if strategy in ("model", "grammar"):
        return chosen
    by_words = word_choice(schemas, request)
    if by_words is not None or strategy == "words":
        return by_words
    if chosen is None or not confirmed:
        return None
    picked = next(s for s in schemas if s["name"] == chosen)
    return chosen if arguments_available(picked, request) else None


def _call_schema(schemas: Sequence[ToolSchema]) -> dict[str, Any]:
    variants = [
        {
            "type": "object",
            "properties": {
                "name": {"const": s["name"]},
                "arguments": dict(s.get("parameters", {"type": "object", "properties": {}})),
            },
            "required": ["name", "arguments"],
        }
        for s in schemas
    ]
    return variants[0] if len(variants) == 1 else {"oneOf": variants}


def tool_grammar(schemas: Sequence[ToolSchema], mode: ToolMode) -> str:
    """Build a GBNF grammar: exactly one well-formed call, or (``auto``) a call or plain text.

    Plain text may not start with ``<``, so the first character decides which branch the model
    is in, and a reply that starts a call has to finish it.
    """
    call_rules = _ROOT.sub(
        "parlay-call-json ::=", json_schema_to_gbnf(json.dumps(_call_schema(schemas))), count=1
    )
    call = f'parlay-call ::= "{CALL_OPEN}" parlay-call-json "{CALL_CLOSE}"'
    if mode == "required":
        root = "root ::= parlay-call"
    else:
        root = "root ::= parlay-call | parlay-text\nparlay-text ::= [^<] [^\\x00]*"
    return f"{root}\n{call}\n{call_rules}"


def parse_reply(text: str) -> tuple[list[FunctionCall], str]:
    """Split a reply into the tool calls it makes and the remaining text.

    Returns:
        The calls (empty for a plain answer) and the text outside them. A call whose JSON does
        not parse (cut off by ``max_tokens``) is left in the text.
    """
    calls: list[FunctionCall] = []
    rest: list[str] = []
    position = 0
    for match in _CALL.finditer(text):
        try:
            payload: Any = json.loads(match.group("json"))
        except json.JSONDecodeError:
            continue
        if not isinstance(payload, dict) or "name" not in payload:
            continue
        data = cast("dict[str, Any]", payload)
        rest.append(text[position : match.start()])
        position = match.end()
        calls.append(
            FunctionCall(
                id=f"call_{uuid.uuid4().hex[:16]}",
                name=str(data["name"]),
                arguments=json.dumps(data.get("arguments", {})),
            )
        )
    rest.append(text[position:])
    return calls, "".join(rest).strip() if calls else text
