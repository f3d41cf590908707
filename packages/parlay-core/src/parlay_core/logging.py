"""Structured events written to the ``parlay_core.events`` logger.

Each event is an object whose ``str()`` is one JSON line. The runtime builds them only when the
events logger is enabled for INFO, so they cost nothing when nobody listens.
"""

from __future__ import annotations

import json
import typing
from enum import Enum
from typing import Any

from parlay_core._agent_id import AgentId, TopicId
from parlay_core._contexts import MessageHandlerContext

__all__ = [
    "AgentConstructionExceptionEvent",
    "DeliveryStage",
    "LLMCallEvent",
    "LLMStreamEndEvent",
    "LLMStreamStartEvent",
    "MessageDroppedEvent",
    "MessageEvent",
    "MessageHandlerExceptionEvent",
    "MessageKind",
    "ToolCallEvent",
]


class MessageKind(Enum):
    """How a message travels."""

    DIRECT = 1
    PUBLISH = 2
    RESPOND = 3


class DeliveryStage(Enum):
    """Where in its journey a message was logged."""

    SEND = 1
    DELIVER = 2


def _describe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, AgentId | TopicId):
        return str(value)
    # Containers (a tool call's arguments) stay JSON rather than becoming their repr.
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in typing.cast("dict[object, Any]", value).items()}
    if isinstance(value, list | tuple):
        return [_describe(v) for v in typing.cast("list[Any]", value)]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            return repr(value)
    return repr(value)


class _Event:
    """An event whose fields become one JSON line."""

    def __init__(self, **fields: Any) -> None:
        self.kwargs: dict[str, Any] = {"type": type(self).__name__, **fields}

    def __str__(self) -> str:
        return json.dumps({k: _describe(v) for k, v in self.kwargs.items()}, default=repr)


class MessageEvent(_Event):
    """A message sent, published or responded to, at one delivery stage."""

    def __init__(
        self,
        *,
        payload: Any,
        sender: AgentId | None,
        receiver: AgentId | TopicId | None,
        kind: MessageKind,
        delivery_stage: DeliveryStage,
    ) -> None:
        super().__init__(
            payload=payload,
            sender=sender,
            receiver=receiver,
            kind=kind.name,
            delivery_stage=delivery_stage.name,
        )


class MessageDroppedEvent(_Event):
    """An intervention handler dropped a message."""

    def __init__(
        self,
        *,
        payload: Any,
        sender: AgentId | None,
        receiver: AgentId | TopicId | None,
        kind: MessageKind,
    ) -> None:
        super().__init__(payload=payload, sender=sender, receiver=receiver, kind=kind.name)


class MessageHandlerExceptionEvent(_Event):
    """A handler raised."""

    def __init__(self, *, payload: Any, handling_agent: AgentId, exception: BaseException) -> None:
        super().__init__(payload=payload, handling_agent=handling_agent, exception=repr(exception))


class AgentConstructionExceptionEvent(_Event):
    """An agent factory raised."""

    def __init__(self, *, agent_id: AgentId, exception: BaseException) -> None:
        super().__init__(agent_id=agent_id, exception=repr(exception))


class LLMCallEvent(_Event):
    """A model client call finished (messages, response and token counts)."""

    def __init__(
        self,
        *,
        messages: list[dict[str, Any]],
        response: dict[str, Any],
        prompt_tokens: int,
        completion_tokens: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            messages=messages,
            response=response,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            **kwargs,
        )

    @property
    def prompt_tokens(self) -> int:
        """Tokens in the prompt."""
        return int(self.kwargs["prompt_tokens"])

    @property
    def completion_tokens(self) -> int:
        """Tokens in the completion."""
        return int(self.kwargs["completion_tokens"])


class LLMStreamStartEvent(_Event):
    """A streaming model call started (the messages sent).

    Model clients log it before the first chunk; :class:`LLMStreamEndEvent` follows when the
    stream ends.
    """

    def __init__(self, *, messages: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(messages=messages, **kwargs)


class LLMStreamEndEvent(LLMCallEvent):
    """A streaming model call finished."""


class ToolCallEvent(_Event):
    """A tool was called; ``agent_id`` names the agent whose handler called it, if any."""

    def __init__(self, *, tool_name: str, arguments: dict[str, Any], result: str) -> None:
        try:
            agent_id: str | None = str(MessageHandlerContext.agent_id())
        except RuntimeError:
            agent_id = None
        super().__init__(tool_name=tool_name, arguments=arguments, result=result, agent_id=agent_id)
