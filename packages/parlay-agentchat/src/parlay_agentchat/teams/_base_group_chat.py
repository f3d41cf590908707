"""BaseGroupChat: a team built from core agents and topics, runnable on any AgentRuntime.

Each participant is wrapped in a :class:`ChatAgentContainer` registered as agent type
``"{name}_{team_id}"``; a manager agent runs the turns. They talk over topics that carry the
team id (``group_topic_{team_id}``, ``output_topic_{team_id}`` and one topic per participant),
so several teams share one runtime without crossing wires.
"""

from __future__ import annotations

import asyncio
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from parlay_agentchat._exceptions import (
    AgentConfigurationError,
    MessageTypeNotRegisteredError,
    TeamAlreadyRunningError,
    TeamRunError,
    TeamRunningError,
)
from parlay_agentchat._task_input import task_messages
from parlay_agentchat.base import ChatAgent, TaskResult, Team, TerminationCondition
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    MessageFactory,
    ModelClientStreamingChunkEvent,
    StopMessage,
)
from parlay_agentchat.state import TeamState
from parlay_agentchat.teams._container import ChatAgentContainer, TurnTracing
from parlay_agentchat.teams._events import (
    ErrorDetails,
    GroupChatPause,
    GroupChatReset,
    GroupChatResume,
    GroupChatStart,
    GroupChatTermination,
)
from parlay_agentchat.teams._manager import BaseGroupChatManager, OutputChannel
from parlay_agentchat.teams._wire import register_wire_types, team_event_serializers
from parlay_core import (
    AgentId,
    AgentRuntime,
    CancellationToken,
    ComponentBase,
    ComponentModel,
    SingleThreadedAgentRuntime,
    TypeSubscription,
    current_tracer,
    load_component,
)
from parlay_core.exceptions import RuntimeStateError, StateError

__all__ = ["BaseGroupChat", "load_chat_agents", "load_condition", "load_participants"]

_CANCELLED = object()


def load_participants(configs: Sequence[ComponentModel]) -> list[ChatAgent | Team]:
    """Load participant configs, checking that each is an agent or a team."""
    loaded: list[ChatAgent | Team] = []
    for config in configs:
        participant = load_component(config)
        if not isinstance(participant, (ChatAgent, Team)):
            raise AgentConfigurationError(
                f"A participant config loaded a {type(participant).__name__}, which is neither "
                "a chat agent nor a team."
            )
        loaded.append(participant)
    return loaded


def load_chat_agents(configs: Sequence[ComponentModel], team: str) -> list[ChatAgent]:
    """Load participant configs for a team whose participants must be chat agents."""
    agents: list[ChatAgent] = []
    for participant in load_participants(configs):
        if not isinstance(participant, ChatAgent):
            raise AgentConfigurationError(f"{team} participants must be chat agents.")
        agents.append(participant)
    return agents


def load_condition(config: ComponentModel | None) -> TerminationCondition | None:
    """Load a team's termination condition config, if it has one."""
    return None if config is None else TerminationCondition.load_component(config)


class BaseGroupChat(Team, ABC, ComponentBase[BaseModel]):
    """The base of group-chat teams; subclasses supply the manager that picks speakers.

    Args:
        name: The team's name.
        description: What the team does.
        participants: The agents (or teams) taking part; names must be unique.
        group_chat_manager_name: The manager's name, also its key in the saved state.
        termination_condition: Stops the run when it fires.
        max_turns: Stops the run after this many turns.
        runtime: A runtime to run on, which the caller starts and stops; by default each team
            embeds a :class:`~parlay_core.SingleThreadedAgentRuntime` started for each run.
        custom_message_types: Message classes (beyond the built-in ones) that task messages,
            participants or saved states use.
        emit_team_events: Report speaker selections as ``SelectSpeakerEvent``.
        team_id: Names the team's agent types and topics (a random id by default). Processes
            that share one distributed runtime and build the same team with the same id form
            one team.
        hosted: The participant names (and the manager's name) whose agents this process
            registers on the runtime; by default all. With a distributed runtime, each worker
            process hosts its share (see :meth:`host`), and the process that calls :meth:`run`
            hosts the manager.

    Raises:
        AgentConfigurationError: No participants, duplicate names, ``max_turns`` below 1, an
            empty ``team_id``, or a name in ``hosted`` that is neither a participant nor the
            manager.
    """

    component_type = "team"

    def __init__(
        self,
        name: str,
        description: str,
        participants: Sequence[ChatAgent | Team],
        group_chat_manager_name: str,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: AgentRuntime | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
        *,
        team_id: str | None = None,
        hosted: Sequence[str] | None = None,
    ) -> None:
        if not participants:
            raise AgentConfigurationError("A team needs at least one participant.")
        names = [p.name for p in participants]
        if len(set(names)) != len(names):
            raise AgentConfigurationError(f"The participant names must be unique: {names}.")
        if max_turns is not None and max_turns < 1:
            raise AgentConfigurationError(f"max_turns must be at least 1 or None, not {max_turns}.")
        self._name = name
        self._description = description
        self._participants = list(participants)
        self._participant_names = names
        self._termination_condition = termination_condition
        self._max_turns = max_turns
        self._emit_team_events = emit_team_events
        self._message_factory = MessageFactory()
        self._custom_types: list[type[BaseAgentEvent | BaseChatMessage]] = []
        for message_type in custom_message_types or ():
            self._message_factory.register(message_type)
            self._custom_types.append(message_type)
        for participant in participants:
            if isinstance(participant, ChatAgent):
                for produced in participant.produced_message_types:
                    self._message_factory.register(produced)
                    self._custom_types.append(produced)
        if team_id is not None and not team_id:
            raise AgentConfigurationError("team_id must not be empty.")
        known = [*names, group_chat_manager_name]
        unknown = [n for n in hosted or () if n not in known]
        if unknown:
            raise AgentConfigurationError(
                f"hosted names {unknown} are neither participants nor the manager; use names "
                f"from {known}."
            )
        self._hosted = set(known if hosted is None else hosted)
        self._team_id = team_id if team_id is not None else str(uuid.uuid4())
        self._group_chat_manager_name = group_chat_manager_name
        self._group_topic_type = f"group_topic_{self._team_id}"
        self._output_topic_type = f"output_topic_{self._team_id}"
        self._manager_topic_type = f"{group_chat_manager_name}_{self._team_id}"
        self._participant_topic_types = [f"{n}_{self._team_id}" for n in names]
        self._embedded = runtime is None
        self._runtime: AgentRuntime = (
            runtime
            if runtime is not None
            else SingleThreadedAgentRuntime(ignore_unhandled_exceptions=False)
        )
        self._initialized = False
        self._is_running = False
        self._output = OutputChannel()
        self._tracing = TurnTracing()

    @property
    def name(self) -> str:
        """The team's name."""
        return self._name

    @property
    def description(self) -> str:
        """What the team does."""
        return self._description

    @abstractmethod
    def _create_manager(
        self, output_channel: OutputChannel, message_factory: MessageFactory
    ) -> BaseGroupChatManager:
        """Build the manager agent (called by the runtime, inside its factory)."""

    def _config_fields(self) -> dict[str, Any]:
        """The config fields every group chat saves (its subclasses add their own)."""
        condition = self._termination_condition
        return {
            "name": self._name,
            "description": self._description,
            "participants": [p.dump_component() for p in self._participants],
            "termination_condition": condition.dump_component() if condition else None,
            "max_turns": self._max_turns,
        }

    def _manager_args(
        self, output_channel: OutputChannel, message_factory: MessageFactory
    ) -> dict[str, Any]:
        """The constructor arguments every manager takes."""
        return {
            "name": self._group_chat_manager_name,
            "group_topic_type": self._group_topic_type,
            "output_topic_type": self._output_topic_type,
            "participant_topic_types": self._participant_topic_types,
            "participant_names": self._participant_names,
            "participant_descriptions": [p.description for p in self._participants],
            "output_channel": output_channel,
            "termination_condition": self._termination_condition,
            "max_turns": self._max_turns,
            "message_factory": message_factory,
            "emit_team_events": self._emit_team_events,
        }

    async def _init(self) -> None:
        runtime = self._runtime
        group = self._group_topic_type
        for participant, topic_type in zip(
            self._participants, self._participant_topic_types, strict=True
        ):
            if participant.name not in self._hosted:
                continue
            await ChatAgentContainer.register(
                runtime, topic_type, self._container_factory(participant)
            )
            await runtime.add_subscription(TypeSubscription(topic_type, topic_type))
            await runtime.add_subscription(TypeSubscription(group, topic_type))
        if self._group_chat_manager_name in self._hosted:
            await BaseGroupChatManager.register(
                runtime,
                self._manager_topic_type,
                lambda: self._create_manager(self._output, self._message_factory),
            )
            manager = self._manager_topic_type
            for topic_type in (manager, group, self._output_topic_type):
                await runtime.add_subscription(TypeSubscription(topic_type, manager))
        # Replace the generic dataclass serializers registered above with ones that can write
        # the chat messages inside team events (used only where messages leave the process).
        register_wire_types(self._custom_types)
        runtime.add_message_serializer(team_event_serializers())
        self._initialized = True

    async def host(self) -> None:
        """Register this process's share of the team (see ``hosted``) on its runtime, without
        running it.

        A worker process of a distributed runtime calls this, then serves until it stops; the
        team's :meth:`run` registers by itself. Calling it again does nothing.
        """
        if not self._initialized:
            await self._init()

    def _container_factory(self, participant: ChatAgent | Team) -> Callable[[], ChatAgentContainer]:
        def factory() -> ChatAgentContainer:
            return ChatAgentContainer(
                self._group_topic_type,
                self._output_topic_type,
                participant,
                self._message_factory,
                self._tracing,
            )

        return factory

    def _manager_id(self) -> AgentId:
        return AgentId(self._manager_topic_type, self._team_id)

    def _participant_ids(self) -> list[AgentId]:
        return [AgentId(t, self._team_id) for t in self._participant_topic_types]

    # --- running -------------------------------------------------------------------------------

    async def run(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        """Run the team until it stops and return every message and the stop reason.

        A team keeps its conversation: a new run continues it (with ``task=None``, or a new
        task). Call :meth:`reset` to start afresh.

        Args:
            task: A string (a ``TextMessage`` from ``"user"``), a chat message, a non-empty
                list of chat messages, or ``None`` to continue.
            cancellation_token: Aborts the run at once (the current turn is cancelled).
            output_task_messages: Whether the task messages start the result.

        Raises:
            InvalidTaskError: ``task`` is of the wrong type or an empty list.
            MessageTypeNotRegisteredError: A task message's class is not registered; pass it
                as ``custom_message_types``.
            TeamAlreadyRunningError: The team is already running.
            RuntimeStateError: The team was given a ``SingleThreadedAgentRuntime`` that is not
                started.
            TeamRunError: A participant, the speaker selection or the termination condition
                raised; the original exception is the ``__cause__``.
            asyncio.CancelledError: The token was cancelled.
        """
        # Nobody reads the messages one by one here, so unless a subclass (or a patch) changed
        # run_stream, they are collected as they are produced and this task wakes only when the
        # run ends, instead of once per message.
        collect = getattr(self.run_stream, "__func__", None) is BaseGroupChat.run_stream
        items = (
            self._run_items(task, cancellation_token, output_task_messages, collect=True)
            if collect
            else self.run_stream(
                task=task,
                cancellation_token=cancellation_token,
                output_task_messages=output_task_messages,
            )
        )
        result: TaskResult | None = None
        async for item in items:
            if isinstance(item, TaskResult):
                result = item
        assert result is not None  # the run ends with a TaskResult or raises
        return result

    def run_stream(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Run the team, yielding the task messages, every event and message as produced, and
        finally the :class:`TaskResult`. Arguments and errors are those of :meth:`run`."""
        return self._run_items(task, cancellation_token, output_task_messages, collect=False)

    async def _run_items(
        self,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None,
        cancellation_token: CancellationToken | None,
        output_task_messages: bool,
        *,
        collect: bool,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """The run behind :meth:`run_stream` (``collect=False``: every item is yielded) and
        :meth:`run` (``collect=True``: the output channel keeps the items in a list and only
        the final :class:`TaskResult` is yielded)."""
        if self._group_chat_manager_name not in self._hosted:
            raise AgentConfigurationError(
                f"This process does not host the team's manager {self._group_chat_manager_name!r}: run the "
                "team in the process whose hosted names include it."
            )
        messages = task_messages(task)
        for message in messages or ():
            if not self._message_factory.is_registered(type(message)):
                raise MessageTypeNotRegisteredError(
                    f"Message type {type(message).__name__} is not registered with the team's "
                    "message factory. Pass it to the team as custom_message_types=[...]."
                )
        if self._is_running:
            raise TeamAlreadyRunningError(
                "The team is already running, it cannot run again until it is stopped."
            )
        self._check_runtime_started()
        self._is_running = True
        # The run's own token: cancelled by the caller's token, and by us if the run is
        # abandoned or fails, so no turn keeps running in the background.
        run_token = CancellationToken()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        output: list[BaseAgentEvent | BaseChatMessage] = []
        self._output.open(queue, output if collect else None)
        # Looked up once per run, not on each turn (see TurnTracing).
        self._tracing.set(current_tracer())

        def wake_reader() -> None:
            # The token may be cancelled from another thread (a UI, a signal handler), or
            # long after the run, when its loop is gone.
            if not loop.is_closed():
                loop.call_soon_threadsafe(queue.put_nowait, _CANCELLED)

        run_token.add_callback(wake_reader)
        if cancellation_token is not None:
            cancellation_token.add_callback(run_token.cancel)
        finished = False
        shutdown: asyncio.Future[None] | None = None
        try:
            if not self._initialized:
                await self._init()
            if self._embedded:
                assert isinstance(self._runtime, SingleThreadedAgentRuntime)
                self._runtime.start()
                shutdown = asyncio.ensure_future(self._stop_when_idle(self._runtime, queue))
            await self._runtime.send_message(
                GroupChatStart(messages=messages, output_task_messages=output_task_messages),
                self._manager_id(),
                cancellation_token=run_token,
            )
            while True:
                item = await queue.get()
                if item is _CANCELLED:
                    raise asyncio.CancelledError("The team run was cancelled through its token.")
                if isinstance(item, GroupChatTermination):
                    if item.error is not None:
                        reason = str(item.error).rstrip(".")
                        raise TeamRunError(
                            f"The team run failed: {reason}. Fix the cause, then run the team "
                            "again (call reset() first to start the conversation afresh)."
                        ) from item.error.exception
                    stop_reason = item.message.content
                    break
                assert isinstance(item, (BaseAgentEvent, BaseChatMessage))
                yield item
                if not isinstance(item, ModelClientStreamingChunkEvent):
                    output.append(item)
            finished = True
            yield TaskResult.model_construct(messages=output, stop_reason=stop_reason)
        finally:
            if not finished:
                run_token.cancel()
            try:
                if shutdown is not None:
                    await shutdown
            finally:
                self._output.close(queue)
                self._is_running = False

    def _check_runtime_started(self) -> None:
        # A runtime the caller passed in and never started would hold the start message
        # forever: the run would hang without a word.
        runtime = self._runtime
        if (
            not self._embedded
            and isinstance(runtime, SingleThreadedAgentRuntime)
            and not runtime.is_running
        ):
            raise RuntimeStateError(
                "The team was given a runtime that is not started, so the run would wait "
                "forever: call runtime.start() before running the team (or leave out runtime= "
                "and the team starts and stops a runtime of its own)."
            )

    async def _stop_when_idle(
        self, runtime: SingleThreadedAgentRuntime, queue: asyncio.Queue[object]
    ) -> None:
        try:
            await runtime.stop_when_idle()
        except Exception as error:
            details = ErrorDetails.from_exception(error, "the team's runtime")
            stop = StopMessage(content="An exception occurred in the runtime.", source=self._name)
            queue.put_nowait(GroupChatTermination(stop, details))
            return
        # Nothing is left to do, yet no condition stopped the run.
        stop = StopMessage(
            content="The group chat is stopped.", source=self._group_chat_manager_name
        )
        queue.put_nowait(GroupChatTermination(stop))

    # --- control -------------------------------------------------------------------------------

    async def _with_runtime(self, work: Callable[[], Any]) -> None:
        """Run ``work`` (which sends RPCs) with the embedded runtime started, then idle."""
        if self._is_running:
            raise TeamRunningError(
                "The team is running; wait for the run to end (or cancel it) first."
            )
        self._is_running = True
        try:
            if not self._initialized:
                await self._init()
            if not self._embedded:
                await work()
                return
            assert isinstance(self._runtime, SingleThreadedAgentRuntime)
            self._runtime.start()
            try:
                await work()
            finally:
                await self._runtime.stop_when_idle()
        finally:
            self._is_running = False

    async def reset(self) -> None:
        """Reset every participant, the manager and the termination condition.

        Raises:
            TeamRunningError: The team is running.
        """

        async def work() -> None:
            for agent_id in self._participant_ids():
                await self._runtime.send_message(GroupChatReset(), agent_id)
            await self._runtime.send_message(GroupChatReset(), self._manager_id())

        await self._with_runtime(work)

    async def _broadcast_control(self, message: GroupChatPause | GroupChatResume) -> None:
        if not self._initialized:
            await self._init()
        if self._embedded and not self._is_running:
            # Nothing runs, so the participants are told directly.
            token = CancellationToken()
            pausing = isinstance(message, GroupChatPause)
            for participant in self._participants:
                if isinstance(participant, Team):
                    await (participant.pause() if pausing else participant.resume())
                else:
                    await (participant.on_pause(token) if pausing else participant.on_resume(token))
            return
        for agent_id in self._participant_ids():
            await self._runtime.send_message(message, agent_id)

    async def pause(self) -> None:
        """Call ``on_pause`` on every participant (``pause()`` on participant teams)."""
        await self._broadcast_control(GroupChatPause())

    async def resume(self) -> None:
        """Call ``on_resume`` on every participant (``resume()`` on participant teams)."""
        await self._broadcast_control(GroupChatResume())

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``TeamState``: each participant's container state by name, and the
        manager's state under the manager's name."""
        if not self._initialized:
            await self._init()
        states: dict[str, Any] = {}
        for name, agent_id in zip(self._participant_names, self._participant_ids(), strict=True):
            states[name] = await self._runtime.agent_save_state(agent_id)
        states[self._group_chat_manager_name] = await self._runtime.agent_save_state(
            self._manager_id()
        )
        return TeamState(agent_states=states).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`save_state` (of this team or one with the same names).

        Raises:
            TeamRunningError: The team is running.
            StateError: A participant's or the manager's state is missing.
        """
        if self._is_running:
            raise TeamRunningError("The team cannot load a state while it is running.")
        self._is_running = True
        try:
            if not self._initialized:
                await self._init()
            team_state = TeamState.model_validate(dict(state))
            agent_states = team_state.agent_states
            for name in [*self._participant_names, self._group_chat_manager_name]:
                if name not in agent_states:
                    raise StateError(
                        f"Agent state for {name!r} not found in the saved state; it has "
                        f"{sorted(agent_states)}. Load a state saved by a team with the same "
                        "participant names."
                    )
            for name, agent_id in zip(
                self._participant_names, self._participant_ids(), strict=True
            ):
                await self._runtime.agent_load_state(agent_id, agent_states[name])
            await self._runtime.agent_load_state(
                self._manager_id(), agent_states[self._group_chat_manager_name]
            )
        finally:
            self._is_running = False
