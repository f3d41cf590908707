"""BaseChatAgent: the base class of the prebuilt agents, with run and run_stream."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from parlay_agentchat._exceptions import AgentChatError, AgentConfigurationError
from parlay_agentchat._task_input import task_messages
from parlay_agentchat.base import ChatAgent, Response, TaskResult
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    ModelClientStreamingChunkEvent,
)
from parlay_agentchat.state import BaseState
from parlay_core import (
    CancellationToken,
    ComponentBase,
    trace_create_agent_span,
    trace_invoke_agent_span,
)

__all__ = ["BaseChatAgent"]


class BaseChatAgent(ChatAgent, ABC, ComponentBase[BaseModel]):
    """The base of chat agents: implement :meth:`on_messages` (or :meth:`on_messages_stream`),
    :meth:`on_reset` and :attr:`produced_message_types`.

    :meth:`run` and :meth:`run_stream` let you use an agent on its own, without a team.

    Args:
        name: The agent's name; a valid Python identifier, unique within a team.
        description: What the agent does.

    Raises:
        AgentConfigurationError: ``name`` is not a valid identifier.
    """

    component_type = "agent"

    def __init__(self, name: str, description: str) -> None:
        # A GenAI "create_agent" span, as AutoGen records (nothing when tracing is off).
        with trace_create_agent_span(name, agent_description=description):
            if not name.isidentifier():
                raise AgentConfigurationError(
                    f"The agent name {name!r} must be a valid Python identifier (letters, "
                    "digits and underscores, not starting with a digit)."
                )
            self._name = name
            self._description = description

    @property
    def name(self) -> str:
        """The agent's name."""
        return self._name

    @property
    def description(self) -> str:
        """What the agent does."""
        return self._description

    @property
    @abstractmethod
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """The chat message classes the agent may answer with."""

    @abstractmethod
    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Take the new messages and answer."""

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Call :meth:`on_messages`, then yield its inner messages and its response.

        Agents that produce events while they work override this to yield them as they
        happen (and implement :meth:`on_messages` by consuming it).
        """
        response = await self.on_messages(messages, cancellation_token)
        for inner in response.inner_messages or ():
            yield inner
        yield response

    async def run(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        """Run the agent on a task and return everything it produced.

        Args:
            task: A string (sent as a ``TextMessage`` from ``"user"``), a chat message, a
                non-empty list of chat messages, or ``None`` to answer without new input.
            cancellation_token: Cancels the run.
            output_task_messages: Whether the task messages start ``TaskResult.messages``.

        Returns:
            The task messages, the response's inner messages and its chat message, and
            ``stop_reason=None``.

        Raises:
            InvalidTaskError: ``task`` is not a str, chat message or non-empty list of them.
        """
        with trace_invoke_agent_span(self._name, agent_description=self._description):
            token = cancellation_token if cancellation_token is not None else CancellationToken()
            inputs = task_messages(task) or []
            # The messages are the response's inner messages, not what on_messages_stream yielded:
            # an agent may stream work it does not count as its output (SocietyOfMindAgent streams
            # its inner team's messages but answers with none), as in AutoGen.
            response = await self.on_messages(inputs, token)
            output: list[BaseAgentEvent | BaseChatMessage] = (
                list(inputs) if output_task_messages else []
            )
            output.extend(response.inner_messages or ())
            output.append(response.chat_message)
            return TaskResult.model_construct(messages=output, stop_reason=None)

    async def run_stream(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Run the agent, yielding the task messages, each event and message as produced, and
        finally the :class:`TaskResult`. The arguments are those of :meth:`run`."""
        with trace_invoke_agent_span(self._name, agent_description=self._description):
            token = cancellation_token if cancellation_token is not None else CancellationToken()
            inputs = task_messages(task) or []
            output: list[BaseAgentEvent | BaseChatMessage] = []
            if output_task_messages:
                for message in inputs:
                    output.append(message)
                    yield message
            async for item in self.on_messages_stream(inputs, token):
                if isinstance(item, Response):
                    output.append(item.chat_message)
                    yield item.chat_message
                    yield TaskResult.model_construct(messages=output, stop_reason=None)
                    return
                yield item
                if not isinstance(item, ModelClientStreamingChunkEvent):
                    output.append(item)
            raise AgentChatError(
                f"{type(self).__name__}.on_messages_stream ended without yielding a Response; an "
                "agent must finish every turn with one."
            )

    @abstractmethod
    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget the conversation."""

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        """Called when the agent is paused; does nothing by default."""

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        """Called when the agent may go on; does nothing by default."""

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "BaseState", "version": "1.0.0"}``; stateful agents override it."""
        return BaseState().model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Accept a state from :meth:`save_state`; stateful agents override it."""
        BaseState.model_validate(dict(state))

    async def close(self) -> None:
        """Release resources; nothing by default."""
