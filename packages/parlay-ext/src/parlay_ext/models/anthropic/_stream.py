"""Reading Anthropic responses (whole or streamed) into a :class:`CreateResult`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from parlay_core import FunctionCall
from parlay_core.models import CreateResult, RequestUsage
from parlay_ext.models.anthropic._sdk import Message, RawMessageStreamEvent
from parlay_ext.models.anthropic._transform import finish_reason, function_call

__all__ = ["StreamAssembler", "message_result", "usage_of"]


def usage_of(usage: object) -> RequestUsage:
    """Prompt tokens (including cache reads and writes) and output tokens of a usage object."""
    prompt = 0
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = getattr(usage, name, None)
        if isinstance(value, int):
            prompt += value
    output = getattr(usage, "output_tokens", None)
    return RequestUsage(prompt_tokens=prompt, completion_tokens=output or 0)


def _result(
    text: str,
    thought: str,
    calls: list[FunctionCall],
    stop_reason: str | None,
    usage: RequestUsage,
    structured: str | None,
) -> CreateResult:
    thought_text = thought or None
    if structured is not None:
        # Structured output arrives as the input of the forced tool; the caller asked for JSON.
        for call in calls:
            if call.name == structured:
                return CreateResult(
                    finish_reason="stop",
                    content=call.arguments,
                    usage=usage,
                    cached=False,
                    thought=thought_text,
                )
    if calls:
        if text.strip():
            thought_text = f"{thought_text}\n{text}" if thought_text else text
        return CreateResult(
            finish_reason="function_calls",
            content=calls,
            usage=usage,
            cached=False,
            thought=thought_text,
        )
    return CreateResult(
        finish_reason=finish_reason(stop_reason, False),
        content=text,
        usage=usage,
        cached=False,
        thought=thought_text,
    )


def message_result(message: Message, structured: str | None) -> CreateResult:
    """Convert a complete Messages API response."""
    text: list[str] = []
    thought: list[str] = []
    calls: list[FunctionCall] = []
    for block in message.content:
        if block.type == "text":
            text.append(block.text)
        elif block.type == "thinking":
            thought.append(block.thinking)
        elif block.type == "tool_use":
            calls.append(function_call(block.id, block.name, block.input))
    return _result(
        "".join(text),
        "".join(thought),
        calls,
        message.stop_reason,
        usage_of(message.usage),
        structured,
    )


@dataclass
class _Block:
    kind: str
    id: str = ""
    name: str = ""
    parts: list[str] = field(default_factory=list[str])


class StreamAssembler:
    """Collects stream events: text, thinking and tool-use blocks, stop reason and usage."""

    def __init__(self) -> None:
        self._blocks: dict[int, _Block] = {}
        self._stop_reason: str | None = None
        self._prompt_usage: Any = None
        self._output_tokens = 0
        self.finished = False

    def add(self, event: RawMessageStreamEvent) -> str | None:
        """Take in one event; return the new reply text it carries, if any."""
        if event.type == "message_start":
            self._prompt_usage = event.message.usage
            self._output_tokens = event.message.usage.output_tokens
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self._blocks[event.index] = _Block("tool_use", block.id, block.name)
            elif block.type == "text":
                self._blocks[event.index] = _Block("text", parts=[block.text] if block.text else [])
            elif block.type == "thinking":
                self._blocks[event.index] = _Block("thinking", parts=[block.thinking])
        elif event.type == "content_block_delta":
            target = self._blocks.setdefault(event.index, _Block("text"))
            delta = event.delta
            if delta.type == "text_delta":
                target.parts.append(delta.text)
                return delta.text
            if delta.type == "input_json_delta":
                target.parts.append(delta.partial_json)
            elif delta.type == "thinking_delta":
                target.parts.append(delta.thinking)
        elif event.type == "message_delta":
            self._stop_reason = event.delta.stop_reason
            self._output_tokens = event.usage.output_tokens
        elif event.type == "message_stop":
            self.finished = True
        return None

    def result(self, structured: str | None) -> CreateResult:
        """Build the final result from everything collected."""
        text: list[str] = []
        thought: list[str] = []
        calls: list[FunctionCall] = []
        for _, block in sorted(self._blocks.items()):
            joined = "".join(block.parts)
            if block.kind == "text":
                text.append(joined)
            elif block.kind == "thinking":
                thought.append(joined)
            else:
                # The partial JSON fragments are sent back exactly as streamed; an empty input
                # means the tool takes no arguments.
                calls.append(
                    FunctionCall(id=block.id, name=block.name, arguments=joined or json.dumps({}))
                )
        prompt = usage_of(self._prompt_usage).prompt_tokens
        usage = RequestUsage(prompt_tokens=prompt, completion_tokens=self._output_tokens)
        return _result("".join(text), "".join(thought), calls, self._stop_reason, usage, structured)
