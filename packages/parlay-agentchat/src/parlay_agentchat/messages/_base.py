"""The abstract message classes every chat message and agent event derives from.

Messages are pydantic models, so they validate user input and dump to JSON; inside a team they
travel as objects and are never serialized (see ``docs/agentchat.md``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime, timezone
from random import getrandbits
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import Self

from parlay_core.models import RequestUsage, UserMessage
from parlay_core.utils import construct_model

__all__ = [
    "BaseAgentEvent",
    "BaseChatMessage",
    "BaseMessage",
    "BaseTextChatMessage",
    "new_message_id",
]


_USER_MESSAGE = UserMessage.__pydantic_validator__

# UUID4 bits: clear the version and variant fields, then set version 4 and the RFC 4122 variant.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_message_id() -> str:
    """A random UUID4 string, as ``str(uuid.uuid4())``, for ids that need not be secret.

    Every message gets one; ``uuid.uuid4`` reads the OS's random source on each call, which
    cost a team about 2 microseconds a turn. The ``random`` module's generator is seeded from
    that source and reseeded in a forked child, so ids stay unique across processes.
    """
    h = "%032x" % (getrandbits(128) & _V4_CLEAR | _V4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
            values["id"] = new_message_id()
        if "metadata" not in values:
            values["metadata"] = {}
        if "created_at" not in values:
            values["created_at"] = _now()
        return construct_model(cls, values, _fields_set)

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

    id: str = Field(default_factory=new_message_id)
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
        # Every agent that hears the message makes one. pydantic-core's validator builds it in
        # about half the instructions of model_construct (which sets four attributes from
        # Python) for two plain strings; content that is not one is kept as model_construct.
        try:
            return cast(
                UserMessage,
                _USER_MESSAGE.validate_python({"content": self.content, "source": self.source}),
            )
        except ValidationError:
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

    id: str = Field(default_factory=new_message_id)
    source: str
    models_usage: RequestUsage | None = None
    metadata: dict[str, str] = Field(default_factory=dict[str, str])
    created_at: datetime = Field(default_factory=_now)
