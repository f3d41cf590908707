"""Teams: groups of agents that work on a task together, built on core agents and topics."""

from parlay_agentchat.teams._base_group_chat import BaseGroupChat
from parlay_agentchat.teams._digraph import DiGraph, DiGraphEdge, DiGraphNode
from parlay_agentchat.teams._graph_builder import DiGraphBuilder
from parlay_agentchat.teams._graph_flow import GraphFlow, GraphFlowConfig, GraphFlowManager
from parlay_agentchat.teams._magentic_one import MagenticOneGroupChat, MagenticOneGroupChatConfig
from parlay_agentchat.teams._magentic_one_orchestrator import MagenticOneOrchestrator
from parlay_agentchat.teams._manager import BaseGroupChatManager
from parlay_agentchat.teams._round_robin import (
    RoundRobinGroupChat,
    RoundRobinGroupChatConfig,
    RoundRobinGroupChatManager,
)
from parlay_agentchat.teams._selector import (
    SelectorGroupChat,
    SelectorGroupChatConfig,
    SelectorGroupChatManager,
)
from parlay_agentchat.teams._swarm import Swarm, SwarmConfig, SwarmGroupChatManager

__all__ = [
    "BaseGroupChat",
    "BaseGroupChatManager",
    "DiGraph",
    "DiGraphBuilder",
    "DiGraphEdge",
    "DiGraphNode",
    "GraphFlow",
    "GraphFlowConfig",
    "GraphFlowManager",
    "MagenticOneGroupChat",
    "MagenticOneGroupChatConfig",
    "MagenticOneOrchestrator",
    "RoundRobinGroupChat",
    "RoundRobinGroupChatConfig",
    "RoundRobinGroupChatManager",
    "SelectorGroupChat",
    "SelectorGroupChatConfig",
    "SelectorGroupChatManager",
    "Swarm",
    "SwarmConfig",
    "SwarmGroupChatManager",
]
