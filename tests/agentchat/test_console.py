"""The Console prints a run as it streams and returns its result."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncGenerator

import pytest
from rich.console import Console as RichConsole

from parlay_agentchat.agents import AssistantAgent, UserProxyAgent
from parlay_agentchat.base import Response, TaskResult
from parlay_agentchat.conditions import MaxMessageTermination
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
    UserInputRequestedEvent,
)
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.ui import Console, ConsoleStreamError, UserInputManager
from parlay_core import CancellationToken

from ._support import call, replay, tool_calls


def _capture() -> tuple[RichConsole, io.StringIO]:
    buffer = io.StringIO()
    return RichConsole(file=buffer, width=100), buffer


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny in {city}."


async def test_streams_tokens_tools_speakers_and_the_summary() -> None:
    streamer = AssistantAgent("writer", replay("Roses are red today"), model_client_stream=True)
    tooler = AssistantAgent(
        "checker", replay(tool_calls(call("get_weather", city="Oslo"))), tools=[get_weather]
    )
    team = RoundRobinGroupChat([streamer, tooler], termination_condition=MaxMessageTermination(3))
    console, buffer = _capture()

    result = await Console(team.run_stream(task="Write a poem."), console=console)

    out = buffer.getvalue()
    assert isinstance(result, TaskResult)
    assert result.stop_reason is not None
    assert "Write a poem." in out
    # Streamed words are printed once, as the chunks arrived.
    assert out.count("Roses are red today") == 1
    # One style: a rule names each speaker; no AutoGen header repeats it.
    assert "─ writer ─" in out and "─ checker ─" in out
    assert "----------" not in out
    assert '[tool call] get_weather({"city": "Oslo"})' in out
    assert "[tool result] get_weather: Sunny in Oslo." in out
    assert "writer" in out and "checker" in out
    assert f"Stop reason: {result.stop_reason}" in out
    assert f"Messages: {len(result.messages)}" in out
    # The tool call's scripted usage: 10 prompt and 5 completion tokens.
    assert "Tokens: " in out and "prompt" in out
    assert "Duration: " in out
    # Redirected output carries no terminal escape codes.
    assert "\x1b[" not in out


async def test_counts_the_tokens_reported_by_messages() -> None:
    agent = AssistantAgent(
        "checker", replay(tool_calls(call("get_weather", city="Rome"))), tools=[get_weather]
    )
    console, buffer = _capture()
    await Console(agent.run_stream(task="Weather?"), console=console)
    assert "Tokens: 10 prompt, 5 completion, 15 total" in buffer.getvalue()
    assert "Stop reason: (none)" in buffer.getvalue()


async def test_returns_the_response_of_on_messages_stream() -> None:
    agent = AssistantAgent("a", replay("Hello there."))
    console, buffer = _capture()
    response = await Console(
        agent.on_messages_stream([TextMessage(content="Hi", source="user")], CancellationToken()),
        console=console,
    )
    assert isinstance(response, Response)
    assert buffer.getvalue().count("Hello there.") == 1


async def test_without_stats_prints_no_summary() -> None:
    agent = AssistantAgent("a", replay("Hello."))
    console, buffer = _capture()
    # AutoGen's keyword arguments are accepted.
    await Console(
        agent.run_stream(task="Hi"), console=console, output_stats=False, no_inline_images=True
    )
    assert "Stop reason" not in buffer.getvalue()
    assert "Hello." in buffer.getvalue()


async def test_chunks_without_a_message_id_are_shown_and_the_message_too() -> None:
    async def stream() -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        yield ModelClientStreamingChunkEvent(content="Hel", source="bot")
        yield ModelClientStreamingChunkEvent(content="lo!", source="bot")
        final = TextMessage(content="Hello!", source="bot")
        yield final
        yield TaskResult(messages=[final], stop_reason="done")

    console, buffer = _capture()
    result = await Console(stream(), console=console)
    out = buffer.getvalue()
    assert result.stop_reason == "done"
    # Without full_message_id the chunks cannot be matched to the message: both are shown.
    assert "Hello!\n" in out
    assert out.count("Hello!") == 2
    assert "Messages: 1" in out


async def test_a_stream_without_a_result_is_an_error() -> None:
    async def messages_only() -> AsyncGenerator[
        BaseAgentEvent | BaseChatMessage | TaskResult, None
    ]:
        yield TextMessage(content="alone", source="user")

    console, _ = _capture()
    with pytest.raises(ConsoleStreamError, match="run_stream"):
        await Console(messages_only(), console=console)


async def test_defaults_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    agent = AssistantAgent("a", replay("Printed."))
    await Console(agent.run_stream(task="Hi"))
    assert "Printed." in capsys.readouterr().out


async def test_user_input_manager_holds_the_prompt_until_the_console_showed_the_request() -> None:
    order: list[str] = []

    def answer(prompt: str) -> str:
        order.append("prompted")
        return "go on"

    manager = UserInputManager(callback=answer)
    user = UserProxyAgent("user", input_func=manager.get_wrapped_callback())

    async def watched() -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        async for item in user.on_messages_stream(
            [TextMessage(content="Proceed?", source="boss")], CancellationToken()
        ):
            if isinstance(item, UserInputRequestedEvent):
                order.append("shown")
            yield item

    console, _ = _capture()
    result = await Console(watched(), console=console, user_input_manager=manager)
    assert isinstance(result, Response)
    assert isinstance(result.chat_message, TextMessage)
    assert result.chat_message.content == "go on"
    assert order == ["shown", "prompted"]
    assert manager.input_events == {}


async def test_user_input_manager_wrapped_callback_waits_for_the_notice() -> None:
    async def answer(prompt: str, token: CancellationToken | None) -> str:
        return "later"

    manager = UserInputManager(callback=answer)
    user = UserProxyAgent("user", input_func=manager.get_wrapped_callback())
    task = asyncio.create_task(
        user.on_messages([TextMessage(content="?", source="boss")], CancellationToken())
    )
    await asyncio.sleep(0.05)
    assert not task.done()  # nobody has shown the request yet
    (request_id,) = manager.input_events
    manager.notify_event_received(request_id)
    response = await asyncio.wait_for(task, 5)
    assert isinstance(response.chat_message, TextMessage)
    assert response.chat_message.content == "later"


async def test_the_tool_results_print_once() -> None:
    agent = AssistantAgent(
        "checker", replay(tool_calls(call("get_weather", city="Oslo"))), tools=[get_weather]
    )
    console, buffer = _capture()
    result = await Console(agent.run_stream(task="Weather?"), console=console)
    assert type(result.messages[-1]).__name__ == "ToolCallSummaryMessage"
    assert buffer.getvalue().count("Sunny in Oslo.") == 1


def long_report(topic: str) -> str:
    """Write a long report."""
    return "\n".join(f"line {i} about {topic}" for i in range(500))


async def test_a_long_tool_result_is_cut_with_a_note_and_kept_whole_in_the_run() -> None:
    agent = AssistantAgent(
        "reporter", replay(tool_calls(call("long_report", topic="tea"))), tools=[long_report]
    )
    console, buffer = _capture()
    result = await Console(agent.run_stream(task="Report."), console=console)
    out = buffer.getvalue()
    assert "line 0 about tea" in out and "line 499 about tea" not in out
    assert "more characters; the full result is in the run's messages]" in out
    assert "line 499 about tea" in result.messages[-1].to_text()


async def test_messages_other_than_text_say_what_they_are() -> None:
    async def stream() -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        handoff = HandoffMessage(source="triage", target="writer", content="Over to writer.")
        yield handoff
        yield TaskResult(messages=[handoff], stop_reason="done")

    console, buffer = _capture()
    await Console(stream(), console=console)
    assert "[HandoffMessage] Over to writer." in buffer.getvalue()


async def test_autogen_output_format_prints_autogen_headers_and_no_summary() -> None:
    agent = AssistantAgent(
        "checker", replay(tool_calls(call("get_weather", city="Oslo"))), tools=[get_weather]
    )
    console, buffer = _capture()
    await Console(agent.run_stream(task="Weather?"), console=console, output_format="autogen")
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "---------- TextMessage (user) ----------"
    assert lines[1] == "Weather?"
    assert "---------- ToolCallRequestEvent (checker) ----------" in lines
    assert "---------- ToolCallSummaryMessage (checker) ----------" in lines
    assert lines[-1] == "Sunny in Oslo."  # AutoGen prints no summary unless asked
    assert not any(line.startswith("─") for line in lines)


async def test_autogen_output_format_with_stats_and_streaming() -> None:
    agent = AssistantAgent("writer", replay("Roses are red"), model_client_stream=True)
    console, buffer = _capture()
    result = await Console(
        agent.run_stream(task="Poem."), console=console, output_format="autogen", output_stats=True
    )
    out = buffer.getvalue()
    assert "---------- ModelClientStreamingChunkEvent (writer) ----------\n" in out
    assert out.count("Roses are red") == 1
    assert "---------- Summary ----------" in out
    assert f"Number of messages: {len(result.messages)}" in out
    assert "Finish reason: None" in out


async def test_an_unknown_output_format_is_refused() -> None:
    agent = AssistantAgent("a", replay("Hi."))
    with pytest.raises(ValueError, match="output_format"):
        await Console(agent.run_stream(task="x"), output_format="fancy")  # type: ignore[arg-type]
