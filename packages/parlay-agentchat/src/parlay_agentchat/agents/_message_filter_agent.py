"""MessageFilterAgent: shows a wrapped agent only some of the messages it receives."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat.agents._base_chat_agent import BaseChatAgent
from parlay_agentchat.base import ChatAgent, Response
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage
from parlay_core import CancellationToken, Component, ComponentModel

__all__ = [
    "MessageFilterAgent",
    "MessageFilterAgentConfig",
    "MessageFilterConfig",
    "PerSourceFilter",
]


class PerSourceFilter(BaseModel):
    """Which messages of one source get through.

    Attributes:
        source: The source (agent name, or ``"user"``).
        position: ``"first"`` or ``"last"`` to keep only the first or last ``count`` messages
            of this source; ``None`` keeps them all.
        count: How many to keep with ``position``.
    """

    source: str
    position: Literal["first", "last"] | None = None
    count: int | None = None


class MessageFilterConfig(BaseModel):
    """The filter: one entry per source allowed through; other sources are dropped.

    Attributes:
        per_source: The per-source rules.
    """

    per_source: list[PerSourceFilter]


class MessageFilterAgentConfig(BaseModel):
    """The component config of :class:`MessageFilterAgent`."""

    name: str
    wrapped_agent: ComponentModel
    filter: MessageFilterConfig


class MessageFilterAgent(BaseChatAgent, Component[MessageFilterAgentConfig]):
    """Wraps an agent and passes it only the messages the filter lets through.

    Messages from sources without a rule are dropped; the ones kept stay in their original
    order. Everything else (responses, reset, state) is the wrapped agent's.

    Args:
        name: The agent's name.
        wrapped_agent: The agent that answers.
        filter: The per-source rules.
    """

    component_config_schema = MessageFilterAgentConfig
    component_provider_override = "parlay_agentchat.agents.MessageFilterAgent"

    def __init__(self, name: str, wrapped_agent: ChatAgent, filter: MessageFilterConfig) -> None:
        super().__init__(name=name, description=f"{wrapped_agent.description} (filtered input)")
        self._wrapped_agent = wrapped_agent
        self._filter = filter

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """The wrapped agent's."""
        return self._wrapped_agent.produced_message_types

    def _apply_filter(self, messages: Sequence[BaseChatMessage]) -> list[BaseChatMessage]:
        kept: set[int] = set()
        for rule in self._filter.per_source:
            indexes = [i for i, m in enumerate(messages) if m.source == rule.source]
            if rule.position == "first" and rule.count is not None:
                indexes = indexes[: rule.count]
            elif rule.position == "last" and rule.count is not None:
                indexes = indexes[-rule.count :] if rule.count > 0 else []
            kept.update(indexes)
        return [m for i, m in enumerate(messages) if i in kept]

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Pass the filtered messages to the wrapped agent."""
        return await self._wrapped_agent.on_messages(
            self._apply_filter(messages), cancellation_token
        )

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Stream the wrapped agent's turn on the filtered messages."""
        async for item in self._wrapped_agent.on_messages_stream(
            self._apply_filter(messages), cancellation_token
        ):
            yield item

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Reset the wrapped agent."""
        await self._wrapped_agent.on_reset(cancellation_token)

    async def save_state(self) -> Mapping[str, Any]:
        """The wrapped agent's state."""
        return await self._wrapped_agent.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore the wrapped agent's state."""
        await self._wrapped_agent.load_state(state)

    def _to_config(self) -> MessageFilterAgentConfig:
        return MessageFilterAgentConfig(
            name=self.name,
            wrapped_agent=self._wrapped_agent.dump_component(),
            filter=self._filter,
        )

    @classmethod
    def _from_config(cls, config: MessageFilterAgentConfig) -> Self:
        return cls(
            name=config.name,
            wrapped_agent=ChatAgent.load_component(config.wrapped_agent),
            filter=config.filter,
        )
