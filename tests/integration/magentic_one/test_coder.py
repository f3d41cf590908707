"""MagenticOneCoderAgent: an AssistantAgent whose prompt is sealed to Magentic-One's coder."""

from __future__ import annotations

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import ModelClientStreamingChunkEvent, TextMessage
from parlay_core.testing import ReplayChatCompletionClient
from parlay_ext.agents.magentic_one import (
    MAGENTIC_ONE_CODER_DESCRIPTION,
    MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
    MagenticOneCoderAgent,
)


async def test_the_coder_answers_with_its_sealed_system_message() -> None:
    model = ReplayChatCompletionClient(["```python\nprint(6 * 7)\n```"])
    coder = MagenticOneCoderAgent("Coder", model_client=model)
    assert isinstance(coder, AssistantAgent)
    assert coder.description == MAGENTIC_ONE_CODER_DESCRIPTION
    result = await coder.run(task="Compute six times seven.")
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage) and reply.content.startswith("```python")
    # The replay client keeps what it was sent: the coder's prompt leads the conversation.
    sent = model.create_calls[0]["messages"]
    assert sent[0].content == MAGENTIC_ONE_CODER_SYSTEM_MESSAGE


async def test_other_assistant_arguments_are_passed_on() -> None:
    model = ReplayChatCompletionClient(["print('hello')"])
    coder = MagenticOneCoderAgent("Coder", model_client=model, model_client_stream=True)
    chunks = [
        m
        async for m in coder.run_stream(task="Say hello.")
        if isinstance(m, ModelClientStreamingChunkEvent)
    ]
    assert chunks, "model_client_stream=True was dropped"


@pytest.mark.parametrize("key", ["description", "system_message"])
def test_a_different_prompt_is_refused(key: str) -> None:
    model = ReplayChatCompletionClient([])
    with pytest.raises(AgentConfigurationError, match=f"{key} is sealed"):
        MagenticOneCoderAgent("Coder", model_client=model, **{key: "Something else."})


def test_a_config_round_trips_and_an_edited_prompt_is_replaced_by_the_sealed_one() -> None:
    coder = MagenticOneCoderAgent("Coder", model_client=ReplayChatCompletionClient([]))
    dumped = coder.dump_component()
    assert dumped.provider == "parlay_ext.agents.magentic_one.MagenticOneCoderAgent"
    assert dumped.config["system_message"] == MAGENTIC_ONE_CODER_SYSTEM_MESSAGE
    # A config written by AutoGen's coder carries AutoGen's prompt; it loads with the sealed one.
    dumped.config["system_message"] = "You are a helpful AI assistant."
    loaded = MagenticOneCoderAgent.load_component(dumped)
    assert isinstance(loaded, MagenticOneCoderAgent)
    assert loaded.dump_component().config["system_message"] == MAGENTIC_ONE_CODER_SYSTEM_MESSAGE
