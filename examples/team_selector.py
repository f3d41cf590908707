"""A model chooses who speaks next (SelectorGroupChat), streamed in the Console.

A planner, a researcher and a writer share one ``default_model_client()``; before each turn the
selector model reads the conversation and names the next speaker. When its reply names nobody
valid, the team falls back to the next participant in order, so the run works with any model.
Three turns at most. Run it with ``python examples/team_selector.py``.
"""

from __future__ import annotations

import asyncio

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.teams import SelectorGroupChat
from parlay_agentchat.ui import Console
from parlay_ext.models import default_model_client


async def main() -> None:
    print("A selector picks each speaker (the embedded model loads on the first call).", flush=True)
    model = default_model_client(max_tokens=32, temperature=0.0)
    participants = [
        AssistantAgent(
            name,
            model,
            description=description,
            system_message=f"You are the {name}. {description} Answer in one sentence.",
        )
        for name, description in [
            ("planner", "Breaks the task into steps."),
            ("researcher", "Finds the facts a step needs."),
            ("writer", "Writes the final answer."),
        ]
    ]
    team = SelectorGroupChat(participants, model_client=model, max_turns=3, max_selector_attempts=1)
    result = await Console(team.run_stream(task="Plan a one-day trip to Oslo."))
    speakers = [m.source for m in result.messages if m.source != "user"]
    print(f"selector finished: {len(result.messages)} messages, speakers {speakers}")
    await model.close()


if __name__ == "__main__":
    asyncio.run(main())
