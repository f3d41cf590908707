"""The interfaces of AgentChat: agents, teams, task results, termination conditions, handoffs."""

from parlay_agentchat._exceptions import TerminatedException
from parlay_agentchat.base._chat_agent import ChatAgent, Response
from parlay_agentchat.base._handoff import Handoff
from parlay_agentchat.base._task import TaskResult, TaskRunner
from parlay_agentchat.base._team import Team
from parlay_agentchat.base._termination import (
    AndTerminationCondition,
    AndTerminationConditionConfig,
    OrTerminationCondition,
    OrTerminationConditionConfig,
    TerminationCondition,
)

__all__ = [
    "AndTerminationCondition",
    "AndTerminationConditionConfig",
    "ChatAgent",
    "Handoff",
    "OrTerminationCondition",
    "OrTerminationConditionConfig",
    "Response",
    "TaskResult",
    "TaskRunner",
    "Team",
    "TerminatedException",
    "TerminationCondition",
]
