"""Provider clients estimate a prompt's tokens offline, framing included."""

from __future__ import annotations

from parlay_core.model_context import TokenLimitedChatCompletionContext
from parlay_core.models import AssistantMessage, LLMMessage, UserMessage, approximate_message_tokens
from parlay_ext.models.openai import OpenAIChatCompletionClient

MESSAGES: list[LLMMessage] = [
    UserMessage(content="Hello!", source="user"),
    AssistantMessage(content="What can I do for you?", source="assistant"),
    UserMessage(content="Tell what are some fun things to do in seattle.", source="user"),
]


def client() -> OpenAIChatCompletionClient:
    # No request is made: counting is offline.
    return OpenAIChatCompletionClient(model="gpt-4.1-nano", api_key="test")


def test_each_message_costs_its_framing_and_the_reply_its_priming() -> None:
    contents = approximate_message_tokens(MESSAGES)
    assert client().count_tokens(MESSAGES) == contents + 4 * len(MESSAGES) + 3
    assert client().count_tokens([]) == 3


async def test_a_token_limit_below_the_framed_size_drops_messages() -> None:
    # The contents alone (21 tokens) would fit in 30; with the framing they do not.
    assert approximate_message_tokens(MESSAGES) <= 30
    context = TokenLimitedChatCompletionContext(model_client=client(), token_limit=30)
    for message in MESSAGES:
        await context.add_message(message)
    kept = await context.get_messages()
    assert 0 < len(kept) < len(MESSAGES)
    assert kept[-1] == MESSAGES[-1]
