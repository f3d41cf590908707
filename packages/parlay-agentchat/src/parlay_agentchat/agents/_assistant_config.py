"""The component config of AssistantAgent (component_version 2, AutoGen's shape)."""

from __future__ import annotations

from pydantic import BaseModel

from parlay_agentchat.base import Handoff
from parlay_core import ComponentModel

__all__ = ["AssistantAgentConfig"]


class AssistantAgentConfig(BaseModel):
    """The component config of :class:`~parlay_agentchat.agents.AssistantAgent`.

    Attributes:
        name: The agent's name.
        model_client: The model client's config.
        tools: Tool configs; only in version-1 configs (version 2 keeps tools in ``workbench``).
        workbench: The workbenches' configs (tools given directly become one
            ``StaticStreamWorkbench``).
        handoffs: The handoffs.
        model_context: The model context's config.
        memory: The memories' configs.
        description: What the agent does.
        system_message: The system message, if any.
        model_client_stream: Whether replies are streamed.
        reflect_on_tool_use: Whether the model is called again after tool calls.
        tool_call_summary_format: The template of tool-call summaries.
        max_tool_iterations: How many model calls with tools one turn may make.
        metadata: Free-form metadata.
        structured_message_factory: The structured-output type, as a
            ``StructuredMessageFactory`` config.
    """

    name: str
    model_client: ComponentModel
    tools: list[ComponentModel] | None = None
    workbench: list[ComponentModel] | None = None
    handoffs: list[Handoff | str] | None = None
    model_context: ComponentModel | None = None
    memory: list[ComponentModel] | None = None
    description: str
    system_message: str | None = None
    model_client_stream: bool = False
    reflect_on_tool_use: bool
    tool_call_summary_format: str
    max_tool_iterations: int = 1
    metadata: dict[str, str] | None = None
    structured_message_factory: ComponentModel | None = None
