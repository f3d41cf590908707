"""BaseGroupChatManager: the core agent that runs a group chat's turns.

It relays the task to the participants, hands each turn to the selected speaker, keeps the
message thread, checks the termination condition on the new messages of each turn and puts
everything the caller should see into the team's output queue.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Union

from parlay_agentchat._constants import EVENT_LOGGER_NAME
from parlay_agentchat.base import TerminationCondition
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    MessageFactory,
    ModelClientStreamingChunkEvent,
    SelectSpeakerEvent,
    StopMessage,
)
from parlay_agentchat.teams._events import (
    ErrorDetails,
    GroupChatAgentResponse,
    GroupChatError,
    GroupChatMessage,
    GroupChatRequestPublish,
    GroupChatReset,
    GroupChatStart,
    GroupChatTeamResponse,
    GroupChatTermination,
)
from parlay_core import CancellationToken, MessageContext, RoutedAgent, TopicId, event, rpc

__all__ = ["BaseGroupChatManager", "OutputChannel"]

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)

Message = Union[BaseAgentEvent, BaseChatMessage]


class OutputChannel:
    """Where a manager puts what the caller of ``run`` or ``run_stream`` sees.

    The team opens the channel with a fresh queue for each run, so a team works across event
    loops (for example two ``asyncio.run`` calls) and nothing from an earlier run leaks into the
    next. For ``run_stream`` every item goes into the queue, which the caller reads one by one.
    For ``run`` the messages go straight into the result's list (except streaming chunks, which
    a result leaves out) and only the end of the run is queued, so the caller's task wakes once
    per run instead of once per message. Items put while no run is reading are dropped, and so
    are messages put after the run's end.
    """

    __slots__ = ("_collected", "_queue")

    def __init__(self) -> None:
        self._queue: asyncio.Queue[object] | None = None
        self._collected: list[Message] | None = None

    def open(self, queue: asyncio.Queue[object], collected: list[Message] | None) -> None:
        """Start a run: its reader waits on ``queue``; with ``collected``, messages go there."""
        self._queue = queue
        self._collected = collected

    def close(self, queue: asyncio.Queue[object]) -> None:
        """End the run reading ``queue`` (a later run's channel is left alone)."""
        if self._queue is queue:
            self._queue = None
            self._collected = None

    def put(self, item: Message) -> None:
        """Hand a message or event to the reader of the current run, if any."""
        collected = self._collected
        if collected is not None:
            if not isinstance(item, ModelClientStreamingChunkEvent):
                collected.append(item)
            return
        queue = self._queue
        if queue is not None:
            queue.put_nowait(item)

    def finish(self, termination: GroupChatTermination) -> None:
        """Hand the end of the run to its reader; later messages of the run are dropped."""
        queue = self._queue
        if queue is not None:
            if self._collected is not None:
                self._collected = None
                self._queue = None
            queue.put_nowait(termination)


class BaseGroupChatManager(RoutedAgent, ABC):
    """The manager of a group chat; subclasses choose the speakers.

    Args:
        name: The manager's name (the key of its state in a ``TeamState``).
        group_topic_type: The topic every participant and the manager listen to.
        output_topic_type: The topic participants send their events to, on their way out.
        participant_topic_types: Each participant's own topic type.
        participant_names: The participants' names, in order.
        participant_descriptions: The participants' descriptions, in order.
        output_channel: Where the caller's ``run_stream`` reads from.
        termination_condition: The team's condition, if any.
        max_turns: The team's turn limit, if any.
        message_factory: Loads dumped messages when a state is restored.
        emit_team_events: Whether speaker selections are reported as events.
    """

    def __init__(
        self,
        name: str,
        group_topic_type: str,
        output_topic_type: str,
        participant_topic_types: Sequence[str],
        participant_names: Sequence[str],
        participant_descriptions: Sequence[str],
        output_channel: OutputChannel,
        termination_condition: TerminationCondition | None,
        max_turns: int | None,
        message_factory: MessageFactory,
        emit_team_events: bool = False,
    ) -> None:
        super().__init__(description="Manages a group chat.")
        self._name = name
        self._group_topic_type = group_topic_type
        self._output_topic_type = output_topic_type
        self._participant_names = list(participant_names)
        self._participant_descriptions = list(participant_descriptions)
        self._topic_by_name = dict(zip(participant_names, participant_topic_types, strict=True))
        self._turn_topics: dict[str, TopicId] = {}  # each participant's "your turn" topic
        self._output = output_channel
        self._termination_condition = termination_condition
        self._max_turns = max_turns
        self._message_factory = message_factory
        self._emit_team_events = emit_team_events
        self._message_thread: list[Message] = []
        self._current_turn = 0
        self._active_speakers: list[str] = []
        # The token of the turn being handed out, for model-based selectors.
        self._turn_token = CancellationToken()

    # --- what subclasses decide ----------------------------------------------------------------

    @abstractmethod
    async def select_speaker(self, thread: Sequence[Message]) -> str | Sequence[str]:
        """Choose who speaks next: one name, several names (they speak concurrently), or none
        (an empty list: the run waits, and an embedded runtime ends it as idle)."""

    async def validate_group_state(self, messages: Sequence[BaseChatMessage] | None) -> None:
        """Check that a run may start with these task messages; raise if not."""

    async def reset(self) -> None:
        """Forget what the subclass keeps (speaker indexes, ...)."""

    async def update_message_thread(self, messages: Sequence[Message]) -> None:
        """Append new messages to the thread; subclasses may also track them elsewhere."""
        self._message_thread.extend(messages)

    # --- output --------------------------------------------------------------------------------

    def _emit(self, item: Message) -> None:
        self._output.put(item)
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info("%s", item.model_dump_json())

    def _signal_termination(self, stop: StopMessage, error: ErrorDetails | None = None) -> None:
        self._active_speakers.clear()
        self._output.finish(GroupChatTermination(stop, error))

    def _fail(self, error: Exception, source: str) -> None:
        details = ErrorDetails.from_exception(error, source)
        stop = StopMessage(content=f"An error occurred: {details}", source=self._name)
        self._signal_termination(stop, details)

    # --- handlers ------------------------------------------------------------------------------

    @rpc
    async def handle_start(self, message: GroupChatStart, ctx: MessageContext) -> None:
        """Start a run: relay the task, check termination, hand the first turn out.

        Raises:
            Exception: Whatever :meth:`validate_group_state` raises, as is (AutoGen's callers
                catch its ``ValueError``s from ``run``); later errors end the run instead.
        """
        # A new run after a cancelled or failed one: whoever was speaking is not coming back.
        self._active_speakers.clear()
        await self.validate_group_state(message.messages)
        try:
            await self._start(message, ctx.cancellation_token)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._fail(error, f"group chat manager {self._name!r}")

    async def _start(self, message: GroupChatStart, token: CancellationToken) -> None:
        if message.messages:
            if message.output_task_messages:
                for task_message in message.messages:
                    self._emit(task_message)
            await self.publish_message(
                GroupChatStart(messages=message.messages),
                TopicId(self._group_topic_type, self.id.key),
                cancellation_token=token,
            )
            await self.update_message_thread(message.messages)
            if await self._check_termination(message.messages, count_turn=False):
                return
        await self._hand_out_turns(token)

    @event
    async def handle_agent_response(
        self, message: GroupChatAgentResponse, ctx: MessageContext
    ) -> None:
        """A participant agent finished its turn."""
        chat_message = message.response.chat_message
        self._emit(chat_message)
        inner = message.response.inner_messages
        delta: list[Message] = [*inner, chat_message] if inner else [chat_message]
        await self._after_turn(message.name, delta, ctx.cancellation_token)

    @event
    async def handle_team_response(
        self, message: GroupChatTeamResponse, ctx: MessageContext
    ) -> None:
        """A participant team finished its turn (its messages were already streamed out)."""
        await self._after_turn(message.name, list(message.result.messages), ctx.cancellation_token)

    async def _after_turn(self, name: str, delta: list[Message], token: CancellationToken) -> None:
        try:
            await self.update_message_thread(delta)
            if name in self._active_speakers:
                self._active_speakers.remove(name)
            if self._active_speakers:
                return  # others of this round are still speaking
            if await self._check_termination(delta, count_turn=True):
                return
            await self._hand_out_turns(token)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._fail(error, f"group chat manager {self._name!r}")

    @event
    async def handle_message(self, message: GroupChatMessage, ctx: MessageContext) -> None:
        """Pass an event of the current turn on to the caller."""
        self._emit(message.message)

    @event
    async def handle_error(self, message: GroupChatError, ctx: MessageContext) -> None:
        """A participant raised: end the run with its error."""
        stop = StopMessage(content=f"An error occurred: {message.error}", source=self._name)
        self._signal_termination(stop, message.error)

    @rpc
    async def handle_reset(self, message: GroupChatReset, ctx: MessageContext) -> None:
        """Forget the conversation."""
        self._message_thread.clear()
        self._current_turn = 0
        self._active_speakers.clear()
        if self._termination_condition is not None:
            await self._termination_condition.reset()
        await self.reset()

    # --- turns ---------------------------------------------------------------------------------

    async def _check_termination(self, delta: Sequence[Message], *, count_turn: bool) -> bool:
        condition = self._termination_condition
        if condition is not None:
            stop = await condition(delta)
            if stop is not None:
                await self._terminate(stop)
                return True
        if count_turn:
            self._current_turn += 1
        if self._max_turns is not None and self._current_turn >= self._max_turns:
            await self._terminate(
                StopMessage(
                    content=f"Maximum number of turns {self._max_turns} reached.", source=self._name
                )
            )
            return True
        return False

    async def _terminate(self, stop: StopMessage) -> None:
        # Reset before reporting, so the team can run again as soon as the caller hears of it.
        if self._termination_condition is not None:
            await self._termination_condition.reset()
        self._current_turn = 0
        self._signal_termination(stop)

    async def _hand_out_turns(self, token: CancellationToken) -> None:
        self._turn_token = token
        selected = await self.select_speaker(self._message_thread)
        names = [selected] if isinstance(selected, str) else list(selected)
        for name in names:
            if name not in self._topic_by_name:
                raise ValueError(
                    f"The speaker selector chose {name!r}, which is not a participant; "
                    f"participants are {self._participant_names}."
                )
        if self._emit_team_events and names:
            self._emit(SelectSpeakerEvent(content=names, source=self._name))
        self._active_speakers = list(names)
        for name in names:
            topic = self._turn_topics.get(name)
            if topic is None:
                topic = self._turn_topics[name] = TopicId(self._topic_by_name[name], self.id.key)
            await self.publish_message(GroupChatRequestPublish(), topic, cancellation_token=token)

    # --- state ---------------------------------------------------------------------------------

    def _dump_thread(self) -> list[Mapping[str, Any]]:
        return [m.dump() for m in self._message_thread]

    def _load_thread(self, dumps: Sequence[Mapping[str, Any]]) -> None:
        self._message_thread = [self._message_factory.create(d) for d in dumps]
