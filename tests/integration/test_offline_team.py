"""A team on the embedded offline model (needs AgentChat and the ``local`` extra)."""

from __future__ import annotations

import itertools

import pytest

pytest.importorskip("llama_cpp", reason="needs the local extra")

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient


@pytest.mark.slow
async def test_two_assistant_round_robin_does_not_repeat_itself() -> None:
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=40, seed=1)
    try:
        writer = AssistantAgent("writer", model, system_message="Suggest one idea for a party.")
        critic = AssistantAgent("critic", model, system_message="Improve the last idea briefly.")
        team = RoundRobinGroupChat([writer, critic], max_turns=4)
        result = await team.run(task="Plan a birthday party.")
        replies = [
            m.content.strip()
            for m in result.messages
            if isinstance(m, TextMessage) and m.source != "user"
        ]
        assert len(replies) == 4
        for earlier, later in itertools.pairwise(replies):
            assert earlier != later, f"a reply repeated the one before it: {later!r}"
    finally:
        await model.close()
