"""Turning the ``task`` argument of run/run_stream into chat messages, with clear errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from parlay_agentchat._exceptions import InvalidTaskError
from parlay_agentchat.messages import BaseChatMessage, TextMessage

__all__ = ["task_messages"]


def task_messages(
    task: str | BaseChatMessage | Sequence[BaseChatMessage] | None,
) -> list[BaseChatMessage] | None:
    """Return the task as a list of chat messages, or ``None`` for no task.

    Raises:
        InvalidTaskError: ``task`` is an empty list, holds something other than chat messages,
            or is of another type.
    """
    if task is None:
        return None
    if isinstance(task, str):
        return [TextMessage(content=task, source="user")]
    if isinstance(task, BaseChatMessage):
        return [task]
    if isinstance(task, (list, tuple)):
        items = cast(Sequence[object], task)
        if not items:
            raise InvalidTaskError(
                "Task list cannot be empty; pass at least one chat message, or task=None to "
                "continue the conversation."
            )
        for item in items:
            if not isinstance(item, BaseChatMessage):
                raise InvalidTaskError(
                    f"All messages in task list must be valid BaseChatMessage types (chat "
                    f"messages such as TextMessage), not {type(item).__name__}."
                )
        return list(cast(Sequence[BaseChatMessage], items))
    raise InvalidTaskError(
        f"The task must be a str, a chat message or a list of chat messages, not "
        f"{type(task).__name__}."
    )
