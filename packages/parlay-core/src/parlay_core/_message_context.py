"""What a handler knows about the message it is handling."""

from __future__ import annotations

from dataclasses import dataclass

from parlay_core._agent_id import AgentId, TopicId
from parlay_core._cancellation_token import CancellationToken

__all__ = ["MessageContext"]


# A dataclass (as in AutoGen: fields(), replace() and asdict() work) whose methods are written
# out: generating them costs more at import than the rest of the module, and this class is
# loaded by every `import parlay_core`. The methods are those @dataclass(slots=True) would make.
@dataclass(init=False, repr=False, eq=False)
class MessageContext:
    """The context a handler receives with each message.

    Attributes:
        sender: The sending agent, or ``None`` when the message came from outside any agent.
        topic_id: The topic for a published message; ``None`` for a direct message (RPC).
        is_rpc: Whether the sender awaits a response (``send_message``).
        cancellation_token: Cancelled when the sender gives up on the message.
        message_id: A runtime-unique id of this message.
    """

    __slots__ = ("cancellation_token", "is_rpc", "message_id", "sender", "topic_id")

    sender: AgentId | None
    topic_id: TopicId | None
    is_rpc: bool
    cancellation_token: CancellationToken
    message_id: str

    def __init__(
        self,
        sender: AgentId | None,
        topic_id: TopicId | None,
        is_rpc: bool,
        cancellation_token: CancellationToken,
        message_id: str,
    ) -> None:
        self.sender = sender
        self.topic_id = topic_id
        self.is_rpc = is_rpc
        self.cancellation_token = cancellation_token
        self.message_id = message_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__qualname__}(sender={self.sender!r}, topic_id={self.topic_id!r}, "
            f"is_rpc={self.is_rpc!r}, cancellation_token={self.cancellation_token!r}, "
            f"message_id={self.message_id!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MessageContext) or other.__class__ is not self.__class__:
            return NotImplemented
        return (
            self.sender,
            self.topic_id,
            self.is_rpc,
            self.cancellation_token,
            self.message_id,
        ) == (
            other.sender,
            other.topic_id,
            other.is_rpc,
            other.cancellation_token,
            other.message_id,
        )
