"""The ChatAgent interface and the Response an agent returns for one turn."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from parlay_agentchat.base._task import TaskRunner
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage
from parlay_core import CancellationToken, ComponentBase

__all__ = ["ChatAgent", "Response"]


@dataclass(kw_only=True)
class Response:
    """An agent's answer for one turn.

    Attributes:
        chat_message: The message the agent says to the others.
        inner_messages: What happened on the way (tool calls, thoughts, ...), in order.
    """

    chat_message: BaseChatMessage
    inner_messages: Sequence[BaseAgentEvent | BaseChatMessage] | None = None


class ChatAgent(ABC, TaskRunner, ComponentBase[BaseModel]):
    """An agent that takes part in chats: given new messages, it answers with a :class:`Response`.

    Agents are stateful: they remember the conversation between calls, so pass only the
    messages that are new to them. A chat agent is a component (``component_type = "agent"``).
    """

    component_type = "agent"

    @property
    @abstractmethod
    def name(self) -> str:
        """The agent's name, unique within a team (other agents see it as ``source``)."""

    @property
    @abstractmethod
    def description(self) -> str:
        """What the agent does; speaker selectors read it."""

    @property
    @abstractmethod
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """The chat message classes the agent may answer with."""

    @abstractmethod
    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Take the new messages and answer.

        Args:
            messages: The messages the agent has not seen yet.
            cancellation_token: Cancels the turn.
        """

    @abstractmethod
    def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Like :meth:`on_messages`, but yield the inner events as they happen, then the
        :class:`Response`."""

    @abstractmethod
    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget the conversation."""

    @abstractmethod
    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        """Called when the team (or caller) pauses the agent while it runs."""

    @abstractmethod
    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        """Called when a paused agent may go on."""

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]:
        """Return the agent's state as JSON-ready data."""

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`save_state`."""

    @abstractmethod
    async def close(self) -> None:
        """Release the agent's resources."""
