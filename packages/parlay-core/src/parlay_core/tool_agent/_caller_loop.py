"""The caller side of a tool agent: ask the model, run its tool calls, repeat until it answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Union

from parlay_core._agent_id import AgentId
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._base_agent import BaseAgent
from parlay_core._cancellation_token import CancellationToken
from parlay_core._exceptions import ToolException
from parlay_core._types import FunctionCall
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
)
from parlay_core.tools import Tool, ToolSchema

__all__ = ["tool_agent_caller_loop"]


def _is_tool_calls(content: object) -> bool:
    return isinstance(content, list) and all(
        isinstance(item, FunctionCall)
        for item in content  # pyright: ignore[reportUnknownVariableType]
    )


async def tool_agent_caller_loop(
    caller: Union[BaseAgent, AgentRuntime],
    tool_agent_id: AgentId,
    model_client: ChatCompletionClient,
    input_messages: Sequence[LLMMessage],
    tool_schema: Sequence[Union[Tool, ToolSchema]],
    cancellation_token: CancellationToken | None = None,
    caller_source: str = "assistant",
) -> list[LLMMessage]:
    """Let a model call tools through a :class:`ToolAgent` until it replies with text.

    The model is asked with ``input_messages``; while its reply is a list of function calls,
    every call is sent to the tool agent concurrently and the results go back to the model in a
    :class:`~parlay_core.models.FunctionExecutionResultMessage`. A call that fails with a
    :class:`~parlay_core.exceptions.ToolException` becomes an error result (``is_error=True``)
    so the model can correct itself; any other exception is raised.

    Args:
        caller: The agent (or runtime) that sends the calls.
        tool_agent_id: The id of the :class:`ToolAgent`.
        model_client: The model to ask.
        input_messages: The conversation so far.
        tool_schema: The tools (or their schemas) offered to the model.
        cancellation_token: Cancels the model calls and the tool calls.
        caller_source: The ``source`` of the :class:`~parlay_core.models.AssistantMessage`
            entries produced.

    Returns:
        The messages generated: each assistant reply and each batch of results, ending with the
        model's final reply.
    """
    generated: list[LLMMessage] = []
    response = await model_client.create(
        list(input_messages), tools=tool_schema, cancellation_token=cancellation_token
    )
    generated.append(
        AssistantMessage(content=response.content, thought=response.thought, source=caller_source)
    )
    while _is_tool_calls(response.content):
        calls = [item for item in response.content if isinstance(item, FunctionCall)]
        outcomes = await asyncio.gather(
            *(
                caller.send_message(call, tool_agent_id, cancellation_token=cancellation_token)
                for call in calls
            ),
            return_exceptions=True,
        )
        results: list[FunctionExecutionResult] = []
        for outcome in outcomes:
            if isinstance(outcome, FunctionExecutionResult):
                results.append(outcome)
            elif isinstance(outcome, ToolException):
                results.append(
                    FunctionExecutionResult(
                        content=outcome.content,
                        call_id=outcome.call_id,
                        is_error=True,
                        name=outcome.name,
                    )
                )
            elif isinstance(outcome, BaseException):
                raise outcome
        generated.append(FunctionExecutionResultMessage(content=results))
        response = await model_client.create(
            [*input_messages, *generated], tools=tool_schema, cancellation_token=cancellation_token
        )
        generated.append(
            AssistantMessage(
                content=response.content, thought=response.thought, source=caller_source
            )
        )
    return generated
