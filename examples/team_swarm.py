"""Agents pass the turn by handoffs (Swarm), streamed in the Console.

A triage agent hands the customer over to billing or to support; the one it picks answers. The
triage agent's only tools are its handoffs; whether and to whom it hands over is the model's
choice. Run it with ``python examples/team_swarm.py``.
"""

from __future__ import annotations

import asyncio

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import HandoffMessage
from parlay_agentchat.teams import Swarm
from parlay_agentchat.ui import Console
from parlay_ext.models import default_model_client


async def main() -> None:
    print("Triage hands over to billing or support (the model loads on first use).", flush=True)
    model = default_model_client(max_tokens=40, temperature=0.0)
    triage = AssistantAgent(
        "triage",
        model,
        handoffs=["billing", "support"],
        system_message="Transfer billing questions to billing and the rest to support.",
    )
    billing = AssistantAgent(
        "billing", model, system_message="You answer billing questions in one sentence."
    )
    support = AssistantAgent(
        "support", model, system_message="You answer support questions in one sentence."
    )
    team = Swarm([triage, billing, support], max_turns=2)
    result = await Console(
        team.run_stream(task="A billing question: I was charged twice for my order.")
    )
    handoffs = [
        f"{m.source} -> {m.target}" for m in result.messages if isinstance(m, HandoffMessage)
    ]
    print(f"swarm finished: {len(result.messages)} messages, handoffs {handoffs}")
    await model.close()


if __name__ == "__main__":
    asyncio.run(main())
