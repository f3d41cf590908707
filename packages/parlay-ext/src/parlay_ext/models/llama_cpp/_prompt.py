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
    "ToolMode",
    "convert_messages",
    "parse_reply",
    "tool_grammar",
    "tool_instructions",
]

CALL_OPEN = "<tool_call>"
CALL_CLOSE = "</tool_call>"
ToolMode = Literal["auto", "required"]

_CALL = re.compile(re.escape(CALL_OPEN) + r"\s*(?P<json>.*?)\s*" + re.escape(CALL_CLOSE), re.DOTALL)
_ROOT = re.compile(r"^root ::=", re.MULTILINE)


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
                append("user", message.content)
            else:  # images were refused earlier (no vision); keep the text parts
                append("user", "\n".join(p for p in message.content if isinstance(p, str)))
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
    if mode == "auto":
        how += " If no tool is needed, answer normally."
    return f"You can call these tools:\n{listing}\n{how}"


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
