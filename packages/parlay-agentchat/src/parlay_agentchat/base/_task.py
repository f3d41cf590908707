"""TaskResult and the TaskRunner protocol shared by agents and teams."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol, Union

from pydantic import BaseModel, ConfigDict, SerializeAsAny

from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage
from parlay_core import CancellationToken

__all__ = ["TaskResult", "TaskRunner"]


class TaskResult(BaseModel):
    """What a run produced: every message and event (except streamed chunks), and why it stopped.

    Attributes:
        messages: The task messages (unless ``output_task_messages=False``), then every event
            and chat message produced, in order. ``ModelClientStreamingChunkEvent`` items are
            yielded by ``run_stream`` but not kept here.
        stop_reason: Why a team stopped (the content of the termination condition's
            ``StopMessage``, for example ``"Maximum number of turns 3 reached."``); ``None`` for
            a single agent's run.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    messages: Sequence[SerializeAsAny[Union[BaseAgentEvent, BaseChatMessage]]]
    stop_reason: str | None = None


class TaskRunner(Protocol):
    """Something that runs a task: an agent or a team."""

    async def run(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        """Run the task and return the result.

        Args:
            task: A string (sent as a ``TextMessage`` from ``"user"``), a chat message, a
                non-empty list of chat messages, or ``None`` to continue from where the last
                run stopped.
            cancellation_token: Cancels the run immediately.
            output_task_messages: Whether the task messages start ``TaskResult.messages``.
        """
        ...

    def run_stream(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Run the task, yielding each message and event as it is produced, then the
        :class:`TaskResult`. The arguments are those of :meth:`run`."""
        ...
