"""Converting between Parlay's model messages and the Anthropic Messages API wire format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, cast

from pydantic import BaseModel

from parlay_core import FunctionCall, Image
from parlay_core.models import (
    AssistantMessage,
    FinishReasons,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import ToolSchema

__all__ = [
    "convert_messages",
    "convert_tool_choice",
    "convert_tools",
    "finish_reason",
    "structured_output_tool",
    "tool_input",
]

_FINISH: dict[str, FinishReasons] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "function_calls",
    "refusal": "content_filter",
}


def tool_input(arguments: str) -> dict[str, Any]:
    """Parse a function call's arguments back into the object Anthropic expects as ``input``.

    Arguments that are not a JSON object (a model can write anything) are kept under
    ``"arguments"`` rather than dropped, so the conversation can still be sent back.
    """
    try:
        parsed: Any = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        return {"arguments": arguments}
    if isinstance(parsed, dict):
        return cast("dict[str, Any]", parsed)
    return {"arguments": parsed}


def _user_blocks(message: UserMessage) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, Image):
            source = {"type": "base64", "media_type": part.mime_type, "data": part.to_base64()}
            blocks.append({"type": "image", "source": source})
        elif part:
            blocks.append({"type": "text", "text": part})
    return blocks


def _as_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def convert_messages(messages: Sequence[LLMMessage]) -> tuple[str | None, list[dict[str, Any]]]:
    """Convert a conversation to the Messages API's ``system`` and ``messages``.

    Anthropic takes instructions only as one top-level system prompt, so every
    :class:`SystemMessage` is joined into it, in order. Turns of the same role that follow each
    other are merged into one turn, since the API expects user and assistant to alternate; tool
    results are user turns.
    """
    system: list[str] = []
    turns: list[dict[str, Any]] = []

    def append(role: str, content: str | list[dict[str, Any]]) -> None:
        if isinstance(content, str) and not content:
            return  # the API refuses empty text
        if turns and turns[-1]["role"] == role:
            previous = _as_blocks(turns[-1]["content"])
            turns[-1]["content"] = previous + _as_blocks(content)
        else:
            turns.append({"role": role, "content": content})

    for message in messages:
        if isinstance(message, SystemMessage):
            system.append(message.content)
        elif isinstance(message, UserMessage):
            append("user", _user_blocks(message))
        elif isinstance(message, AssistantMessage):
            if isinstance(message.content, str):
                append("assistant", message.content)
                continue
            blocks: list[dict[str, Any]] = []
            if message.thought:
                blocks.append({"type": "text", "text": message.thought})
            for call in message.content:
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": tool_input(call.arguments),
                    }
                )
            append("assistant", blocks)
        elif isinstance(message, FunctionExecutionResultMessage):  # pyright: ignore[reportUnnecessaryIsInstance]
            results: list[dict[str, Any]] = []
            for result in message.content:
                block: dict[str, Any] = {
                    "type": "tool_result",
                    "tool_use_id": result.call_id,
                    "content": result.content,
                }
                if result.is_error:
                    block["is_error"] = True
                results.append(block)
            append("user", results)
    # The API rejects a final assistant turn (a prefill) that ends in whitespace.
    if turns and turns[-1]["role"] == "assistant" and isinstance(turns[-1]["content"], str):
        turns[-1]["content"] = turns[-1]["content"].rstrip()
    return ("\n\n".join(system) if system else None), turns


def convert_tools(schemas: Sequence[ToolSchema]) -> list[dict[str, Any]]:
    """Convert tool schemas to the request's ``tools`` list."""
    tools: list[dict[str, Any]] = []
    for schema in schemas:
        tool: dict[str, Any] = {
            "name": schema["name"],
            "input_schema": dict(schema.get("parameters", {"type": "object", "properties": {}})),
        }
        if "description" in schema:
            tool["description"] = schema["description"]
        tools.append(tool)
    return tools


def convert_tool_choice(
    choice: Literal["auto", "required", "none"], forced: str | None
) -> dict[str, Any]:
    """Convert a tool choice (a mode, or the name of the one tool forced) to the wire form."""
    if forced is not None:
        return {"type": "tool", "name": forced}
    return {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}


def structured_output_tool(model: type[BaseModel]) -> dict[str, Any]:
    """A tool whose input schema is ``model``; forcing it makes Claude answer in that schema."""
    return {
        "name": model.__name__,
        "description": f"Give the answer as a {model.__name__} object.",
        "input_schema": model.model_json_schema(),
    }


def finish_reason(reason: str | None, has_calls: bool) -> FinishReasons:
    """Map an Anthropic stop reason to Parlay's; tool calls always mean ``function_calls``."""
    if has_calls:
        return "function_calls"
    return _FINISH.get(reason or "", "unknown")


def function_call(block_id: str, name: str, tool_input_value: object) -> FunctionCall:
    """Build a :class:`FunctionCall` from a ``tool_use`` block's id, name and input."""
    return FunctionCall(id=block_id, name=name, arguments=json.dumps(tool_input_value))
