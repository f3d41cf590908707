"""State models: the shapes ``save_state()`` returns, compatible with AutoGen's."""

from parlay_agentchat.state._states import (
    AssistantAgentState,
    BaseGroupChatManagerState,
    BaseState,
    ChatAgentContainerState,
    CodeExecutorAgentState,
    GraphManagerState,
    MagenticOneOrchestratorState,
    RoundRobinManagerState,
    SelectorManagerState,
    SocietyOfMindAgentState,
    SwarmManagerState,
    TeamState,
)

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
