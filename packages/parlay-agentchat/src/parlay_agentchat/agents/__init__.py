"""Prebuilt chat agents."""

from parlay_agentchat.agents._assistant_agent import AssistantAgent
from parlay_agentchat.agents._assistant_config import AssistantAgentConfig
from parlay_agentchat.agents._base_chat_agent import BaseChatAgent
from parlay_agentchat.agents._code_executor_agent import (
    ApprovalFuncType,
    ApprovalRequest,
    ApprovalResponse,
    CodeExecutorAgent,
    CodeExecutorAgentConfig,
)
from parlay_agentchat.agents._message_filter_agent import (
    MessageFilterAgent,
    MessageFilterAgentConfig,
    MessageFilterConfig,
    PerSourceFilter,
)
from parlay_agentchat.agents._society_of_mind_agent import (
    SocietyOfMindAgent,
    SocietyOfMindAgentConfig,
)
from parlay_agentchat.agents._user_proxy_agent import UserProxyAgent, UserProxyAgentConfig

__all__ = [
    "ApprovalFuncType",
    "ApprovalRequest",
    "ApprovalResponse",
    "AssistantAgent",
    "AssistantAgentConfig",
    "BaseChatAgent",
    "CodeExecutorAgent",
    "CodeExecutorAgentConfig",
    "MessageFilterAgent",
    "MessageFilterAgentConfig",
    "MessageFilterConfig",
    "PerSourceFilter",
    "SocietyOfMindAgent",
    "SocietyOfMindAgentConfig",
    "UserProxyAgent",
    "UserProxyAgentConfig",
]
