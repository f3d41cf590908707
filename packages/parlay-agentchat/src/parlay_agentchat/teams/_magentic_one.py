"""MagenticOneGroupChat: an orchestrator model plans the work and directs the participants."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import AgentConfigurationError
from parlay_agentchat.base import ChatAgent, Team, TerminationCondition
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, MessageFactory
from parlay_agentchat.teams._base_group_chat import (
    BaseGroupChat,
    load_condition,
    load_participants,
)
from parlay_agentchat.teams._magentic_one_orchestrator import MagenticOneOrchestrator
from parlay_agentchat.teams._magentic_one_prompts import FINAL_ANSWER_PROMPT
from parlay_agentchat.teams._manager import OutputChannel
from parlay_core import AgentRuntime, Component, ComponentModel
from parlay_core.models import ChatCompletionClient

__all__ = ["MagenticOneGroupChat", "MagenticOneGroupChatConfig"]


class MagenticOneGroupChatConfig(BaseModel):
    """The component config of :class:`MagenticOneGroupChat`."""

    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    model_client: ComponentModel
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    max_stalls: int
    final_answer_prompt: str
    emit_team_events: bool = False


class MagenticOneGroupChat(BaseGroupChat, Component[MagenticOneGroupChatConfig]):
    """A team directed by the Magentic-One orchestrator.

    The orchestrator (``MagenticOneOrchestrator``, whose messages have that source) first
    asks its model for the facts of the task and a plan, and broadcasts them as the task
    ledger. Then, each step, it asks for a progress ledger in JSON, broadcasts the instruction
    it holds and gives the named participant the turn. When the request is satisfied, or
    after ``max_turns`` steps, it writes a final answer and the run stops with the reason as
    ``stop_reason`` (the model's reason, or ``"Max rounds reached."``). After ``max_stalls``
    steps without progress it updates the facts and the plan, resets the participants and
    starts over from the new ledger.

    Args:
        participants: The agents (or teams); names must be unique.
        model_client: The orchestrator's model; JSON mode is used when the model has it.
        termination_condition: Stops the run earlier (checked on the task and on each
            participant's turn).
        max_turns: The most steps per task (default 20); ``None`` for no limit.
        runtime: A runtime to run on; by default an embedded one.
        max_stalls: Stalled steps (no progress, or a loop) before re-planning.
        final_answer_prompt: The prompt for the final answer; ``{task}`` in it is replaced by the
            task (a prompt without it is used as it is, as in AutoGen).
        custom_message_types: Message classes beyond the built-in ones.
        emit_team_events: Report each chosen speaker as a ``SelectSpeakerEvent``.
        name: The team's name.
        description: What the team does.

    Raises:
        AgentConfigurationError: No participants, duplicate names, ``max_turns`` or
            ``max_stalls`` below 1.
    """

    component_config_schema = MagenticOneGroupChatConfig
    component_provider_override = "parlay_agentchat.teams.MagenticOneGroupChat"

    def __init__(
        self,
        participants: Sequence[ChatAgent | Team],
        model_client: ChatCompletionClient,
        *,
        name: str | None = None,
        description: str | None = None,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = 20,
        runtime: AgentRuntime | None = None,
        max_stalls: int = 3,
        final_answer_prompt: str = FINAL_ANSWER_PROMPT,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
    ) -> None:
        if max_stalls < 1:
            raise AgentConfigurationError(f"max_stalls must be at least 1, not {max_stalls}.")
        super().__init__(
            name=name or "MagenticOneGroupChat",
            description=description or "A team of agents directed by an orchestrator.",
            participants=participants,
            group_chat_manager_name="MagenticOneOrchestrator",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            emit_team_events=emit_team_events,
        )
        self._model_client = model_client
        self._max_stalls = max_stalls
        self._final_answer_prompt = final_answer_prompt

    def _create_manager(
        self, output_channel: OutputChannel, message_factory: MessageFactory
    ) -> MagenticOneOrchestrator:
        return MagenticOneOrchestrator(
            model_client=self._model_client,
            max_stalls=self._max_stalls,
            final_answer_prompt=self._final_answer_prompt,
            **self._manager_args(output_channel, message_factory),
        )

    def _to_config(self) -> MagenticOneGroupChatConfig:
        return MagenticOneGroupChatConfig(
            **self._config_fields(),
            model_client=self._model_client.dump_component(),
            max_stalls=self._max_stalls,
            final_answer_prompt=self._final_answer_prompt,
            emit_team_events=self._emit_team_events,
        )

    @classmethod
    def _from_config(cls, config: MagenticOneGroupChatConfig) -> Self:
        return cls(
            load_participants(config.participants),
            ChatCompletionClient.load_component(config.model_client),
            termination_condition=load_condition(config.termination_condition),
            max_turns=config.max_turns,
            max_stalls=config.max_stalls,
            final_answer_prompt=config.final_answer_prompt,
            emit_team_events=config.emit_team_events,
            name=config.name,
            description=config.description,
        )
