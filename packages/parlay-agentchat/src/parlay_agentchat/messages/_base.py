"""The abstract message classes every chat message and agent event derives from.

Messages are pydantic models, so they validate user input and dump to JSON; inside a team they
travel as objects and are never serialized (see ``docs/agentchat.md``).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import Self

from parlay_core.models import RequestUsage, UserMessage

__all__ = ["BaseAgentEvent", "BaseChatMessage", "BaseMessage", "BaseTextChatMessage"]


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(timezone.utc)


class BaseMessage(BaseModel, ABC):
    """The root of every message and event: it renders as text and dumps to JSON-ready data."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @abstractmethod
    def to_text(self) -> str:
        """Render the message as text for people (consoles, logs)."""

    def dump(self) -> Mapping[str, Any]:
        """Return the message as JSON-ready data, including its ``type``.

        Returns:
            A dict that :meth:`load` (or a :class:`MessageFactory`) turns back into the message.
        """
        return self.model_dump(mode="json")

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        """Build a message from already-valid values, without validation.

        Pydantic inspects every default factory's signature on each ``model_construct`` call;
        inside a team that was about a quarter of the cost of a turn. The per-message defaults
        (``id``, ``metadata``, ``created_at``) are therefore filled here directly.
        """
        if _fields_set is None:
            _fields_set = set(values)
        if "id" not in values:
            values["id"] = _new_id()
        if "metadata" not in values:
            values["metadata"] = {}
        if "created_at" not in values:
            values["created_at"] = _now()
        return super().model_construct(_fields_set, **values)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Self:
        """Build the message from data produced by :meth:`dump`.

        Args:
            data: The dumped message.

        Returns:
            The message.
        """
        return cls.model_validate(dict(data))


class BaseChatMessage(BaseMessage, ABC):
    """A message agents exchange in a conversation; one per turn of a team.

    Attributes:
        id: A unique id (a UUID4 string).
        source: The name of the agent (or ``"user"``) that produced it.
        models_usage: Token usage of the model calls that produced it, if any.
        metadata: Free-form string metadata.
        created_at: When it was created (UTC).
    """

    id: str = Field(default_factory=_new_id)
    source: str
    models_usage: RequestUsage | None = None
    metadata: dict[str, str] = Field(default_factory=dict[str, str])
    created_at: datetime = Field(default_factory=_now)

    @abstractmethod
    def to_model_text(self) -> str:
        """Render the message as text for a model."""

    @abstractmethod
    def to_model_message(self) -> UserMessage:
        """Turn the message into the model message an agent adds to its model context."""


class BaseTextChatMessage(BaseChatMessage, ABC):
    """A chat message whose content is one string.

    Attributes:
        content: The text.
    """

    content: str

    def to_text(self) -> str:
        """Return the content."""
        return self.content

    def to_model_text(self) -> str:
        """Return the content."""
        return self.content

    def to_model_message(self) -> UserMessage:
        """Return ``UserMessage(content=content, source=source)``."""
        # Both fields are already validated strings: skip a second validation.
        return UserMessage.model_construct(content=self.content, source=self.source)


class BaseAgentEvent(BaseMessage, ABC):
    """Something that happened inside an agent (a tool call, a streamed chunk, a thought).

    Events are shown to observers and termination conditions but are not chat messages: other
    agents do not receive them.

    Attributes:
        id: A unique id (a UUID4 string).
        source: The name of the agent that produced it.
        models_usage: Token usage of the model call that produced it, if any.
        metadata: Free-form string metadata.
        created_at: When it was created (UTC).
    """

    id: str = Field(default_factory=_new_id)
    source: str
    models_usage: RequestUsage | None = None
    metadata: dict[str, str] = Field(default_factory=dict[str, str])
    created_at: datetime = Field(default_factory=_now)
