"""Swarm: the speaker hands the conversation over with a HandoffMessage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import (
    AgentArgumentTypeError,
    AgentConfigurationError,
    InvalidTaskError,
)
from parlay_agentchat.base import ChatAgent, TerminationCondition
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    MessageFactory,
)
from parlay_agentchat.state import SwarmManagerState
from parlay_agentchat.teams._base_group_chat import (
    BaseGroupChat,
    load_chat_agents,
    load_condition,
)
from parlay_agentchat.teams._manager import BaseGroupChatManager, OutputChannel
from parlay_core import AgentRuntime, Component, ComponentModel

__all__ = ["Swarm", "SwarmConfig", "SwarmGroupChatManager"]


class SwarmGroupChatManager(BaseGroupChatManager):
    """Gives the turn to the target of the latest handoff; the first participant starts.

    The current speaker keeps the turn until it hands off. The current speaker is tracked as
    messages arrive, so selection costs nothing however long the conversation is.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._current_speaker = self._participant_names[0]

    async def validate_group_state(self, messages: Sequence[BaseChatMessage] | None) -> None:
        """A handoff in the task, or else the latest handoff so far, must target a participant.

        Raises:
            InvalidTaskError: The handoff target is not a participant (a ``ValueError``).
        """
        for message in reversed(messages or ()):
            if isinstance(message, HandoffMessage):
                if message.target not in self._participant_names:
                    raise InvalidTaskError(
                        f"The task hands off to {message.target!r}, which is not a participant "
                        f"({self._participant_names}). Target a participant."
                    )
                return
        if self._current_speaker not in self._participant_names:
            raise InvalidTaskError(
                f"The conversation was last handed off to {self._current_speaker!r}, which is "
                f"not a participant ({self._participant_names}). To resume, start the run "
                "with a HandoffMessage to a participant as the task."
            )

    async def update_message_thread(
        self, messages: Sequence[BaseAgentEvent | BaseChatMessage]
    ) -> None:
        """Append to the thread and follow handoffs."""
        await super().update_message_thread(messages)
        for message in messages:
            if isinstance(message, HandoffMessage):
                self._current_speaker = message.target

    async def select_speaker(self, thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> str:
        """The target of the latest handoff (the first participant before any).

        Raises:
            ValueError: The latest handoff targets someone who is not a participant (add a
                ``HandoffTermination`` for targets outside the team, such as the user).
        """
        if self._current_speaker not in self._participant_names:
            raise ValueError(
                f"{self._current_speaker!r} is not a participant of the swarm "
                f"({self._participant_names}); add HandoffTermination({self._current_speaker!r}) "
                "to stop the run on such handoffs."
            )
        return self._current_speaker

    async def reset(self) -> None:
        """The first participant speaks next."""
        self._current_speaker = self._participant_names[0]

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``SwarmManagerState``."""
        return SwarmManagerState(
            message_thread=self._dump_thread(),
            current_turn=self._current_turn,
            current_speaker=self._current_speaker,
        ).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a ``SwarmManagerState``."""
        loaded = SwarmManagerState.model_validate(dict(state))
        self._load_thread(loaded.message_thread)
        self._current_turn = loaded.current_turn
        self._current_speaker = loaded.current_speaker


class SwarmConfig(BaseModel):
    """The component config of :class:`Swarm`."""

    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    emit_team_events: bool = False


class Swarm(BaseGroupChat, Component[SwarmConfig]):
    """A team in which the speaker decides who goes next by handing off.

    The first participant speaks first and keeps the turn until it answers with a
    :class:`HandoffMessage`; its target speaks next. Give agents handoffs
    (``AssistantAgent(..., handoffs=["other"])``). To involve a person, hand off to a name
    outside the team and stop with ``HandoffTermination``; resume with a ``HandoffMessage``
    task to a participant.

    Args:
        participants: The agents; the first must be able to hand off.
        termination_condition: Stops the run when it fires.
        max_turns: Stops the run after this many turns.
        runtime: A runtime to run on; by default an embedded one.
        custom_message_types: Message classes beyond the built-in ones.
        emit_team_events: Report each selection as a ``SelectSpeakerEvent``.
        name: The team's name.
        description: What the team does.
        team_id: Names the team's agents and topics (random by default); see
            :class:`BaseGroupChat`.
        hosted: The participant names (and ``"SwarmGroupChatManager"``) this process hosts, for a
            team spread over the workers of a distributed runtime; by default all.

    Raises:
        AgentArgumentTypeError: A participant is a team (a ``TypeError``, as in AutoGen).
        AgentConfigurationError: The first participant cannot produce a ``HandoffMessage``.
    """

    component_config_schema = SwarmConfig
    component_provider_override = "parlay_agentchat.teams.Swarm"

    def __init__(
        self,
        participants: Sequence[ChatAgent],
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: AgentRuntime | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
        *,
        name: str | None = None,
        description: str | None = None,
        team_id: str | None = None,
        hosted: Sequence[str] | None = None,
    ) -> None:
        for participant in participants:
            if not isinstance(participant, ChatAgent):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise AgentArgumentTypeError(
                    f"Participant {getattr(participant, 'name', participant)!r} must be a "
                    f"ChatAgent, not a {type(participant).__name__}: Swarm participants hand "
                    "off to each other, and teams cannot hand off."
                )
        if participants and HandoffMessage not in participants[0].produced_message_types:
            raise AgentConfigurationError(
                f"The first participant of a Swarm ({participants[0].name!r}) must be able to "
                "hand off: give it handoffs=[...]."
            )
        super().__init__(
            name=name or "Swarm",
            description=description or "A team of agents.",
            participants=participants,
            group_chat_manager_name="SwarmGroupChatManager",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            emit_team_events=emit_team_events,
            team_id=team_id,
            hosted=hosted,
        )

    def _create_manager(
        self, output_channel: OutputChannel, message_factory: MessageFactory
    ) -> SwarmGroupChatManager:
        return SwarmGroupChatManager(**self._manager_args(output_channel, message_factory))

    def _to_config(self) -> SwarmConfig:
        return SwarmConfig(**self._config_fields(), emit_team_events=self._emit_team_events)

    @classmethod
    def _from_config(cls, config: SwarmConfig) -> Self:
        return cls(
            load_chat_agents(config.participants, "Swarm"),
            termination_condition=load_condition(config.termination_condition),
            max_turns=config.max_turns,
            emit_team_events=config.emit_team_events,
            name=config.name,
            description=config.description,
        )
