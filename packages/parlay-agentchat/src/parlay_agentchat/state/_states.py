"""The saved-state shapes of agents, group-chat containers, managers and teams.

Every state dumps to JSON-ready data with a ``type`` and ``version: "1.0.0"``, with AutoGen's
field names, so states saved by AutoGen load into Parlay and the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AssistantAgentState",
    "BaseGroupChatManagerState",
    "BaseState",
    "ChatAgentContainerState",
    "CodeExecutorAgentState",
    "GraphManagerState",
    "MagenticOneOrchestratorState",
    "RoundRobinManagerState",
    "SelectorManagerState",
    "SocietyOfMindAgentState",
    "SwarmManagerState",
    "TeamState",
]


def _empty_context() -> dict[str, Any]:
    return {"messages": []}


class BaseState(BaseModel):
    """The common part of every state.

    Attributes:
        type: The name of the state class.
        version: The state format version.
    """

    type: str = Field(default="BaseState")
    version: str = Field(default="1.0.0")


class AssistantAgentState(BaseState):
    """An :class:`~parlay_agentchat.agents.AssistantAgent`'s state: its model context.

    Attributes:
        llm_context: The model context's state, ``{"messages": [...]}``.
    """

    llm_context: Mapping[str, Any] = Field(default_factory=_empty_context)
    type: str = Field(default="AssistantAgentState")


class CodeExecutorAgentState(BaseState):
    """A :class:`~parlay_agentchat.agents.CodeExecutorAgent`'s state: its model context.

    Attributes:
        llm_context: The model context's state, ``{"messages": [...]}``.
    """

    llm_context: Mapping[str, Any] = Field(default_factory=_empty_context)
    type: str = Field(default="CodeExecutorAgentState")


class SocietyOfMindAgentState(BaseState):
    """A society-of-mind agent's state: the inner team's state.

    Attributes:
        inner_team_state: The inner team's :class:`TeamState` dump.
    """

    inner_team_state: Mapping[str, Any] = Field(default_factory=dict[str, Any])
    type: str = Field(default="SocietyOfMindAgentState")


class TeamState(BaseState):
    """A team's state: one entry per participant, keyed by name, plus the manager's.

    Attributes:
        agent_states: Container states by participant name, and the manager state under the
            manager's name (for example ``"RoundRobinGroupChatManager"``).
    """

    agent_states: Mapping[str, Any] = Field(default_factory=dict[str, Any])
    type: str = Field(default="TeamState")


class ChatAgentContainerState(BaseState):
    """The state of a participant inside a team.

    Attributes:
        agent_state: The participant's own state.
        message_buffer: Dumps of the messages broadcast since the participant last spoke.
    """

    agent_state: Mapping[str, Any] = Field(default_factory=dict[str, Any])
    message_buffer: list[Mapping[str, Any]] = Field(default_factory=list[Mapping[str, Any]])
    type: str = Field(default="ChatAgentContainerState")


class BaseGroupChatManagerState(BaseState):
    """The common state of group-chat managers.

    Attributes:
        message_thread: Dumps of every message and event of the conversation.
        current_turn: Turns taken since the last termination.
    """

    message_thread: list[Mapping[str, Any]] = Field(default_factory=list[Mapping[str, Any]])
    current_turn: int = Field(default=0)
    type: str = Field(default="BaseGroupChatManagerState")


class RoundRobinManagerState(BaseGroupChatManagerState):
    """The round-robin manager's state.

    Attributes:
        next_speaker_index: The index of the participant who speaks next.
    """

    next_speaker_index: int = Field(default=0)
    type: str = Field(default="RoundRobinManagerState")


class SelectorManagerState(BaseGroupChatManagerState):
    """The selector manager's state.

    Attributes:
        previous_speaker: The name of the last speaker.
    """

    previous_speaker: str | None = Field(default=None)
    type: str = Field(default="SelectorManagerState")


class SwarmManagerState(BaseGroupChatManagerState):
    """The swarm manager's state.

    Attributes:
        current_speaker: The name of the participant who has the conversation.
    """

    current_speaker: str = Field(default="")
    type: str = Field(default="SwarmManagerState")


class GraphManagerState(BaseGroupChatManagerState):
    """The graph-flow manager's state: where the flow through the graph stands.

    Attributes:
        remaining: For each target node and activation group, how many incoming edges must
            still be taken before the node runs (``"all"`` activation).
        enqueued_any: For each target node and activation group, whether an edge of an
            ``"any"`` group already queued the node.
        ready: The nodes that run next.
        active_nodes: The nodes running now (left over when a run was cancelled; they run
            again first when the flow continues).
    """

    remaining: dict[str, dict[str, int]] = Field(default_factory=dict[str, dict[str, int]])
    enqueued_any: dict[str, dict[str, bool]] = Field(default_factory=dict[str, dict[str, bool]])
    ready: list[str] = Field(default_factory=list[str])
    active_nodes: list[str] = Field(default_factory=list[str])
    type: str = Field(default="GraphManagerState")


class MagenticOneOrchestratorState(BaseGroupChatManagerState):
    """The Magentic-One orchestrator's state: the task ledger and the counters.

    Attributes:
        task: The task, as text.
        facts: The fact sheet the model wrote (and updated when re-planning).
        plan: The current plan.
        n_rounds: Steps taken for the current task.
        n_stalls: Stalled steps since the last re-planning (decreases on progress).
    """

    task: str = Field(default="")
    facts: str = Field(default="")
    plan: str = Field(default="")
    n_rounds: int = Field(default=0)
    n_stalls: int = Field(default=0)
    type: str = Field(default="MagenticOneOrchestratorState")
