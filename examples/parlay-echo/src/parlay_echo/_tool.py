"""A tool that hands its argument back."""

from __future__ import annotations

from pydantic import BaseModel, Field
from typing_extensions import Self

# Component is re-exported by parlay_core; the private path keeps this working until then.
from parlay_core import CancellationToken, Component
from parlay_core.tools import BaseTool

__all__ = ["EchoArgs", "EchoTool", "EchoToolConfig"]


class EchoArgs(BaseModel):
    """Arguments of :class:`EchoTool`."""

    text: str = Field(description="The text to echo back.")


class EchoToolConfig(BaseModel):
    """Config of :class:`EchoTool`.

    Attributes:
        name: The tool name the model sees.
        description: The description the model sees.
        prefix: Text put in front of every result.
    """

    name: str = "echo"
    description: str = "Returns the given text unchanged."
    prefix: str = ""


class EchoTool(BaseTool[EchoArgs, str], Component[EchoToolConfig]):
    """A tool that returns its ``text`` argument (after an optional prefix).

    Args:
        name: The tool name the model sees.
        description: The description the model sees.
        prefix: Text put in front of every result.
    """

    component_config_schema = EchoToolConfig
    component_provider_override = "parlay_echo.EchoTool"

    def __init__(
        self,
        name: str = "echo",
        description: str = "Returns the given text unchanged.",
        prefix: str = "",
    ) -> None:
        super().__init__(EchoArgs, str, name, description)
        self._prefix = prefix

    async def run(self, args: EchoArgs, cancellation_token: CancellationToken) -> str:
        """Return the prefix followed by ``args.text``."""
        return self._prefix + args.text

    def _to_config(self) -> EchoToolConfig:
        return EchoToolConfig(name=self.name, description=self.description, prefix=self._prefix)

    @classmethod
    def _from_config(cls, config: EchoToolConfig) -> Self:
        return cls(config.name, config.description, config.prefix)
