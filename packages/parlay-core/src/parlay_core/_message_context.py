"""What a handler knows about the message it is handling."""

from __future__ import annotations

from dataclasses import dataclass

from parlay_core._agent_id import AgentId, TopicId
from parlay_core._cancellation_token import CancellationToken

__all__ = ["MessageContext"]


@dataclass(slots=True)
class MessageContext:
    """The context a handler receives with each message.

    Attributes:
        sender: The sending agent, or ``None`` when the message came from outside any agent.
        topic_id: The topic for a published message; ``None`` for a direct message (RPC).
        is_rpc: Whether the sender awaits a response (``send_message``).
        cancellation_token: Cancelled when the sender gives up on the message.
        message_id: A runtime-unique id of this message.
    """

    sender: AgentId | None
    topic_id: TopicId | None
    is_rpc: bool
    cancellation_token: CancellationToken
    message_id: str
