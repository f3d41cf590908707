"""Live delivery of a session's events to its readers (the event streams of the API).

Stored events are published after they are committed; streamed tokens (not stored) are
published as they come and kept per session until the message they belong to is stored, so a
reader that connects mid-message starts with the tokens so far.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from parlay_agentchat.serve._store import SessionRecord, StoredEvent

__all__ = ["Broadcaster", "Subscription", "event_payload", "session_payload"]

_SUBSCRIBER_BACKLOG = 2000


def event_payload(event: StoredEvent) -> dict[str, Any]:
    """An event as the API sends it: its number, time and body."""
    return {"seq": event.seq, "time": event.created, **event.body}


def session_payload(record: SessionRecord) -> dict[str, Any]:
    """A session as the API sends it (its saved team state stays on the server)."""
    return {
        "id": record.id,
        "team": record.team,
        "title": record.title,
        "status": record.status,
        "created": record.created,
        "updated": record.updated,
        "pending": record.pending,
        "error": record.error,
        "usage": {
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
        },
        "last_seq": record.last_seq,
    }


@dataclass
class Subscription:
    """What a reader of a session's stream starts from.

    Attributes:
        queue: Receives each new event (``None`` when the server stops or the reader fell too
            far behind).
        published: The number of the last event published when it subscribed (``None`` if
            none was published by this process).
        partial: The tokens streamed since that event.
    """

    queue: asyncio.Queue[dict[str, Any] | None]
    published: int | None
    partial: list[dict[str, Any]]


class Broadcaster:
    """Hands each session's events to the queues of its current readers."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any] | None]]] = {}
        # Per session: the number of the last event published, and the tokens streamed since.
        self._published: dict[str, int] = {}
        self._partial: dict[str, list[dict[str, Any]]] = {}

    def subscribe(self, session_id: str) -> Subscription:
        """Start receiving the session's new events (``None`` when the server stops).

        The subscription also holds the tokens streamed since the session's last stored event
        (so a reader that connects mid-message sees them) and the number of that event.
        """
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(_SUBSCRIBER_BACKLOG)
        # No await between the snapshot and the registration: nothing falls in between.
        partial = list(self._partial.get(session_id, ()))
        self._subscribers.setdefault(session_id, set()).add(queue)
        return Subscription(queue, self._published.get(session_id), partial)

    def unsubscribe(self, session_id: str, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """Stop sending events to the queue."""
        queues = self._subscribers.get(session_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._subscribers[session_id]

    def publish(self, event: StoredEvent | dict[str, Any]) -> None:
        payload = event_payload(event) if isinstance(event, StoredEvent) else event
        session_id = event.session_id if isinstance(event, StoredEvent) else event["session"]
        if isinstance(event, StoredEvent):
            self._published[session_id] = event.seq
            self._partial.pop(session_id, None)
        else:
            self._partial.setdefault(session_id, []).append(payload)
        for queue in list(self._subscribers.get(session_id, ())):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                # A reader this far behind reconnects and reads the rest from the store.
                self.unsubscribe(session_id, queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)

    def end_all(self) -> None:
        """Tell every reader the server stops."""
        for queues in self._subscribers.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)
