"""Console: render a run_stream (or on_messages_stream) on a terminal, or plain text in CI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import TypeVar

from rich.console import Console as RichConsole
from rich.text import Text

from parlay_agentchat._exceptions import AgentChatError
from parlay_agentchat.base import Response, TaskResult
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    ModelClientStreamingChunkEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    UserInputRequestedEvent,
)
from parlay_agentchat.ui._input_manager import UserInputManager
from parlay_core.models import RequestUsage

__all__ = ["Console", "ConsoleStreamError"]

T = TypeVar("T", bound=TaskResult | Response)


class ConsoleStreamError(AgentChatError, ValueError):
    """The stream given to :func:`Console` ended without a ``TaskResult`` or ``Response``."""


@dataclass
class _Tally:
    """What the footer reports: messages shown, tokens used."""

    messages: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    streamed_ids: set[str] = field(default_factory=set[str])

    def add_usage(self, usage: RequestUsage | None) -> None:
        if usage is not None:
            self.prompt_tokens += usage.prompt_tokens
            self.completion_tokens += usage.completion_tokens


class _Renderer:
    """Turns each item of a stream into console output, remembering who spoke last."""

    def __init__(self, console: RichConsole) -> None:
        self._console = console
        self._speaker: str | None = None
        self._streaming: str | None = None  # full_message_id of the message being streamed
        self.tally = _Tally()

    def _line(self, text: str, style: str = "") -> None:
        self._console.print(Text(text, style=style), soft_wrap=True)

    def _end_stream(self) -> None:
        if self._streaming is not None:
            self._console.print()
            self._streaming = None

    def _speaker_change(self, source: str) -> None:
        if source != self._speaker:
            self._speaker = source
            self._console.rule(Text(source, style="bold cyan"), style="cyan")

    def _header(self, item: BaseAgentEvent | BaseChatMessage) -> None:
        self._line(f"---------- {type(item).__name__} ({item.source}) ----------", "bold")

    def item(self, item: BaseAgentEvent | BaseChatMessage) -> None:
        if isinstance(item, ModelClientStreamingChunkEvent):
            self._chunk(item)
            return
        self._end_stream()
        self._speaker_change(item.source)
        self.tally.add_usage(item.models_usage)
        self.tally.messages += 1
        if isinstance(item, ToolCallRequestEvent):
            for call in item.content:
                self._line(f"[tool call] {call.name}({call.arguments})", "yellow")
        elif isinstance(item, ToolCallExecutionEvent):
            for result in item.content:
                label = "tool error" if result.is_error else "tool result"
                self._line(f"[{label}] {result.name}: {result.content}", "green")
        elif isinstance(item, BaseChatMessage) and item.id in self.tally.streamed_ids:
            # Its words were already printed chunk by chunk.
            pass
        else:
            self._header(item)
            self._line(item.to_text())

    def _chunk(self, chunk: ModelClientStreamingChunkEvent) -> None:
        key = chunk.full_message_id or f"{chunk.source}:stream"
        if key != self._streaming:
            self._end_stream()
            self._speaker_change(chunk.source)
            self._line(f"---------- streaming ({chunk.source}) ----------", "bold")
            self._streaming = key
        if chunk.full_message_id is not None:
            self.tally.streamed_ids.add(chunk.full_message_id)
        self._console.print(chunk.content, end="", markup=False, highlight=False, soft_wrap=True)

    def footer(self, stop_reason: str | None, seconds: float) -> None:
        self._end_stream()
        tally = self.tally
        self._console.rule(Text("summary", style="bold magenta"), style="magenta")
        self._line(f"Stop reason: {stop_reason if stop_reason is not None else '(none)'}")
        self._line(f"Messages: {tally.messages}")
        self._line(
            f"Tokens: {tally.prompt_tokens} prompt, {tally.completion_tokens} completion, "
            f"{tally.prompt_tokens + tally.completion_tokens} total"
        )
        self._line(f"Duration: {seconds:.2f} s")


async def Console(  # AutoGen's name: a function that reads like a class
    stream: AsyncIterable[BaseAgentEvent | BaseChatMessage | T],
    *,
    no_inline_images: bool = False,
    output_stats: bool = True,
    console: RichConsole | None = None,
    user_input_manager: UserInputManager | None = None,
) -> T:
    """Print a stream of messages as it arrives and return its final ``TaskResult``/``Response``.

    Model tokens (``ModelClientStreamingChunkEvent``) are printed as they arrive, tool calls and
    their results on lines of their own, a rule whenever another agent speaks, and, at the end,
    the stop reason, the number of messages, the tokens used and how long the run took. On a
    terminal the output is coloured; redirected (a file, a pipe, CI) it is plain text.

    Example::

        result = await Console(team.run_stream(task="Write a haiku."))

    Args:
        stream: What ``run_stream`` of a team or agent (or an agent's ``on_messages_stream``)
            returns.
        no_inline_images: Accepted for AutoGen's call shape; images are always shown as
            ``<image>`` placeholders, never drawn in the terminal.
        output_stats: Print the summary at the end (AutoGen's default is ``False``).
        console: The ``rich`` console to write to (default: a new one on standard output).
        user_input_manager: Told about each ``UserInputRequestedEvent`` once it is shown, so
            a user proxy's input prompt (wrapped by the manager) comes after the messages
            that led to it.

    Returns:
        The stream's last item: the ``TaskResult`` of a run, or the ``Response`` of
        ``on_messages_stream``.

    Raises:
        ConsoleStreamError: The stream ended without a ``TaskResult`` or ``Response``.
    """
    del no_inline_images  # see Args: nothing to switch off
    out = console if console is not None else RichConsole()
    renderer = _Renderer(out)
    started = time.perf_counter()
    last: T | None = None
    async for item in stream:
        if isinstance(item, TaskResult):
            last = item
            if output_stats:
                renderer.footer(item.stop_reason, time.perf_counter() - started)
        elif isinstance(item, Response):
            # Its inner messages came through the stream before it; only the answer is new.
            renderer.item(item.chat_message)
            last = item
            if output_stats:
                renderer.footer(None, time.perf_counter() - started)
        else:
            renderer.item(item)
            if user_input_manager is not None and isinstance(item, UserInputRequestedEvent):
                user_input_manager.notify_event_received(item.request_id)
    if last is None:
        raise ConsoleStreamError(
            "The stream ended without a TaskResult or Response; pass what run_stream() or "
            "on_messages_stream() returns."
        )
    return last
