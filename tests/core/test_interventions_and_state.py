"""Interventions, and runtime/agent state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from parlay_core import (
    AgentId,
    DefaultInterventionHandler,
    DropMessage,
    MessageContext,
    MessageDroppedException,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    event,
    message_handler,
)

from ._agents import Echo, Note, Ping, Pong


class Upper(DefaultInterventionHandler):
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        self.seen.append(f"send:{recipient}")
        if isinstance(message, Ping):
            if message.text == "drop":
                return DropMessage
            return Ping(message.text.upper())
        return message

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        self.seen.append(f"publish:{message_context.topic_id}")
        if isinstance(message, Note) and message.text == "drop":
            return DropMessage
        return message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        self.seen.append(f"response:{sender}")
        if isinstance(message, Pong) and message.text.startswith("SECRET"):
            return DropMessage
        return message


async def test_interventions_change_and_drop_messages() -> None:
    handler = Upper()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[handler])
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    assert await runtime.send_message(Ping("hi"), AgentId("echo", "a")) == Pong("HI->a")
    with pytest.raises(MessageDroppedException, match="echo/a"):
        await runtime.send_message(Ping("drop"), AgentId("echo", "a"))
    with pytest.raises(MessageDroppedException, match="response"):
        await runtime.send_message(Ping("secret"), AgentId("echo", "a"))
    await runtime.publish_message(Note("kept"), TopicId("echo:", "a"))
    await runtime.publish_message(Note("drop"), TopicId("echo:", "a"))
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("echo", "a"), Echo)
    assert [text for text, _ in agent.notes] == ["kept"]
    assert handler.seen[:2] == ["send:echo/a", "response:echo/a"]
    assert "publish:echo:/a" in handler.seen
    await runtime.close()


def test_drop_message_is_a_marker() -> None:
    with pytest.raises(RuntimeError, match="marker"):
        DropMessage()


class Counter(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("counter")
        self.count = 0

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> int:
        self.count += 1
        return self.count

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.count += 100

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])


async def test_runtime_state_round_trip_covers_instantiated_agents_only() -> None:
    first = SingleThreadedAgentRuntime()
    await Counter.register(first, "counter", Counter)
    first.start()
    await first.send_message(Ping(), AgentId("counter", "a"))
    await first.send_message(Ping(), AgentId("counter", "a"))
    await first.send_message(Ping(), AgentId("counter", "b"))
    state = await first.save_state()
    assert state == {"counter/a": {"count": 2}, "counter/b": {"count": 1}}
    await first.close()

    second = SingleThreadedAgentRuntime()
    await Counter.register(second, "counter", Counter)
    second.start()
    await second.load_state({**state, "ghost/x": {"count": 9}})  # unknown types are skipped
    assert await second.send_message(Ping(), AgentId("counter", "a")) == 3
    assert await second.agent_save_state(AgentId("counter", "b")) == {"count": 1}
    await second.agent_load_state(AgentId("counter", "b"), {"count": 40})
    assert await second.send_message(Ping(), AgentId("counter", "b")) == 41
    await second.close()


async def test_default_agent_state_is_empty(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    await runtime.send_message(Ping(), AgentId("echo", "a"))
    assert await runtime.save_state() == {"echo/a": {}}
