"""A handle on an agent that goes through the runtime."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parlay_core._agent_id import AgentId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._cancellation_token import CancellationToken

__all__ = ["AgentProxy"]


class AgentProxy:
    """Address an agent by id through a runtime, wherever the agent lives."""

    def __init__(self, agent: AgentId, runtime: AgentRuntime) -> None:
        self._agent = agent
        self._runtime = runtime

    @property
    def id(self) -> AgentId:
        """The target agent's id."""
        return self._agent

    @property
    async def metadata(self) -> AgentMetadata:
        """The target agent's metadata."""
        return await self._runtime.agent_metadata(self._agent)

    async def send_message(
        self,
        message: Any,
        *,
        sender: AgentId,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send ``message`` to the agent and return its response."""
        return await self._runtime.send_message(
            message,
            recipient=self._agent,
            sender=sender,
            cancellation_token=cancellation_token,
            message_id=message_id,
        )

    async def save_state(self) -> Mapping[str, Any]:
        """Return the agent's state."""
        return await self._runtime.agent_save_state(self._agent)

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore the agent's state."""
        await self._runtime.agent_load_state(self._agent, state)
