"""What happens around a message in a hosted runtime: interventions and event logging.

Intervention handlers see every message sent, published or answered, in the order they were
given, and may change or drop it; a dropped message is logged as AutoGen logs it. With a
tracer, each handler runs in an "intercept" span.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from parlay_core._agent_id import AgentId, TopicId
from parlay_core._constants import EVENT_LOGGER_NAME
from parlay_core._exceptions import MessageDroppedException
from parlay_core._intervention import DropMessage, InterventionHandler
from parlay_core._message_context import MessageContext
from parlay_core._telemetry import message_span

__all__ = [
    "DROPPED",
    "intervene_publish",
    "intervene_response",
    "intervene_send",
    "log_dropped",
    "log_message",
]

event_logger = logging.getLogger(EVENT_LOGGER_NAME)

DROPPED: Any = object()
"""What :func:`intervene_publish` returns for a published message a handler dropped."""


def _drops(changed: Any) -> bool:
    return changed is DropMessage or isinstance(changed, DropMessage)


async def intervene_send(
    handlers: Sequence[InterventionHandler],
    tracer: Any | None,
    message: Any,
    ctx: MessageContext,
    recipient: AgentId,
) -> Any:
    """The direct message as the handlers leave it.

    Raises:
        MessageDroppedException: A handler dropped it.
    """
    for handler in handlers:
        if tracer is None:
            changed = await handler.on_send(message, message_context=ctx, recipient=recipient)
        else:
            with message_span(tracer, "intercept", type(handler).__name__):
                changed = await handler.on_send(message, message_context=ctx, recipient=recipient)
        if _drops(changed):
            log_dropped(message, ctx.sender, recipient, "DIRECT")
            raise MessageDroppedException(
                f"An intervention handler dropped the message to {recipient}."
            )
        message = changed
    return message


async def intervene_publish(
    handlers: Sequence[InterventionHandler], tracer: Any | None, message: Any, ctx: MessageContext
) -> Any:
    """The published message as the handlers leave it, or :data:`DROPPED` (logged)."""
    for handler in handlers:
        if tracer is None:
            changed = await handler.on_publish(message, message_context=ctx)
        else:
            with message_span(tracer, "intercept", type(handler).__name__):
                changed = await handler.on_publish(message, message_context=ctx)
        if _drops(changed):
            log_dropped(message, ctx.sender, ctx.topic_id, "PUBLISH")
            return DROPPED
        message = changed
    return message


async def intervene_response(
    handlers: Sequence[InterventionHandler],
    response: Any,
    sender: AgentId,
    recipient: AgentId | None,
) -> Any:
    """The response as the handlers leave it.

    Raises:
        MessageDroppedException: A handler dropped it.
    """
    for handler in handlers:
        changed = await handler.on_response(response, sender=sender, recipient=recipient)
        if _drops(changed):
            log_dropped(response, sender, recipient, "RESPOND")
            raise MessageDroppedException(
                f"An intervention handler dropped the response from {sender}."
            )
        response = changed
    return response


def log_message(
    message: Any, sender: AgentId | None, receiver: AgentId | TopicId, kind: str
) -> None:
    """Log a message being sent or published (a ``MessageEvent``)."""
    from parlay_core.logging import DeliveryStage, MessageEvent, MessageKind

    event_logger.info(
        MessageEvent(
            payload=message,
            sender=sender,
            receiver=receiver,
            kind=MessageKind[kind],
            delivery_stage=DeliveryStage.SEND,
        )
    )


def log_dropped(
    message: Any,
    sender: AgentId | None,
    receiver: AgentId | TopicId | None,
    kind: str,
) -> None:
    """Log a message an intervention handler dropped; ``message`` is what that handler was
    given, as AutoGen logs it."""
    if event_logger.isEnabledFor(logging.INFO):
        from parlay_core.logging import MessageDroppedEvent, MessageKind

        event_logger.info(
            MessageDroppedEvent(
                payload=message, sender=sender, receiver=receiver, kind=MessageKind[kind]
            )
        )
