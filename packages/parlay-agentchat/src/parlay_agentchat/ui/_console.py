"""Console: render a run_stream (or on_messages_stream) on a terminal, or plain text in CI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from rich.console import Console as RichConsole
from rich.text import Text

from parlay_agentchat._exceptions import AgentChatError
from parlay_agentchat.base import Response, TaskResult
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
    UserInputRequestedEvent,
)
from parlay_agentchat.ui._input_manager import UserInputManager
from parlay_core.models import RequestUsage

__all__ = ["Console", "ConsoleStreamError"]

T = TypeVar("T", bound=TaskResult | Response)


class ConsoleStreamError(AgentChatError, ValueError):
    """The stream given to :func:`Console` ended without a ``TaskResult`` or ``Response``."""


_TOOL_RESULT_CHARS = 1_000
_TOOL_RESULT_LINES = 20


def _shortened(text: str) -> str:
    """A tool result cut for the terminal, saying how much was left out (the run keeps it all)."""
    lines = text.splitlines()
    kept = "\n".join(lines[:_TOOL_RESULT_LINES])[:_TOOL_RESULT_CHARS]
    if len(kept) >= len(text.rstrip()):
        return text
    left = len(text) - len(kept)
    return f"{kept} ... [{left} more characters; the full result is in the run's messages]"


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
    """Parlay's style: a rule when another agent speaks, then what it said, tools on own lines."""

    def __init__(self, console: RichConsole) -> None:
        self._console = console
        self._speaker: str | None = None
        self._streaming: str | None = None  # full_message_id of the message being streamed
        self._shown_results: set[str] = set()  # call ids of tool results already printed
        self.tally = _Tally()

    def _line(self, text: str | Text, style: str = "") -> None:
        line = text if isinstance(text, Text) else Text(text, style=style)
        self._console.print(line, soft_wrap=True)

    def _end_stream(self) -> None:
        if self._streaming is not None:
            self._console.print()
            self._streaming = None

    def _speaker_change(self, source: str) -> None:
        if source != self._speaker:
            self._speaker = source
            self._console.rule(Text(source, style="bold cyan"), style="cyan")

    def item(self, item: BaseAgentEvent | BaseChatMessage) -> None:
        if isinstance(item, ModelClientStreamingChunkEvent):
            self._chunk(item)
            return
        self._end_stream()
        self.tally.add_usage(item.models_usage)
        self.tally.messages += 1
        if isinstance(item, UserInputRequestedEvent):
            return  # a signal for the input prompt, with nothing to read
        if isinstance(item, BaseChatMessage) and item.id in self.tally.streamed_ids:
            return  # its words were already printed chunk by chunk
        if (
            isinstance(item, ToolCallSummaryMessage)
            and item.results
            and all(r.call_id in self._shown_results for r in item.results)
        ):
            return  # the same results, just printed as [tool result] lines
        self._speaker_change(item.source)
        if isinstance(item, ToolCallRequestEvent):
            for call in item.content:
                self._line(f"[tool call] {call.name}({call.arguments})", "yellow")
        elif isinstance(item, ToolCallExecutionEvent):
            for result in item.content:
                label = "tool error" if result.is_error else "tool result"
                self._line(f"[{label}] {result.name}: {_shortened(result.content)}", "green")
                self._shown_results.add(result.call_id)
        elif isinstance(item, TextMessage):
            self._line(item.to_text())
        else:
            # Anything but plain text says what it is (a handoff, a thought, a stop, ...).
            self._line(Text.assemble((f"[{type(item).__name__}] ", "dim"), item.to_text()))

    def _chunk(self, chunk: ModelClientStreamingChunkEvent) -> None:
        key = chunk.full_message_id or f"{chunk.source}:stream"
        if key != self._streaming:
            self._end_stream()
            self._speaker_change(chunk.source)
            self._streaming = key
        if chunk.full_message_id is not None:
            self.tally.streamed_ids.add(chunk.full_message_id)
        self._console.print(chunk.content, end="", markup=False, highlight=False, soft_wrap=True)

    def response(self, response: Response) -> None:
        # Its inner messages came through the stream before it; only the answer is new.
        self.item(response.chat_message)

    def footer(self, last: TaskResult | Response, seconds: float) -> None:
        self._end_stream()
        tally = self.tally
        stop_reason = last.stop_reason if isinstance(last, TaskResult) else None
        self._console.rule(Text("summary", style="bold magenta"), style="magenta")
        self._line(f"Stop reason: {stop_reason if stop_reason is not None else '(none)'}")
        self._line(f"Messages: {tally.messages}")
        self._line(
            f"Tokens: {tally.prompt_tokens} prompt, {tally.completion_tokens} completion, "
            f"{tally.prompt_tokens + tally.completion_tokens} total"
        )
        self._line(f"Duration: {seconds:.2f} s")


class _AutoGenRenderer:
    """AutoGen's Console output, line for line: a header before every message, no colour."""

    def __init__(self, console: RichConsole) -> None:
        self._console = console
        self._streaming = False
        self._prompt_tokens = 0
        self._completion_tokens = 0

    def _print(self, text: str, end: str = "\n") -> None:
        self._console.print(
            text, end=end, markup=False, highlight=False, emoji=False, soft_wrap=True
        )

    def _usage(self, usage: RequestUsage | None, stats: bool) -> None:
        if usage is None:
            return
        if stats:
            self._print(
                f"[Prompt tokens: {usage.prompt_tokens}, "
                f"Completion tokens: {usage.completion_tokens}]"
            )
        self._prompt_tokens += usage.prompt_tokens
        self._completion_tokens += usage.completion_tokens

    def item(self, item: BaseAgentEvent | BaseChatMessage, stats: bool) -> None:
        if isinstance(item, UserInputRequestedEvent):
            return
        if not self._streaming:
            self._print(f"{_RULE} {type(item).__name__} ({item.source}) {_RULE}")
        if isinstance(item, ModelClientStreamingChunkEvent):
            self._print(item.to_text(), end="")
            self._streaming = True
            return
        if self._streaming:
            self._streaming = False
            self._print("")  # the message's words were streamed already
        else:
            self._print(item.to_text())
        self._usage(item.models_usage, stats)

    def response(self, response: Response, stats: bool) -> None:
        message = response.chat_message
        self._print(f"{_RULE} {message.source} {_RULE}")
        self._print(message.to_text())
        self._usage(message.models_usage, stats)

    def footer(self, last: TaskResult | Response, seconds: float) -> None:
        self._print(f"{_RULE} Summary {_RULE}")
        if isinstance(last, TaskResult):
            self._print(f"Number of messages: {len(last.messages)}")
            self._print(f"Finish reason: {last.stop_reason}")
        else:
            self._print(f"Number of inner messages: {len(last.inner_messages or ())}")
        self._print(f"Total prompt tokens: {self._prompt_tokens}")
        self._print(f"Total completion tokens: {self._completion_tokens}")
        self._print(f"Duration: {seconds:.2f} seconds")


_RULE = "-" * 10


async def Console(  # AutoGen's name: a function that reads like a class
    stream: AsyncIterable[BaseAgentEvent | BaseChatMessage | T],
    *,
    no_inline_images: bool = False,
    output_stats: bool | None = None,
    console: RichConsole | None = None,
    user_input_manager: UserInputManager | None = None,
    output_format: Literal["parlay", "autogen"] = "parlay",
) -> T:
    """Print a stream of messages as it arrives and return its final ``TaskResult``/``Response``.

    In Parlay's format (the default), a rule names the agent whenever another agent speaks, and
    its messages follow: plain text as it is, other messages and events labelled with their
    type (``[HandoffMessage] ...``), model tokens (``ModelClientStreamingChunkEvent``) as they
    arrive, tool calls and their results on lines of their own (a long result is cut, with a
    note; the run's messages keep it whole; the ``ToolCallSummaryMessage`` that repeats the
    results is not printed again). At the end comes a summary: the stop reason, the number of
    messages, the tokens used and how long the run took. On a terminal the output is coloured;
    redirected (a file, a pipe, CI) it is plain text.

    ``output_format="autogen"`` prints what AutoGen's Console prints instead: a
    ``---------- TextMessage (user) ----------`` header before every message, every message in
    full, and AutoGen's summary only when ``output_stats=True``.

    Example::

        result = await Console(team.run_stream(task="Write a haiku."))

    Args:
        stream: What ``run_stream`` of a team or agent (or an agent's ``on_messages_stream``)
            returns.
        no_inline_images: Accepted for AutoGen's call shape; images are always shown as
            ``<image>`` placeholders, never drawn in the terminal.
        output_stats: Print the summary at the end (and, in AutoGen's format, each message's
            tokens). Default: on in Parlay's format, off in AutoGen's, as AutoGen does.
        console: The ``rich`` console to write to (default: a new one on standard output).
        user_input_manager: Told about each ``UserInputRequestedEvent`` once it is shown, so
            a user proxy's input prompt (wrapped by the manager) comes after the messages
            that led to it.
        output_format: ``"parlay"`` (the default) or ``"autogen"`` for AutoGen's plain
            output, line for line.

    Returns:
        The stream's last item: the ``TaskResult`` of a run, or the ``Response`` of
        ``on_messages_stream``.

    Raises:
        ConsoleStreamError: The stream ended without a ``TaskResult`` or ``Response``.
        ValueError: ``output_format`` is neither ``"parlay"`` nor ``"autogen"``.
    """
    del no_inline_images  # see Args: nothing to switch off
    if output_format not in ("parlay", "autogen"):
        raise ValueError(f"output_format must be 'parlay' or 'autogen', not {output_format!r}.")
    autogen = output_format == "autogen"
    stats = output_stats if output_stats is not None else not autogen
    out = console if console is not None else RichConsole()
    renderer = _Renderer(out)
    plain = _AutoGenRenderer(out)
    started = time.perf_counter()
    last: T | None = None
    async for item in stream:
        if isinstance(item, (TaskResult, Response)):
            if isinstance(item, Response):
                if autogen:
                    plain.response(item, stats)
                else:
                    renderer.response(item)
            last = item
            if stats:
                (plain if autogen else renderer).footer(item, time.perf_counter() - started)
        else:
            if autogen:
                plain.item(item, stats)
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
