"""The agent protocol every runtime hosts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from parlay_core._agent_id import AgentId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._message_context import MessageContext

if TYPE_CHECKING:
    from parlay_core._agent_runtime import AgentRuntime

__all__ = ["Agent"]


@runtime_checkable
class Agent(Protocol):
    """An object that handles messages delivered by a runtime and may keep state."""

    @property
    def metadata(self) -> AgentMetadata:
        """The agent's type, key and description."""
        ...

    @property
    def id(self) -> AgentId:
        """The agent's id."""
        ...

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None:
        """Bind an instance created outside a factory to its id and runtime."""
        ...

    async def on_message(self, message: Any, ctx: MessageContext) -> Any:
        """Handle one message; the return value is the response of an RPC."""
        ...

    async def save_state(self) -> Mapping[str, Any]:
        """Return the agent's state as a JSON-serializable mapping."""
        ...

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore state returned by :meth:`save_state`."""
        ...

    async def close(self) -> None:
        """Release resources; called when the runtime closes."""
        ...
