"""Assembling a streamed chat completion back into one result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parlay_core import FunctionCall
from parlay_core.models import ChatCompletionTokenLogprob, CreateResult, RequestUsage
from parlay_ext.models._common import split_think_tags
from parlay_ext.models.openai._sdk import ChatCompletionChunk
from parlay_ext.models.openai._transform import (
    convert_logprobs,
    finish_reason,
    reasoning_text,
    usage_of,
)

__all__ = ["StreamAssembler"]


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list[str])


class StreamAssembler:
    """Collects chunks of the first choice: text, reasoning, tool-call fragments and usage."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._thought: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._finish: str | None = None
        self._usage: Any = None
        self._logprobs: list[ChatCompletionTokenLogprob] = []
        self.finished = False

    def add(self, chunk: ChatCompletionChunk) -> str | None:
        """Take in one chunk; return the new reply text it carries, if any."""
        if chunk.usage is not None:
            self._usage = chunk.usage
        new_text: str | None = None
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            thought = reasoning_text(delta)
            if thought:
                self._thought.append(thought)
            if delta.content:
                self._text.append(delta.content)
                new_text = delta.content
            for fragment in delta.tool_calls or []:
                partial = self._calls.setdefault(fragment.index, _PartialCall())
                if fragment.id:
                    partial.id = fragment.id
                if fragment.function is not None:
                    if fragment.function.name:
                        partial.name += fragment.function.name
                    if fragment.function.arguments:
                        partial.arguments.append(fragment.function.arguments)
            logprobs = convert_logprobs(choice.logprobs)
            if logprobs:
                self._logprobs.extend(logprobs)
            if choice.finish_reason is not None:
                self._finish = choice.finish_reason
                self.finished = True
        return new_text

    def result(self, fallback_usage: RequestUsage) -> CreateResult:
        """Build the final result; ``fallback_usage`` applies when the server sent no usage."""
        text = "".join(self._text)
        thought = "".join(self._thought) or None
        if thought is None:
            thought, text = split_think_tags(text)
        calls = [
            FunctionCall(id=p.id, name=p.name, arguments="".join(p.arguments))
            for _, p in sorted(self._calls.items())
        ]
        usage = usage_of(self._usage) if self._usage is not None else fallback_usage
        if calls:
            # Text streamed next to tool calls is the model's explanation of them.
            if text.strip():
                thought = f"{thought}\n{text}" if thought else text
            return CreateResult(
                finish_reason="function_calls",
                content=calls,
                usage=usage,
                cached=False,
                logprobs=self._logprobs or None,
                thought=thought,
            )
        return CreateResult(
            finish_reason=finish_reason(self._finish, False),
            content=text,
            usage=usage,
            cached=False,
            logprobs=self._logprobs or None,
            thought=thought,
        )
