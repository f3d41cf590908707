"""AgentTool and TeamTool: an agent or a whole team, called by a model like any other tool."""

from __future__ import annotations

from abc import ABC
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_agentchat.base import ChatAgent, TaskResult, Team
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage
from parlay_core import CancellationToken, Component, ComponentModel
from parlay_core.tools import BaseStreamTool

__all__ = [
    "AgentTool",
    "AgentToolConfig",
    "TaskRunnerTool",
    "TaskRunnerToolArgs",
    "TeamTool",
    "TeamToolConfig",
]


class TaskRunnerToolArgs(BaseModel):
    """The one argument a model passes to an agent or team tool."""

    task: str = Field(description="The task to be executed.")


class TaskRunnerTool(
    BaseStreamTool[TaskRunnerToolArgs, BaseAgentEvent | BaseChatMessage, TaskResult], ABC
):
    """A tool that runs a task on an agent or team and returns its :class:`TaskResult`.

    While running it yields the messages and events of the run, starting with the task as a
    ``TextMessage`` from ``"user"``, so an :class:`~parlay_agentchat.agents.AssistantAgent`
    streams them to its caller. The runner keeps its state between calls, as it does between
    ``run`` calls, and the tool's ``save_state_json``/``load_state_json`` are the runner's
    ``save_state``/``load_state``. The argument schema is strict: ``task`` only.

    Args:
        task_runner: The agent or team.
        name: The tool name the model calls.
        description: What the tool does, for the model.
        return_value_as_last_message: Give the model only the last message's text; by default
            it reads every chat message of the run as ``"source: text"``, except the task
            (from ``"user"``), which the model wrote itself.
    """

    def __init__(
        self,
        task_runner: ChatAgent | Team,
        name: str,
        description: str,
        return_value_as_last_message: bool = False,
    ) -> None:
        super().__init__(TaskRunnerToolArgs, TaskResult, name, description, strict=True)
        self._task_runner = task_runner
        self._return_value_as_last_message = return_value_as_last_message

    async def run_stream(
        self, args: TaskRunnerToolArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Run the task; yield the run's messages and events, then its :class:`TaskResult`."""
        async for item in self._task_runner.run_stream(
            task=args.task, cancellation_token=cancellation_token
        ):
            yield item

    def return_value_as_string(self, value: object) -> str:
        """The text the model reads: the run's chat messages (or only the last one)."""
        if not isinstance(value, TaskResult):
            return super().return_value_as_string(value)
        chat = [m for m in value.messages if isinstance(m, BaseChatMessage)]
        if self._return_value_as_last_message:
            return chat[-1].to_model_text() if chat else ""
        # The model wrote the task: reading it back would tell it nothing.
        return "\n\n".join(f"{m.source}: {m.to_model_text()}" for m in chat if m.source != "user")

    async def save_state_json(self) -> Mapping[str, Any]:
        """The agent's or team's ``save_state()``."""
        return await self._task_runner.save_state()

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """The agent's or team's ``load_state(state)``."""
        await self._task_runner.load_state(state)


class AgentToolConfig(BaseModel):
    """The component config of :class:`AgentTool`."""

    agent: ComponentModel
    return_value_as_last_message: bool = False


class AgentTool(TaskRunnerTool, Component[AgentToolConfig]):
    """An agent as a tool: the tool's name and description are the agent's.

    Example::

        writer = AssistantAgent("writer", model, description="Writes short poems.")
        boss = AssistantAgent("boss", model, tools=[AgentTool(writer)])

    Args:
        agent: The agent that does the work.
        return_value_as_last_message: Give the model only the agent's last message.
    """

    component_config_schema = AgentToolConfig
    component_provider_override = "parlay_agentchat.tools.AgentTool"

    def __init__(self, agent: ChatAgent, return_value_as_last_message: bool = False) -> None:
        super().__init__(agent, agent.name, agent.description, return_value_as_last_message)
        self._agent = agent

    def _to_config(self) -> AgentToolConfig:
        return AgentToolConfig(
            agent=self._agent.dump_component(),
            return_value_as_last_message=self._return_value_as_last_message,
        )

    @classmethod
    def _from_config(cls, config: AgentToolConfig) -> Self:
        return cls(
            ChatAgent.load_component(config.agent),
            return_value_as_last_message=config.return_value_as_last_message,
        )


class TeamToolConfig(BaseModel):
    """The component config of :class:`TeamTool`."""

    name: str
    description: str
    team: ComponentModel
    return_value_as_last_message: bool = False


class TeamTool(TaskRunnerTool, Component[TeamToolConfig]):
    """A team as a tool: each call runs the team on the model's task.

    The team continues its conversation from one call to the next (call ``team.reset()`` to
    start afresh); give it a termination condition or ``max_turns`` so a call ends.

    Args:
        team: The team that does the work.
        name: The tool name the model calls.
        description: What the team does, for the model.
        return_value_as_last_message: Give the model only the team's last message.
    """

    component_config_schema = TeamToolConfig
    component_provider_override = "parlay_agentchat.tools.TeamTool"

    def __init__(
        self,
        team: Team,
        name: str,
        description: str,
        return_value_as_last_message: bool = False,
    ) -> None:
        super().__init__(team, name, description, return_value_as_last_message)
        self._team = team

    def _to_config(self) -> TeamToolConfig:
        return TeamToolConfig(
            name=self.name,
            description=self.description,
            team=self._team.dump_component(),
            return_value_as_last_message=self._return_value_as_last_message,
        )

    @classmethod
    def _from_config(cls, config: TeamToolConfig) -> Self:
        return cls(
            Team.load_component(config.team),
            config.name,
            config.description,
            return_value_as_last_message=config.return_value_as_last_message,
        )
