"""Agents shared by the runtime tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from parlay_core import (
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    default_subscription,
    event,
    message_handler,
    rpc,
)


@dataclass
class Ping:
    text: str = "ping"


@dataclass
class Pong:
    text: str = "pong"


@dataclass
class Note:
    text: str


@dataclass
class Unknown:
    pass


@dataclass
class Fail:
    error: str = "boom"


@dataclass
class Relay:
    """Ask the receiving agent to send Ping to `target` and return its answer."""

    target_type: str
    target_key: str


class Echo(RoutedAgent):
    """Answers Ping with Pong and records every Note it receives."""

    def __init__(self) -> None:
        super().__init__("echo")
        self.notes: list[tuple[str, MessageContext]] = []

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        return Pong(f"{message.text}->{self.id.key}")

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.notes.append((message.text, ctx))

    @message_handler
    async def on_fail(self, message: Fail, ctx: MessageContext) -> None:
        raise ValueError(message.error)


class Relayer(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("relayer")

    @rpc
    async def on_relay(self, message: Relay, ctx: MessageContext) -> Pong:
        from parlay_core import AgentId

        result = await self.send_message(
            Ping("relay"), AgentId(message.target_type, message.target_key)
        )
        assert isinstance(result, Pong)
        return result


@default_subscription
class Recorder(RoutedAgent):
    """Subscribed to the default topic; records notes and who it is."""

    def __init__(self, log: list[tuple[str, str, str]]) -> None:
        super().__init__("recorder")
        self._log = log

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self._log.append((self.id.type, self.id.key, message.text))


class Gate(RoutedAgent):
    """Handlers wait on a shared event: shows that handlers of one agent run concurrently."""

    def __init__(self, gate: asyncio.Event, entered: list[str]) -> None:
        super().__init__("gate")
        self._gate = gate
        self._entered = entered

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        self._entered.append(message.text)
        await self._gate.wait()
        return Pong(message.text)


class Republisher(RoutedAgent):
    """On a Note with a number n > 0, publishes Note(n-1) to the default topic: a chain."""

    def __init__(self, log: list[str]) -> None:
        super().__init__("republisher")
        self._log = log

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self._log.append(message.text)
        n = int(message.text)
        await asyncio.sleep(0)
        if n > 0:
            await self.publish_message(Note(str(n - 1)), DefaultTopicId("chain", "x"))
