"""A stand-in for the unpublished ``autogen_test_utils`` helpers, written against Parlay.

AutoGen's core tests import a handful of small agents and components from a package that is not
on the package index. These are Parlay's own versions, shaped by how the tests use them: agents
that count their calls, a cascade of publishes, and two components in a module of their own (so
loading the outer one must import this module by its dotted path).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import (
    BaseAgent,
    Component,
    ComponentBase,
    ComponentModel,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    default_subscription,
    message_handler,
)

__all__ = [
    "CascadingAgent",
    "CascadingMessageType",
    "ContentMessage",
    "LoopbackAgent",
    "LoopbackAgentWithDefaultSubscription",
    "MessageType",
    "MyInnerComponent",
    "MyOuterComponent",
    "NoopAgent",
]


@dataclass
class MessageType:
    """An empty message."""


@dataclass
class ContentMessage:
    """A message with text."""

    content: str


@dataclass
class CascadingMessageType:
    """A message that travels ``round`` hops."""

    round: int


class LoopbackAgent(RoutedAgent):
    """Answers every message with the message itself and counts the calls."""

    def __init__(self) -> None:
        super().__init__("Returns every message it gets.")
        self.num_calls = 0
        self.received_messages: list[Any] = []
        self.event = asyncio.Event()

    @message_handler
    async def on_new_message(
        self, message: MessageType | ContentMessage, ctx: MessageContext
    ) -> MessageType | ContentMessage:
        self.num_calls += 1
        self.received_messages.append(message)
        self.event.set()
        return message


@default_subscription
class LoopbackAgentWithDefaultSubscription(LoopbackAgent):
    """A LoopbackAgent subscribed to the default topic."""


@default_subscription
class CascadingAgent(RoutedAgent):
    """Publishes each message on with one more round, until ``max_rounds``."""

    def __init__(self, max_rounds: int) -> None:
        super().__init__("Publishes every message on, one round further.")
        self.num_calls = 0
        self.max_rounds = max_rounds

    @message_handler
    async def on_new_message(self, message: CascadingMessageType, ctx: MessageContext) -> None:
        self.num_calls += 1
        if message.round == self.max_rounds:
            return
        await self.publish_message(CascadingMessageType(round=message.round + 1), DefaultTopicId())


class NoopAgent(BaseAgent):
    """An agent that handles nothing."""

    def __init__(self) -> None:
        super().__init__("Does nothing.")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        raise NotImplementedError("NoopAgent handles no messages.")


class _InnerConfig(BaseModel):
    inner_message: str


class MyInnerComponent(ComponentBase[BaseModel], Component[_InnerConfig]):
    """A component nested inside :class:`MyOuterComponent`."""

    component_config_schema = _InnerConfig
    component_type = "custom"

    def __init__(self, inner_message: str) -> None:
        self.inner_message = inner_message

    def _to_config(self) -> _InnerConfig:
        return _InnerConfig(inner_message=self.inner_message)

    @classmethod
    def _from_config(cls, config: _InnerConfig) -> Self:
        return cls(inner_message=config.inner_message)


class _OuterConfig(BaseModel):
    outer_message: str
    inner_class: ComponentModel


class MyOuterComponent(ComponentBase[BaseModel], Component[_OuterConfig]):
    """A component whose config holds another component's config."""

    component_config_schema = _OuterConfig
    component_type = "custom"

    def __init__(self, outer_message: str, inner_class: MyInnerComponent) -> None:
        self.outer_message = outer_message
        self.inner_class = inner_class

    def _to_config(self) -> _OuterConfig:
        return _OuterConfig(
            outer_message=self.outer_message, inner_class=self.inner_class.dump_component()
        )

    @classmethod
    def _from_config(cls, config: _OuterConfig) -> Self:
        return cls(
            outer_message=config.outer_message,
            inner_class=MyInnerComponent.load_component(config.inner_class),
        )
