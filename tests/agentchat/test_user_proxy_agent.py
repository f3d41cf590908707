"""UserProxyAgent: sync and async input, handoffs back, errors and cancellation."""

from __future__ import annotations

import asyncio

import pytest

from parlay_agentchat.agents import UserProxyAgent
from parlay_agentchat.exceptions import HandoffTargetError, UserInputError
from parlay_agentchat.messages import HandoffMessage, TextMessage, UserInputRequestedEvent
from parlay_core import CancellationToken, load_component


async def test_sync_input_answers_with_a_text_message() -> None:
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return "yes"

    agent = UserProxyAgent("user", input_func=answer)
    streamed = [m async for m in agent.run_stream(task="Proceed?")]
    assert [type(m).__name__ for m in streamed] == [
        "TextMessage",
        "UserInputRequestedEvent",
        "TextMessage",
        "TaskResult",
    ]
    # run() returns the response's inner messages, and the input request is not one of them
    # (as in AutoGen): it is streamed only.
    result = await agent.run(task="Proceed?")
    assert [type(m).__name__ for m in result.messages] == ["TextMessage", "TextMessage"]
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert (reply.source, reply.content) == ("user", "yes")
    assert prompts == ["Enter your response: "] * 2


async def test_async_input_sees_the_request_id() -> None:
    seen: list[str] = []

    async def answer(prompt: str, token: CancellationToken | None) -> str:
        seen.append(UserProxyAgent.InputRequestContext.request_id())
        return "ok"

    agent = UserProxyAgent("user", input_func=answer)
    streamed = [m async for m in agent.run_stream(task="Go?")]
    event = streamed[1]
    assert isinstance(event, UserInputRequestedEvent)
    assert seen == [event.request_id]
    with pytest.raises(RuntimeError, match="only available inside"):
        UserProxyAgent.InputRequestContext.request_id()


async def test_handoff_to_the_user_is_answered_with_a_handoff_back() -> None:
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return "Here are the details."

    agent = UserProxyAgent("user", input_func=answer)
    handoff = HandoffMessage(content="Need details", target="user", source="planner")
    result = await agent.run(task=handoff)
    reply = result.messages[-1]
    assert isinstance(reply, HandoffMessage)
    assert (reply.target, reply.source, reply.content) == (
        "planner",
        "user",
        "Here are the details.",
    )
    assert prompts == ["Handoff received from planner. Enter your response: "]


async def test_failing_input_raises_user_input_error() -> None:
    def broken(prompt: str) -> str:
        raise OSError("no terminal")

    agent = UserProxyAgent("user", input_func=broken)
    with pytest.raises(UserInputError, match="no terminal") as info:
        await agent.run(task="?")
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value.__cause__, OSError)


async def test_waiting_for_input_can_be_cancelled() -> None:
    asked = asyncio.Event()

    async def never(prompt: str, token: CancellationToken | None) -> str:
        asked.set()
        await asyncio.Event().wait()
        return "unreachable"

    agent = UserProxyAgent("user", input_func=never)
    token = CancellationToken()
    run = asyncio.ensure_future(agent.run(task="?", cancellation_token=token))
    await asked.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


def test_config_round_trip_without_the_function() -> None:
    agent = UserProxyAgent("user", description="The customer", input_func=lambda p: "x")
    model = agent.dump_component()
    assert model.provider == "parlay_agentchat.agents.UserProxyAgent"
    assert model.config == {"name": "user", "description": "The customer"}
    loaded = load_component(model, expected=UserProxyAgent)
    assert (loaded.name, loaded.description) == ("user", "The customer")
    assert [t.__name__ for t in loaded.produced_message_types] == [
        "TextMessage",
        "HandoffMessage",
    ]


async def test_a_handoff_to_another_agent_is_an_error() -> None:
    agent = UserProxyAgent("user", input_func=lambda prompt: "unused")
    to_other = HandoffMessage(content="over", source="planner", target="writer")
    with pytest.raises(HandoffTargetError, match="'writer'"):
        await agent.on_messages([to_other], CancellationToken())
    # An earlier handoff to someone else does not matter when a later message follows it.
    later = TextMessage(content="done", source="writer")
    response = await agent.on_messages([to_other, later], CancellationToken())
    assert isinstance(response.chat_message, TextMessage)
