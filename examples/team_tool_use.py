"""An AgentChat team whose assistant calls a tool, streamed in the Console.

The assistant runs on ``default_model_client()`` (OpenAI or Anthropic when a key is set, the
embedded offline SmolLM2-135M otherwise). A 135M model rarely decides to call a tool by itself,
so the client is wrapped in :class:`ToolFirstClient`, which asks the model for a tool call
(``tool_choice="required"``) whenever tools are offered: the call is forced, its arguments are
the model's. The other team examples import the wrapper from here.

Run it with ``python examples/team_tool_use.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal, Union

from pydantic import BaseModel

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import ToolCallExecutionEvent
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.ui import Console
from parlay_core import CancellationToken
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
)
from parlay_core.tools import Tool, ToolSchema
from parlay_ext.models import default_model_client

ToolChoice = Union[Tool, Literal["auto", "required", "none"]]


class ToolFirstClient(ChatCompletionClient):
    """Wraps a model client and requires a tool call whenever tools are offered."""

    def __init__(self, inner: ChatCompletionClient) -> None:
        self._inner = inner

    @staticmethod
    def _choice(tools: Sequence[Any], tool_choice: ToolChoice) -> ToolChoice:
        return "required" if tools and tool_choice == "auto" else tool_choice

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        return await self._inner.create(
            messages,
            tools=tools,
            tool_choice=self._choice(tools, tool_choice),
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        async for item in self._inner.create_stream(
            messages,
            tools=tools,
            tool_choice=self._choice(tools, tool_choice),
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        ):
            yield item

    async def close(self) -> None:
        await self._inner.close()

    def actual_usage(self) -> RequestUsage:
        return self._inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self._inner.total_usage()

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        return self._inner.count_tokens(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        return self._inner.remaining_tokens(messages, tools=tools)

    @property
    def model_info(self) -> ModelInfo:
        return self._inner.model_info


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is 21 degrees and sunny in {city}."


async def main() -> None:
    print("Building the team: an assistant with a weather tool, and a reporter.", flush=True)
    print("(The embedded model loads on the first call; that takes a moment.)", flush=True)
    model = default_model_client(max_tokens=40, temperature=0.0)
    assistant = AssistantAgent(
        "assistant",
        ToolFirstClient(model),
        tools=[get_weather],
        system_message="You answer weather questions by calling get_weather.",
    )
    reporter = AssistantAgent(
        "reporter",
        model,
        system_message="Say the weather report in one short sentence.",
        model_client_stream=True,
    )
    team = RoundRobinGroupChat([assistant, reporter], max_turns=2)
    result = await Console(team.run_stream(task="What is the weather in Paris?"))
    tools_run = sum(isinstance(m, ToolCallExecutionEvent) for m in result.messages)
    print(f"team finished: {len(result.messages)} messages, {tools_run} tool run(s)")
    await model.close()


if __name__ == "__main__":
    asyncio.run(main())
