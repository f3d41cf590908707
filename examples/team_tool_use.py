"""An AgentChat team whose assistant calls a tool, streamed in the Console.

The assistant runs on ``default_model_client()`` (OpenAI or Anthropic when a key is set, the
embedded offline SmolLM2-135M otherwise). It is offered the tool with the default
``tool_choice="auto"``: the model decides whether to call it. On the embedded model a short
decision step (a tool name or ``none``, under a grammar) makes that choice before the call's
arguments are generated under the tool's schema.

Run it with ``python examples/team_tool_use.py``.
"""

from __future__ import annotations

import asyncio

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import ToolCallExecutionEvent
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.ui import Console
from parlay_ext.models import default_model_client


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is 21 degrees and sunny in {city}."


async def main() -> None:
    print("Building the team: an assistant with a weather tool, and a reporter.", flush=True)
    print("(The embedded model loads on the first call; that takes a moment.)", flush=True)
    model = default_model_client(max_tokens=40, temperature=0.0)
    assistant = AssistantAgent(
        "assistant",
        model,
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
