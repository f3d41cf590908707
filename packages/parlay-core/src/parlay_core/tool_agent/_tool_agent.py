"""ToolAgent: an agent that runs tools on behalf of other agents, one FunctionCall at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from parlay_core._exceptions import (
    InvalidToolArgumentsException,
    ToolArgumentsError,
    ToolExecutionException,
    ToolNotFoundException,
)
from parlay_core._message_context import MessageContext
from parlay_core._routed_agent import RoutedAgent, message_handler
from parlay_core._types import FunctionCall
from parlay_core.models import FunctionExecutionResult
from parlay_core.tools import Tool

__all__ = ["ToolAgent"]


class ToolAgent(RoutedAgent):
    """An agent that executes tool calls sent to it as :class:`~parlay_core.FunctionCall` messages.

    Send it a ``FunctionCall`` with ``send_message``; it answers with a
    :class:`~parlay_core.models.FunctionExecutionResult`. A failure is raised to the sender (the
    runtime re-raises a handler's exception at the caller) as one of the
    :class:`~parlay_core.exceptions.ToolException` subclasses, whose ``content`` is a message for
    the model:

    * :class:`ToolNotFoundException`: no tool has the call's name;
    * :class:`InvalidToolArgumentsException`: the arguments are not a JSON object, or do not
      match the tool's schema;
    * :class:`ToolExecutionException`: the tool raised.

    Cancelling the sender's token cancels the running tool.

    Args:
        description: The agent's description.
        tools: The tools it can run, looked up by name.
    """

    def __init__(self, description: str, tools: Sequence[Tool]) -> None:
        super().__init__(description)
        self._tools = list(tools)
        self._by_name = {tool.name: tool for tool in self._tools}

    @property
    def tools(self) -> list[Tool]:
        """The tools this agent runs."""
        return list(self._tools)

    @message_handler
    async def handle_function_call(
        self, message: FunctionCall, ctx: MessageContext
    ) -> FunctionExecutionResult:
        """Run the named tool on the call's JSON arguments and return its result as text.

        Raises:
            ToolNotFoundException: No tool has that name.
            InvalidToolArgumentsException: The arguments are not valid for the tool.
            ToolExecutionException: The tool raised.
        """
        tool = self._by_name.get(message.name)
        if tool is None:
            available = ", ".join(sorted(self._by_name)) or "none"
            raise ToolNotFoundException(
                call_id=message.id,
                content=f"Error: Tool not found: {message.name}. Available tools: {available}.",
                name=message.name,
            )
        try:
            arguments: Any = json.loads(message.arguments) if message.arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise InvalidToolArgumentsException(
                call_id=message.id,
                content=f"Error: Invalid arguments: {message.arguments}. Send a JSON object.",
                name=message.name,
            ) from exc
        try:
            result = await tool.run_json(arguments, ctx.cancellation_token, call_id=message.id)
            text = tool.return_value_as_string(result)
        except ToolArgumentsError as exc:
            raise InvalidToolArgumentsException(
                call_id=message.id, content=f"Error: {exc}", name=message.name
            ) from exc
        except Exception as exc:
            raise ToolExecutionException(
                call_id=message.id, content=f"Error: {exc}", name=message.name
            ) from exc
        return FunctionExecutionResult(
            content=text, call_id=message.id, is_error=False, name=message.name
        )
