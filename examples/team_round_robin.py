"""A writer and a critic take turns (RoundRobinGroupChat), streamed in the Console.

Both run on ``default_model_client()``; the writer's tokens are streamed as they arrive. The run
stops when the critic says APPROVE or after four messages, whichever comes first, so it ends
whatever a small model says. Run it with ``python examples/team_round_robin.py``.
"""

from __future__ import annotations

import asyncio

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.ui import Console
from parlay_ext.models import default_model_client


async def main() -> None:
    print("Writer and critic, in turns (the embedded model loads on the first call).", flush=True)
    model = default_model_client(max_tokens=40, temperature=0.0)
    writer = AssistantAgent(
        "writer",
        model,
        system_message="You write one short slogan and improve it when criticised.",
        model_client_stream=True,
    )
    critic = AssistantAgent(
        "critic",
        model,
        system_message="You criticise slogans in one sentence. Say APPROVE when it is good.",
        model_client_stream=True,
    )
    team = RoundRobinGroupChat(
        [writer, critic],
        termination_condition=TextMentionTermination("APPROVE") | MaxMessageTermination(4),
    )
    result = await Console(team.run_stream(task="Write a slogan for a tea shop."))
    speakers = [m.source for m in result.messages]
    print(f"round robin finished: {len(result.messages)} messages, speakers {speakers}")
    await model.close()


if __name__ == "__main__":
    asyncio.run(main())
