"""Token estimates repeated over a growing conversation stay exact while getting cheaper.

A chat client re-estimates the whole conversation on every call. ``PromptTokenTally`` reuses the
estimates of messages it has seen; these tests check that what it returns is always what
:func:`approximate_message_tokens` returns for the same prompt, whatever the caller does to the
conversation between calls (grow it, trim it, replace or edit messages).
"""

from __future__ import annotations

import asyncio

from parlay_core import FunctionCall
from parlay_core.model_context import TokenLimitedChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    PromptTokenTally,
    SystemMessage,
    UserMessage,
    approximate_message_tokens,
    approximate_text_tokens,
)
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import ToolSchema


def _conversation(turns: int) -> list[LLMMessage]:
    messages: list[LLMMessage] = [SystemMessage(content="You are a helpful assistant.")]
    for turn in range(turns):
        messages.append(UserMessage(content=f"Question number {turn}, please?", source="user"))
        messages.append(AssistantMessage(content=f"Answer {turn}: it depends.", source="bot"))
    return messages


def _check(tally: PromptTokenTally, messages: list[LLMMessage]) -> None:
    assert tally.count(messages) == approximate_message_tokens(messages)


def test_a_growing_conversation_counts_as_a_fresh_estimate() -> None:
    tally = PromptTokenTally()
    messages = _conversation(0)
    for turn in range(30):
        _check(tally, messages)
        messages.append(UserMessage(content=f"more text {turn} " * turn, source="user"))


def test_trimmed_reordered_and_shorter_prompts_count_exactly() -> None:
    tally = PromptTokenTally()
    messages = _conversation(10)
    _check(tally, messages)
    del messages[5:9]  # what a token-limited context does: drop the middle
    _check(tally, messages)
    _check(tally, [messages[0], *messages[-3:]])  # a window with the system message in front
    _check(tally, messages[::-1])
    _check(tally, [])
    _check(tally, messages)


def test_a_message_edited_in_place_is_estimated_again() -> None:
    tally = PromptTokenTally()
    messages = _conversation(3)
    _check(tally, messages)
    user = messages[1]
    assert isinstance(user, UserMessage)
    user.content = "a much longer question than before, with many more words in it"
    _check(tally, messages)

    call = FunctionCall(id="1", arguments="{}", name="now")
    request = AssistantMessage(content=[call], source="bot")
    results = FunctionExecutionResultMessage(
        content=[FunctionExecutionResult(content="12:00", name="now", call_id="1")]
    )
    messages += [request, results]
    _check(tally, messages)
    # Lists can change without the message or the list object changing.
    calls = request.content
    assert isinstance(calls, list)
    calls.append(FunctionCall(id="2", arguments='{"zone": "UTC"}', name="now"))
    results.content[0].content = "twelve o'clock, noon, in the local time zone"
    _check(tally, messages)

    answer = AssistantMessage(content="It is noon.", thought="The tool said so.", source="bot")
    messages.append(answer)
    _check(tally, messages)
    answer.thought = "The tool reported noon, so that is the answer to give."
    _check(tally, messages)


def test_an_edit_before_the_conversation_grows_is_seen() -> None:
    # The usual call adds messages at the end; an edit to an earlier one must not be missed.
    tally = PromptTokenTally()
    messages = _conversation(3)
    _check(tally, messages)
    reply = messages[2]
    assert isinstance(reply, AssistantMessage)
    reply.thought = "A thought given after the reply was first counted, several words long."
    messages.append(UserMessage(content="And then?", source="user"))
    _check(tally, messages)
    system = messages[0]
    assert isinstance(system, SystemMessage)
    system.content = "Be brief."
    _check(tally, messages)
    messages.append(AssistantMessage(content="Then nothing.", source="bot"))
    _check(tally, messages)


def test_a_sliding_window_counts_exactly() -> None:
    # What a buffered context sends: the last few messages, a new one in and the oldest out.
    tally = PromptTokenTally()
    messages = _conversation(12)
    for end in range(4, len(messages) + 1):
        _check(tally, messages[max(0, end - 4) : end])


def test_equal_but_distinct_messages_count_the_same() -> None:
    tally = PromptTokenTally()
    messages = _conversation(4)
    _check(tally, messages)
    copies = [message.model_copy(deep=True) for message in messages]
    _check(tally, copies)


def test_tools_count_on_every_call() -> None:
    tally = PromptTokenTally()
    schema = ToolSchema(
        name="weather",
        description="Current weather for a city.",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
    messages = _conversation(2)
    assert tally.count(messages, tools=[schema]) == approximate_message_tokens(
        messages, tools=[schema]
    )
    assert tally.count(messages) == approximate_message_tokens(messages)


def test_text_estimates_do_not_depend_on_what_was_counted_before() -> None:
    text = "internationalization, again and again!"
    first = approximate_text_tokens(text)
    for _ in range(3):
        assert approximate_text_tokens(text) == first
    # An equal string built separately (a different object) gets the same count.
    assert approximate_text_tokens("".join(["internationalization, ", "again and again!"])) == first


def test_replay_client_usage_over_a_conversation_matches_the_estimate() -> None:
    async def main() -> None:
        client = ReplayChatCompletionClient(["ok"] * 20)
        messages = _conversation(1)
        expected_total = 0
        for turn in range(20):
            result = await client.create(messages)
            prompt = approximate_message_tokens(messages)
            assert result.usage.prompt_tokens == prompt
            assert client.remaining_tokens(messages) == 10_000 - prompt
            expected_total += prompt
            messages.append(AssistantMessage(content="ok", source="bot"))
            messages.append(UserMessage(content=f"next {turn}", source="user"))
            if turn % 5 == 4:
                del messages[1:3]
        assert client.total_usage().prompt_tokens == expected_total

    asyncio.run(main())


def test_token_limited_context_on_the_replay_client_keeps_what_fits() -> None:
    async def main() -> None:
        client = ReplayChatCompletionClient([])
        context = TokenLimitedChatCompletionContext(client, token_limit=60)
        for message in _conversation(15):
            await context.add_message(message)
        kept = await context.get_messages()
        assert approximate_message_tokens(kept) <= 60
        assert client.count_tokens(kept) == approximate_message_tokens(kept)
        # The first message (the instructions) and the latest survive the trimming.
        assert isinstance(kept[0], SystemMessage)
        assert kept[-1].content == "Answer 14: it depends."

    asyncio.run(main())


def test_two_prompts_growing_in_turn_count_exactly() -> None:
    # A token-limited context counts its messages, then the agent sends them with its system
    # message in front: two prompts that grow in turn, with trims and edits in between.
    tally = PromptTokenTally()
    system = SystemMessage(content="You are a helpful assistant.")
    context: list[LLMMessage] = []
    for turn in range(12):
        context.append(UserMessage(content=f"Question {turn}, with a few words?", source="user"))
        _check(tally, context)
        _check(tally, [system, *context])
        if turn == 5:
            del context[1:3]
        if turn == 8:
            _check(tally, _conversation(2))  # a third prompt pushes out one of the two
            first = context[0]
            assert isinstance(first, UserMessage)
            first.content = "An edited question that is now a good deal longer than before."
        context.append(AssistantMessage(content=f"Answer {turn}.", source="bot"))


class _TaggedUserMessage(UserMessage):
    """A user's own subclass of a model message."""

    tag: str = ""


def test_a_subclass_of_a_message_counts_as_its_base() -> None:
    text = "A question from a subclass, with several words."
    tagged = _TaggedUserMessage(content=text, source="user", tag="t")
    plain = UserMessage(content=text, source="user")
    assert approximate_message_tokens([tagged]) == approximate_message_tokens([plain]) > 0
    _check(PromptTokenTally(), [*_conversation(2), tagged])
