"""Handoff: a tool an agent calls to pass the conversation to another agent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator

from parlay_agentchat._exceptions import AgentConfigurationError
from parlay_core.tools import BaseTool, FunctionTool

__all__ = ["Handoff"]


class Handoff(BaseModel):
    """A handoff to ``target``, offered to the model as a tool named ``transfer_to_<target>``.

    When the model calls the tool, the agent ends its turn with a
    :class:`~parlay_agentchat.messages.HandoffMessage` to ``target``.

    Attributes:
        target: The name of the agent to hand over to.
        description: The tool description; defaults to ``"Handoff to <target>."``.
        name: The tool name; defaults to ``"transfer_to_<target>"`` (lower case). Must be a
            valid Python identifier.
        message: The handoff message text; defaults to ``"Transferred to <target>, adopting
            the role of <target> immediately."``.
    """

    target: str
    description: str = ""
    name: str = ""
    message: str = ""

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        values: dict[str, Any] = dict(data)  # pyright: ignore[reportUnknownArgumentType]
        target = values.get("target")
        if not isinstance(target, str):
            return values
        if not values.get("description"):
            values["description"] = f"Handoff to {target}."
        if not values.get("name"):
            values["name"] = f"transfer_to_{target}".lower()
        if not values.get("message"):
            values["message"] = (
                f"Transferred to {target}, adopting the role of {target} immediately."
            )
        return values

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # Checked here rather than in a validator, so the error is not wrapped by pydantic.
        if not self.name.isidentifier():
            raise AgentConfigurationError(
                f"Handoff tool name {self.name!r} is not a valid identifier; pass name= with "
                "letters, digits and underscores only."
            )

    @property
    def handoff_tool(self) -> BaseTool[BaseModel, Any]:
        """The tool offered to the model; calling it returns :attr:`message`."""
        message = self.message

        def handoff() -> str:
            return message

        return FunctionTool(handoff, name=self.name, description=self.description, strict=True)
