"""RoundRobinGroupChat: participants take turns in a fixed order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat.base import ChatAgent, Team, TerminationCondition
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, MessageFactory
from parlay_agentchat.state import RoundRobinManagerState
from parlay_agentchat.teams._base_group_chat import (
    BaseGroupChat,
    load_condition,
    load_participants,
)
from parlay_agentchat.teams._manager import BaseGroupChatManager, OutputChannel
from parlay_core import AgentRuntime, Component, ComponentModel

__all__ = ["RoundRobinGroupChat", "RoundRobinGroupChatConfig", "RoundRobinGroupChatManager"]


class RoundRobinGroupChatManager(BaseGroupChatManager):
    """Hands the turn to each participant in order, starting over after the last."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._next_speaker_index = 0

    async def select_speaker(self, thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> str:
        """The next participant in order."""
        name = self._participant_names[self._next_speaker_index]
        self._next_speaker_index = (self._next_speaker_index + 1) % len(self._participant_names)
        return name

    async def reset(self) -> None:
        """Start again with the first participant."""
        self._next_speaker_index = 0

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``RoundRobinManagerState``."""
        return RoundRobinManagerState(
            message_thread=self._dump_thread(),
            current_turn=self._current_turn,
            next_speaker_index=self._next_speaker_index,
        ).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a ``RoundRobinManagerState``."""
        loaded = RoundRobinManagerState.model_validate(dict(state))
        self._load_thread(loaded.message_thread)
        self._current_turn = loaded.current_turn
        self._next_speaker_index = loaded.next_speaker_index


class RoundRobinGroupChatConfig(BaseModel):
    """The component config of :class:`RoundRobinGroupChat`."""

    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    emit_team_events: bool = False


class RoundRobinGroupChat(BaseGroupChat, Component[RoundRobinGroupChatConfig]):
    """A team whose participants speak in turn, in the order given.

    Each participant sees every chat message broadcast since its last turn. The run stops
    when the termination condition fires or after ``max_turns`` turns; with neither, it runs
    until nothing is left to do (``stop_reason`` ``"The group chat is stopped."``) or forever.

    Args:
        participants: The agents (or teams); names must be unique.
        termination_condition: Stops the run when it fires (reset automatically after).
        max_turns: Stops the run after this many turns.
        runtime: A runtime to run on (you start and stop it); by default an embedded one.
        custom_message_types: Message classes beyond the built-in ones.
        emit_team_events: Report each speaker selection as a ``SelectSpeakerEvent``.
        name: The team's name.
        description: What the team does.
        team_id: Names the team's agents and topics (random by default); see
            :class:`BaseGroupChat`.
        hosted: The participant names (and ``"RoundRobinGroupChatManager"``) this process
            hosts, for a team spread over the workers of a distributed runtime; by default all.

    Example:
        >>> from parlay_agentchat.agents import AssistantAgent
        >>> from parlay_agentchat.conditions import TextMentionTermination
        >>> from parlay_core.testing import ReplayChatCompletionClient
        >>> writer = AssistantAgent("writer", ReplayChatCompletionClient(["Draft."]))
        >>> critic = AssistantAgent("critic", ReplayChatCompletionClient(["Good. APPROVE"]))
        >>> team = RoundRobinGroupChat([writer, critic], TextMentionTermination("APPROVE"))
        >>> result = asyncio.run(team.run(task="Write a line."))
        >>> result.stop_reason
        "Text 'APPROVE' mentioned"
    """

    component_config_schema = RoundRobinGroupChatConfig
    component_provider_override = "parlay_agentchat.teams.RoundRobinGroupChat"

    def __init__(
        self,
        participants: Sequence[ChatAgent | Team],
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
        super().__init__(
            name=name or "RoundRobinGroupChat",
            description=description or "A team of agents.",
            participants=participants,
            group_chat_manager_name="RoundRobinGroupChatManager",
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
    ) -> RoundRobinGroupChatManager:
        return RoundRobinGroupChatManager(**self._manager_args(output_channel, message_factory))

    def _to_config(self) -> RoundRobinGroupChatConfig:
        return RoundRobinGroupChatConfig(
            **self._config_fields(), emit_team_events=self._emit_team_events
        )

    @classmethod
    def _from_config(cls, config: RoundRobinGroupChatConfig) -> Self:
        return cls(
            load_participants(config.participants),
            termination_condition=load_condition(config.termination_condition),
            max_turns=config.max_turns,
            emit_team_events=config.emit_team_events,
            name=config.name,
            description=config.description,
        )
