"""Workbench: a set of tools behind one interface that never lets a tool crash its caller."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import ComponentBase
from parlay_core.tools._result import ToolResult
from parlay_core.tools._schema import ToolSchema

__all__ = ["StreamWorkbench", "Workbench"]


class Workbench(ABC, ComponentBase[BaseModel]):
    """A group of tools that share a lifetime and, possibly, state.

    A workbench lists its tools as schemas and calls them by name. Whatever goes wrong in a call
    (unknown name, invalid arguments, an exception in the tool) comes back as a
    :class:`ToolResult` with ``is_error=True`` whose text tells the model what to fix; only
    cancellation propagates. Use it as an async context manager to start and stop it.
    """

    component_type = "workbench"

    @abstractmethod
    async def list_tools(self) -> list[ToolSchema]:
        """Return the schemas of the available tools, as the model should see them."""

    @abstractmethod
    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Call a tool by name.

        Args:
            name: The tool name, as listed by :meth:`list_tools`.
            arguments: The arguments; ``None`` means none.
            cancellation_token: Cancels the call.
            call_id: The model's id of this call.

        Returns:
            The result; ``is_error`` is set when the call failed.
        """

    @abstractmethod
    async def start(self) -> None:
        """Acquire what the tools need (connections, processes)."""

    @abstractmethod
    async def stop(self) -> None:
        """Release what :meth:`start` acquired."""

    @abstractmethod
    async def reset(self) -> None:
        """Return the tools to their initial state."""

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]:
        """Return the state of the workbench and its tools as JSON-compatible data."""

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state produced by :meth:`save_state`."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


class StreamWorkbench(Workbench, ABC):
    """A workbench whose calls can stream progress items before the final :class:`ToolResult`."""

    @abstractmethod
    def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any | ToolResult, None]:
        """Call a tool by name, yielding its progress items and then a :class:`ToolResult`.

        Args:
            name: The tool name, as listed by :meth:`list_tools`.
            arguments: The arguments; ``None`` means none.
            cancellation_token: Cancels the call.
            call_id: The model's id of this call.
        """
