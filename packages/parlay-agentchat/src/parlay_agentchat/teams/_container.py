"""ChatAgentContainer: hosts one participant (agent or team) as a core agent of the runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from parlay_agentchat.base import ChatAgent, Response, TaskResult, Team
from parlay_agentchat.messages import BaseChatMessage, MessageFactory
from parlay_agentchat.state import ChatAgentContainerState
from parlay_agentchat.teams._events import (
    ErrorDetails,
    GroupChatAgentResponse,
    GroupChatError,
    GroupChatMessage,
    GroupChatPause,
    GroupChatRequestPublish,
    GroupChatReset,
    GroupChatResume,
    GroupChatStart,
    GroupChatTeamResponse,
)
from parlay_core import (
    MessageContext,
    RoutedAgent,
    TopicId,
    current_tracer,
    event,
    rpc,
    trace_invoke_agent_span,
)

__all__ = ["ChatAgentContainer", "TurnTracing"]

# A turn without a tracer: the same ``with`` statement, no span (nullcontext keeps no state).
_NO_SPAN: AbstractContextManager[Any] = nullcontext()


class TurnTracing:
    """The tracer of a team's "invoke_agent" turn spans, shared by its containers.

    The team looks the tracer up once at the start of each run (see
    :func:`~parlay_core.current_tracer`); until a run has set it (in a worker process that hosts
    participants of a team run elsewhere), every turn looks it up itself.
    """

    __slots__ = ("resolved", "tracer")

    def __init__(self) -> None:
        self.resolved = False
        self.tracer: Any | None = None

    def set(self, tracer: Any | None) -> None:
        """Use ``tracer`` (None: no spans) for the turns of the run that is starting."""
        self.tracer = tracer
        self.resolved = True


class ChatAgentContainer(RoutedAgent):
    """Runs one participant inside a group chat.

    It keeps the chat messages broadcast since the participant last spoke; when asked to take
    its turn, it hands them to the participant, forwards every event to the output topic as it
    happens, and publishes the response to the group.

    Args:
        parent_topic_type: The group topic type.
        output_topic_type: The output topic type (read by the manager for the caller).
        agent: The participant.
        message_factory: Loads dumped messages when a state is restored.
        tracing: The team's turn tracer, or None to look the tracer up on every turn.
    """

    def __init__(
        self,
        parent_topic_type: str,
        output_topic_type: str,
        agent: ChatAgent | Team,
        message_factory: MessageFactory,
        tracing: TurnTracing | None = None,
    ) -> None:
        super().__init__(description=agent.description)
        self._parent_topic_type = parent_topic_type
        self._output_topic_type = output_topic_type
        self._agent = agent
        self._message_factory = message_factory
        self._tracing = tracing
        self._buffer: list[BaseChatMessage] = []
        # Whether the participant is a team, decided once: ``isinstance`` against the ``Team``
        # ABC (a protocol's subclass) costs microseconds, and a turn would pay it every time.
        self._team: Team | None = None
        self._chat_agent: ChatAgent | None = None
        if isinstance(agent, Team):
            self._team = agent
        else:
            self._chat_agent = agent
        # (output topic, group topic, this agent's id as text) for this container's key, built
        # on its first turn.
        self._turn_constants: tuple[TopicId, TopicId, str] | None = None

    @event
    async def handle_start(self, message: GroupChatStart, ctx: MessageContext) -> None:
        """Buffer the task messages."""
        if message.messages:
            self._buffer.extend(message.messages)

    @event
    async def handle_agent_response(
        self, message: GroupChatAgentResponse, ctx: MessageContext
    ) -> None:
        """Buffer another participant's chat message."""
        self._buffer.append(message.response.chat_message)

    @event
    async def handle_team_response(
        self, message: GroupChatTeamResponse, ctx: MessageContext
    ) -> None:
        """Buffer the chat messages of a participant team's turn."""
        self._buffer.extend(m for m in message.result.messages if isinstance(m, BaseChatMessage))

    @event
    async def handle_request(self, message: GroupChatRequestPublish, ctx: MessageContext) -> None:
        """Take the participant's turn and publish what it produced."""
        token = ctx.cancellation_token
        constants = self._turn_constants
        if constants is None:
            agent_id = self.id
            constants = self._turn_constants = (
                TopicId(self._output_topic_type, agent_id.key),
                TopicId(self._parent_topic_type, agent_id.key),
                str(agent_id),
            )
        output, group, agent_id_text = constants
        messages, self._buffer = self._buffer, []
        try:
            team = self._team
            if team is not None:
                result: TaskResult | None = None
                async for item in team.run_stream(
                    task=messages or None, cancellation_token=token, output_task_messages=False
                ):
                    if isinstance(item, TaskResult):
                        result = item
                    else:
                        await self.publish_message(GroupChatMessage(item), output)
                assert result is not None
                reply: GroupChatAgentResponse | GroupChatTeamResponse = GroupChatTeamResponse(
                    result, team.name
                )
            else:
                agent = self._chat_agent
                assert agent is not None
                response: Response | None = None
                # Each turn of an agent is one GenAI "invoke_agent" span, as in AutoGen, so a
                # trace of a team shows who spoke when (free when no tracer provider is set).
                tracing = self._tracing
                if tracing is not None and tracing.resolved:
                    tracer = tracing.tracer
                else:
                    tracer = current_tracer()
                span = (
                    _NO_SPAN
                    if tracer is None
                    else trace_invoke_agent_span(
                        agent.name,
                        tracer=tracer,
                        agent_id=agent_id_text,
                        agent_description=agent.description,
                    )
                )
                with span:
                    async for produced in agent.on_messages_stream(messages, token):
                        if isinstance(produced, Response):
                            response = produced
                        else:
                            await self.publish_message(GroupChatMessage(produced), output)
                if response is None:
                    raise RuntimeError(f"Agent {agent.name!r} ended its turn without a Response.")
                reply = GroupChatAgentResponse(response, agent.name)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            details = ErrorDetails.from_exception(error, f"participant {self._agent.name!r}")
            await self.publish_message(GroupChatError(details), group)
            return
        await self.publish_message(reply, group, cancellation_token=token)

    @rpc
    async def handle_reset(self, message: GroupChatReset, ctx: MessageContext) -> None:
        """Forget the buffer and reset the participant."""
        self._buffer.clear()
        if isinstance(self._agent, Team):
            await self._agent.reset()
        else:
            await self._agent.on_reset(ctx.cancellation_token)

    @rpc
    async def handle_pause(self, message: GroupChatPause, ctx: MessageContext) -> None:
        """Pause the participant."""
        if isinstance(self._agent, Team):
            await self._agent.pause()
        else:
            await self._agent.on_pause(ctx.cancellation_token)

    @rpc
    async def handle_resume(self, message: GroupChatResume, ctx: MessageContext) -> None:
        """Resume the participant."""
        if isinstance(self._agent, Team):
            await self._agent.resume()
        else:
            await self._agent.on_resume(ctx.cancellation_token)

    async def save_state(self) -> Mapping[str, Any]:
        """The participant's state and the buffered messages."""
        return ChatAgentContainerState(
            agent_state=await self._agent.save_state(),
            message_buffer=[m.dump() for m in self._buffer],
        ).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore the participant's state and the buffered messages."""
        loaded = ChatAgentContainerState.model_validate(dict(state))
        buffer: list[BaseChatMessage] = []
        for data in loaded.message_buffer:
            restored = self._message_factory.create(data)
            if isinstance(restored, BaseChatMessage):
                buffer.append(restored)
        await self._agent.load_state(loaded.agent_state)
        self._buffer = buffer
