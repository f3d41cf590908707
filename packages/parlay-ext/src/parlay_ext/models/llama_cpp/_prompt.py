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
from parlay_ext.models.llama_cpp._arguments import missing_value_kind
from parlay_ext.models.llama_cpp._sdk import json_schema_to_gbnf

__all__ = [
    "CALL_CLOSE",
    "CALL_OPEN",
    "NO_TOOL",
    "DecisionStrategy",
    "ToolMode",
    "arguments_available",
    "asks_for_text",
    "asks_how_or_why",
    "choose_tool",
    "convert_messages",
    "copy_grammar",
    "decision_grammar",
    "decision_messages",
    "describe_parameters",
    "free_text_parameters",
    "lexical_scores",
    "names_the_action",
    "parse_reply",
    "tool_grammar",
    "tool_instructions",
    "uncopied_strings",
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


_KINDS = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
    "array": "list",
    "object": "object",
}


def _kind(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "one of " + ", ".join(json.dumps(v) for v in cast("list[Any]", spec["enum"]))
    if "const" in spec:
        return f"always {json.dumps(spec['const'])}"
    kind = spec.get("type")
    if isinstance(kind, list):
        return " or ".join(_KINDS.get(str(k), str(k)) for k in cast("list[object]", kind))
    if isinstance(kind, str):
        return _KINDS.get(kind, kind)
    return "any value"


def describe_parameters(schema: ToolSchema) -> list[str]:
    """One plain line per parameter: its name, kind, whether it is required, its description.

    A small model reads ``- people (whole number; required): how many guests`` far better than
    the JSON schema the line is made from.
    """
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    required = set(cast("list[str]", parameters.get("required", []) or []))
    lines: list[str] = []
    for name, raw in properties.items():
        spec = cast("dict[str, Any]", raw) if isinstance(raw, dict) else {}
        notes = [_kind(spec), "required" if name in required else "optional"]
        if name not in required and "default" in spec:
            notes[-1] = f"optional, default {json.dumps(spec['default'])}"
        line = f"- {name} ({'; '.join(notes)})"
        description = str(spec.get("description", "")).strip()
        # A parameter without its own description gets its name as one: saying it twice is noise.
        if description and description.lower() != name.lower():
            line += f": {description}"
        lines.append(line)
    return lines


def _describe_tool(schema: ToolSchema) -> str:
    description = schema.get("description", "").strip()
    head = f"{schema['name']}: {description}" if description else schema["name"]
    parameters = describe_parameters(schema)
    return "\n".join([head, *parameters]) if parameters else f"{head}\n(no arguments)"


_COPY_VALUES = (
    "Copy argument values exactly as the user wrote them; never invent placeholders. "
    "Leave out an optional argument the user did not give."
)


def tool_instructions(schemas: Sequence[ToolSchema], mode: ToolMode) -> str:
    """The system-prompt text that tells the model which tools exist and how to call one.

    When the reply must call the one tool offered (a forced tool, or the decision step's
    choice) the text is about that tool alone: its description and one line per argument.
    """
    if mode == "required" and len(schemas) == 1:
        schema = schemas[0]
        name = json.dumps(schema["name"])
        return (
            f"Call the tool {_describe_tool(schema)}\n"
            f'Reply with only {CALL_OPEN}{{"name": {name}, "arguments": {{...}}}}{CALL_CLOSE}, '
            "with the arguments "
            f"taken from the user's last message. {_COPY_VALUES}"
        )
    listing = "\n\n".join(_describe_tool(s) for s in schemas)
    how = (
        f'To call a tool, reply with only {CALL_OPEN}{{"name": "<tool name>", "arguments": '
        f"{{...}}}}{CALL_CLOSE}. {_COPY_VALUES}"
    )
    if mode == "auto":
        how += " If no tool is needed, answer normally."
    return f"You can call these tools:\n\n{listing}\n\n{how}"


def _signature(schema: ToolSchema) -> str:
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    return f"{schema['name']}({', '.join(properties)})"


def decision_messages(schemas: Sequence[ToolSchema], request: str) -> list[dict[str, str]]:
    """The short prompt of the decision step: which offered tool, if any, fits ``request``.

    A small model decides far better on a short list of names and descriptions and the one
    message to act on than buried under a whole conversation and JSON schemas.
    """
    listing = "\n".join(f"- {_signature(s)}: {s.get('description', '')}".rstrip() for s in schemas)
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


def _name_words(schema: ToolSchema) -> list[str]:
    return [w for w in schema["name"].lower().split("_") if w]


def lexical_scores(schemas: Sequence[ToolSchema], request: str) -> dict[str, int]:
    """How strongly the request's words tie it to each tool's name, description and parameters.

    A parameter contributes its name, its description and its allowed (enum) values. Each of
    the request's words counts once per tool, by the strongest tie: 3 for the thing the tool
    acts on (the last word of its name: ``fan`` of ``toggle_fan``), 2 for another word of its
    name, 1 for any other of its words. Among many similar tools the thing acted on tells them
    apart: "turn the fan off" shares "turn" and "off" with a lights tool's description but
    names the fan.
    """
    asked = _words(request)
    scores: dict[str, int] = {}
    for schema in schemas:
        parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
        properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
        name_words = _name_words(schema)
        thing: set[str] = _words(name_words[-1]) if name_words else set()
        named = _words(" ".join(name_words))
        words = [schema.get("description", "")]
        for name, raw in properties.items():
            # A parameter's name, description and allowed values are the tool's words too
            # ("fahrenheit" names the thermostat as surely as "thermostat" does).
            spec = cast("dict[str, Any]", raw) if isinstance(raw, dict) else {}
            words.append(name.replace("_", " "))
            words.append(str(spec.get("description", "")))
            words += [v for v in cast("list[Any]", spec.get("enum", [])) if isinstance(v, str)]
        offered = _words(" ".join(words))
        score = 0
        for word in asked:
            if any(_related(word, o) for o in thing):
                score += 3
            elif any(_related(word, o) for o in named):
                score += 2
            elif any(_related(word, o) for o in offered):
                score += 1
        scores[schema["name"]] = score
    return scores


# Requests that ask for an explanation, advice or an opinion: text, not an action, unless
# they also name what a tool does ("how do fans keep a room cool?" names no starting).
_ASKS_FOR_TEXT = re.compile(
    r"^\W*(?:why|how\s+(?:do|does|did|can|could|should|would|to)|what\s+does|summari[sz]e)\b"
    r"|\b(?:explain\w*|describe|tips?|advice|advise|recommend\w*|opinion|difference\s+between"
    r"|meaning\s+of)\b",
    re.IGNORECASE,
)


def asks_for_text(request: str) -> bool:
    """Whether ``request`` asks for an explanation, advice or an opinion ("why is the sky
    blue?", "tips for writing a subject line") rather than for something to be done."""
    return _ASKS_FOR_TEXT.search(request) is not None


# Questions about how or why something is: they ask for an explanation whatever words they
# share with a tool ("how do door locks work?", "why do stock markets crash?").
_ASKS_HOW_OR_WHY = re.compile(r"^\W*(?:why(?!\s+not\b)|how\s+(?:do|does|did))\b", re.IGNORECASE)


def asks_how_or_why(request: str) -> bool:
    """Whether ``request`` asks why something is or how it works ("why do stock markets
    crash?", "how do door locks work?"): an explanation, never an action ("why not turn the
    lights off?" suggests one)."""
    return _ASKS_HOW_OR_WHY.search(request) is not None


def names_the_action(schema: ToolSchema, request: str) -> bool:
    """Whether ``request`` uses the tool's verb: its name's first word or its description's.

    ``send`` of ``send_email``, ``start`` of "Start or stop the fan". Only the first word is
    a verb: the ``stock`` of ``get_stock_price`` is the thing it acts on. A verb too common
    to tell anything (``get``, ``set``) is no evidence.
    """
    name_words = _name_words(schema)
    verbs = _words(" ".join(name_words[:1])) if len(name_words) > 1 else set[str]()
    description = _WORD.findall(str(schema.get("description", "")).lower())
    verbs |= _words(" ".join(description[:1]))
    return any(_related(a, v) for a in _words(request) for v in verbs)


DecisionStrategy = Literal["model", "words", "both", "grammar"]


def word_choice(schemas: Sequence[ToolSchema], request: str) -> str | None:
    """The tool sharing the most words with ``request`` (the first on a tie), or ``None``.

    Only tools whose required numbers the request could supply count (see
    :func:`arguments_available`): "at what temperature does water boil?" shares a word with a
    thermostat but gives it no temperature to set. A request asking for an explanation or
    advice (:func:`asks_for_text`) counts a tool only if it also uses the tool's verb
    (:func:`names_the_action`).
    """
    scores = lexical_scores(schemas, request)
    text = asks_for_text(request)
    usable = [
        s["name"]
        for s in schemas
        if scores[s["name"]] > 0
        and arguments_available(s, request)
        and (not text or names_the_action(s, request))
    ]
    return max(usable, key=lambda name: scores[name], default=None)


_NUMBER = re.compile(
    r"\d|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|thousand)\b",
    re.IGNORECASE,
)


def arguments_available(schema: ToolSchema, request: str) -> bool:
    """Whether ``request`` could supply the tool's required numbers, addresses, currencies, places.

    A tool with a required numeric parameter cannot be what a request without any number
    asks for; a small model still picks such tools (``add`` for "what is a noun?"). Nor can a
    tool that needs an e-mail address (its parameter's name or description says so) be what a
    request without one asks for: "how do I write a polite email?" is a question. Likewise a
    currency (for "convert 5 kilometers to miles") and a place (see
    :func:`~parlay_ext.models.llama_cpp._arguments.missing_value_kind`).
    """
    if missing_value_kind(schema, request) is not None:
        return False
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    required = cast("list[str]", parameters.get("required", []) or [])
    numeric = any(
        cast("dict[str, Any]", properties.get(name, {})).get("type") in ("integer", "number")
        for name in required
    )
    return not numeric or _NUMBER.search(request) is not None


def choose_tool(
    schemas: Sequence[ToolSchema],
    request: str,
    model_choice: str | None,
    strategy: Literal["model", "words", "grammar"],
) -> str | None:
    """Decide which tool to call, if any, for the ``model`` and ``words`` strategies.

    ``model`` takes the model's choice when it names an offered tool; ``words`` takes the tool
    that shares the most words with the request (no call when none shares any; see
    :func:`word_choice`). (``grammar`` is decided by the reply itself and never reaches here;
    it is treated as ``model``.) The default ``both`` decides by the model's likelihood
    instead (see ``_scoring``).

    Returns:
        The tool's name, or ``None`` for no call.
    """
    if strategy == "words":
        return word_choice(schemas, request)
    names = {s["name"] for s in schemas}
    return model_choice if model_choice in names else None


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


_MAX_COPY_WORDS = 300  # words of the request an argument may be copied from
_OUTER_PUNCTUATION = ".,;:!?\"'()[]{}<>"
_COPY_MARK = "parlay-copied-text"


def _copy_words(request: str) -> list[str]:
    return request.split()[:_MAX_COPY_WORDS]


def _copied(value: str, words: Sequence[str]) -> bool:
    """Whether ``value`` is a run of ``words`` (ignoring case and the run's outer punctuation)."""
    wanted = value.strip().lower().split()
    if not wanted:
        return False
    lowered = [w.lower() for w in words]
    for start in range(len(lowered) - len(wanted) + 1):
        run = lowered[start : start + len(wanted)]
        inner_ok = run[1:-1] == wanted[1:-1] if len(wanted) > 2 else True
        if not inner_ok:
            continue
        if len(wanted) == 1:
            if wanted[0] in (run[0], run[0].strip(_OUTER_PUNCTUATION)):
                return True
            continue
        first_ok = wanted[0] in (run[0], run[0].lstrip(_OUTER_PUNCTUATION))
        last_ok = wanted[-1] in (run[-1], run[-1].rstrip(_OUTER_PUNCTUATION))
        if first_ok and last_ok:
            return True
    return False


def uncopied_strings(schema: ToolSchema, arguments: dict[str, Any], request: str) -> list[str]:
    """The free-text arguments (strings without an enum) that are not words of ``request``.

    A value counts as copied when it is a run of the request's words (ignoring case and the
    run's outer punctuation): ``example.com`` is not copied from "write to bob@example.com",
    nor is ``<user name>`` from anything.
    """
    words = _copy_words(request)
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    names: list[str] = []
    for name, raw in properties.items():
        spec = cast("dict[str, Any]", raw) if isinstance(raw, dict) else {}
        value = arguments.get(name)
        free_text = spec.get("type") == "string" and "enum" not in spec
        if free_text and isinstance(value, str) and not _copied(value, words):
            names.append(name)
    return names


def free_text_parameters(schema: ToolSchema) -> list[str]:
    """The parameters whose value is free text: strings without an enum."""
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    return [
        name
        for name, raw in properties.items()
        if isinstance(raw, dict)
        and cast("dict[str, Any]", raw).get("type") == "string"
        and "enum" not in raw
    ]


def _span_rules(request: str) -> tuple[str, str]:
    """GBNF rules whose sentences are the runs of the request's words, and the start symbol.

    ``parlay-copy-i`` continues a run at word ``i``: the word and optionally the next run, or
    the word without its trailing punctuation to end the run. A run may start at any word, also
    without its leading punctuation. The rules grow with the request, not with the number of
    runs, so a long request keeps the grammar small. A run is written as a JSON string (quoted
    and escaped): the value of a call's argument.
    """

    def literal(text: str) -> str:
        # Non-ASCII stays itself in the JSON (the model writes "café", not an escape).
        return json.dumps(json.dumps(text, ensure_ascii=False)[1:-1])

    words = _copy_words(request)
    rules: list[str] = []
    starts: list[str] = []
    for i, word in enumerate(words):
        tail = f' (" " parlay-copy-{i + 1})?' if i + 1 < len(words) else ""
        choices = [f"{literal(word)}{tail}"]
        stripped = word.rstrip(_OUTER_PUNCTUATION)
        if stripped and stripped != word:
            choices.append(literal(stripped))
        rules.append(f"parlay-copy-{i} ::= " + " | ".join(choices))
        starts.append(f"parlay-copy-{i}")
        lead = word.lstrip(_OUTER_PUNCTUATION)
        if lead and lead != word:
            starts.append(f"{literal(lead)}{tail}")
            both = lead.rstrip(_OUTER_PUNCTUATION)
            if both and both != lead:
                starts.append(literal(both))
    run = "(" + " | ".join(starts) + ")"
    rules.append(f'parlay-copy ::= "\\"" {run} "\\"" space')
    return "\n".join(rules), "parlay-copy"


def copy_grammar(schema: ToolSchema, names: Sequence[str], request: str) -> str:
    """A call grammar for one tool whose ``names`` parameters are runs of ``request``'s words.

    Used when a small model must copy text arguments rather than compose them (it makes up
    placeholders and half addresses when free). The other parameters keep their schema, except
    that when the request names allowed values of a parameter ("... in Fahrenheit") the
    parameter is required and limited to those: a small model otherwise leaves it out (and gets
    the default) or picks the first value it was shown.
    """
    parameters = dict(cast("dict[str, Any]", schema.get("parameters", {}) or {}))
    properties = dict(cast("dict[str, Any]", parameters.get("properties", {}) or {}))
    required = list(cast("list[str]", parameters.get("required", []) or []))
    asked = {w.lower().strip(_OUTER_PUNCTUATION) for w in request.split()}
    for name, raw in list(properties.items()):
        spec = cast("dict[str, Any]", raw) if isinstance(raw, dict) else {}
        allowed = cast("list[Any]", spec.get("enum", []))
        named = [v for v in allowed if isinstance(v, str) and v.lower() in asked]
        if named:
            properties[name] = {**spec, "enum": named}
            if name not in required:
                required.append(name)
    parameters["required"] = required
    words = _copy_words(request)
    for name in names if words else ():
        # A placeholder enum, replaced by the span rules in the grammar text below.
        properties[name] = {"enum": [_COPY_MARK]}
    parameters["properties"] = properties
    marked = cast("ToolSchema", {**schema, "parameters": parameters})
    grammar = tool_grammar([marked], "required")
    if not words or not names:
        return grammar
    placeholder = json.dumps(json.dumps(_COPY_MARK))  # the enum's GBNF literal
    rules, start = _span_rules(request)
    return grammar.replace(placeholder, start) + "\n" + rules


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
