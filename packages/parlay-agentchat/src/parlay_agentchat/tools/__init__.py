"""Agents and teams as tools: a model delegates a task by calling them."""

from parlay_agentchat.tools._task_runner_tool import (
    AgentTool,
    AgentToolConfig,
    TaskRunnerTool,
    TaskRunnerToolArgs,
    TeamTool,
    TeamToolConfig,
)

__all__ = [
    "AgentTool",
    "AgentToolConfig",
    "TaskRunnerTool",
    "TaskRunnerToolArgs",
    "TeamTool",
    "TeamToolConfig",
]
