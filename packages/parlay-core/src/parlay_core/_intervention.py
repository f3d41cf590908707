"""Interventions: hooks that see, change or drop every message a runtime delivers."""

from __future__ import annotations

from typing import Any, Protocol, final

from parlay_core._agent_id import AgentId
from parlay_core._message_context import MessageContext

__all__ = ["DefaultInterventionHandler", "DropMessage", "InterventionHandler"]


@final
class DropMessage:
    """Return this class from an intervention hook to drop the message."""

    def __init__(self) -> None:
        raise RuntimeError("DropMessage is a marker: return the class itself, not an instance.")


class InterventionHandler(Protocol):
    """Hooks called by the runtime before delivery; each returns the (possibly new) message or DropMessage."""

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        """Called for a direct message before it is delivered."""
        ...

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        """Called for a published message before recipients are resolved."""
        ...

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        """Called for an RPC response before it is returned to the caller."""
        ...


class DefaultInterventionHandler(InterventionHandler):
    """An intervention handler that passes every message through; subclass and override one hook."""

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        return message

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        return message

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        return message
