"""Termination conditions: when they fire, their stop texts, combinations, resets and configs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from parlay_agentchat.base import (
    AndTerminationCondition,
    Handoff,
    OrTerminationCondition,
    TerminatedException,
    TerminationCondition,
)
from parlay_agentchat.conditions import (
    ExternalTermination,
    FunctionalTermination,
    FunctionCallTermination,
    HandoffTermination,
    MaxMessageTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TextMentionTermination,
    TextMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
)
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from parlay_core import CancellationToken, FunctionCall, load_component
from parlay_core.exceptions import ComponentTypeError
from parlay_core.models import FunctionExecutionResult, RequestUsage


def text(content: str, source: str = "a") -> TextMessage:
    return TextMessage(content=content, source=source)


async def test_max_message_counts_chat_messages_only_by_default() -> None:
    condition = MaxMessageTermination(3)
    thought = ThoughtEvent(content="x", source="a")
    assert await condition([text("1"), thought]) is None
    assert await condition([thought, thought]) is None
    assert not condition.terminated
    stop = await condition([text("2"), text("3")])
    assert stop is not None
    assert stop.content == "Maximum number of messages 3 reached, current message count: 3"
    assert stop.source == "MaxMessageTermination"
    assert condition.terminated
    with pytest.raises(TerminatedException):
        await condition([text("4")])
    await condition.reset()
    assert not condition.terminated
    assert await condition([text("1")]) is None


async def test_max_message_can_count_agent_events() -> None:
    condition = MaxMessageTermination(2, include_agent_event=True)
    stop = await condition([text("1"), ThoughtEvent(content="x", source="a")])
    assert stop is not None
    assert stop.content.endswith("current message count: 2")


async def test_text_mention_looks_at_chat_messages_and_sources() -> None:
    condition = TextMentionTermination("TERMINATE", sources=["critic"])
    call = FunctionCall(id="1", name="f", arguments='{"x": "TERMINATE"}')
    assert await condition([ToolCallRequestEvent(content=[call], source="critic")]) is None
    assert await condition([text("TERMINATE", source="writer")]) is None
    stop = await condition([text("ok. TERMINATE", source="critic")])
    assert stop is not None
    assert stop == StopMessage(
        id=stop.id,
        created_at=stop.created_at,
        content="Text 'TERMINATE' mentioned",
        source="TextMentionTermination",
    )
    with pytest.raises(TerminatedException):
        await condition([text("x")])
    await condition.reset()
    summary = ToolCallSummaryMessage(content="TERMINATE", source="critic")
    assert await condition([summary]) is not None


async def test_stop_message_and_handoff_and_source_match() -> None:
    stop_condition = StopMessageTermination()
    assert await stop_condition([text("x")]) is None
    fired = await stop_condition([StopMessage(content="bye", source="a")])
    assert fired is not None
    assert fired.content == "Stop message received"

    handoff = HandoffTermination("user")
    assert await handoff([HandoffMessage(content="x", target="b", source="a")]) is None
    fired = await handoff([HandoffMessage(content="x", target="user", source="a")])
    assert fired is not None
    assert fired.content == "Handoff to user from a detected."
    assert fired.source == "HandoffTermination"

    source = SourceMatchTermination(["b"])
    assert await source([]) is None
    assert await source([text("x", source="a")]) is None
    fired = await source([text("x", source="b")])
    assert fired is not None
    assert fired.content == "'b' answered"


async def test_text_message_and_function_call() -> None:
    condition = TextMessageTermination("a")
    assert await condition([ToolCallSummaryMessage(content="x", source="a")]) is None
    assert await condition([text("x", source="b")]) is None
    fired = await condition([text("x", source="a")])
    assert fired is not None
    assert fired.content == "Text message received from 'a'"

    calls = FunctionCallTermination("approve")
    other = FunctionExecutionResult(content="1", name="other", call_id="1", is_error=False)
    assert await calls([ToolCallExecutionEvent(content=[other], source="a")]) is None
    approve = FunctionExecutionResult(content="ok", name="approve", call_id="2", is_error=False)
    fired = await calls([ToolCallExecutionEvent(content=[other, approve], source="a")])
    assert fired is not None
    assert fired.content == "Function 'approve' was executed."


async def test_token_usage_sums_models_usage() -> None:
    with pytest.raises(AgentConfigurationError):
        TokenUsageTermination()
    condition = TokenUsageTermination(max_total_token=10)
    used = TextMessage(content="x", source="a", models_usage=RequestUsage(3, 2))
    assert await condition([used, text("no usage")]) is None
    fired = await condition([used])
    assert fired is not None
    assert fired.content == (
        "Token usage limit reached, total token count: 10, prompt token count: 6, "
        "completion token count: 4."
    )
    await condition.reset()
    assert not condition.terminated
    prompt_only = TokenUsageTermination(max_prompt_token=3)
    assert await prompt_only([used]) is not None


async def test_timeout_starts_at_first_call() -> None:
    condition = TimeoutTermination(0.05)
    assert await condition([]) is None
    await asyncio.sleep(0.06)
    fired = await condition([])
    assert fired is not None
    assert fired.content == "Timeout of 0.05 seconds reached"
    await condition.reset()
    assert await condition([]) is None


async def test_external_termination_fires_after_set() -> None:
    condition = ExternalTermination()
    assert await condition([text("x")]) is None
    condition.set()
    fired = await condition([])
    assert fired is not None
    assert fired.content == "External termination requested"
    await condition.reset()
    assert await condition([]) is None


async def test_functional_termination_with_sync_and_async_functions() -> None:
    def sync_check(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> bool:
        return any(isinstance(m, TextMessage) and m.content == "done" for m in messages)

    async def async_check(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> bool:
        return len(messages) > 1

    sync_condition = FunctionalTermination(sync_check)
    assert await sync_condition([text("x")]) is None
    fired = await sync_condition([text("done")])
    assert fired is not None
    assert fired.content == "Functional termination condition met"
    async_condition = FunctionalTermination(async_check)
    assert await async_condition([text("x")]) is None
    assert await async_condition([text("x"), text("y")]) is not None
    with pytest.raises(ComponentTypeError, match="function"):
        sync_condition.dump_component()


async def test_or_calls_every_condition_and_joins_stop_messages() -> None:
    first = MaxMessageTermination(2)
    second = TextMentionTermination("STOP")
    either = first | second
    assert isinstance(either, OrTerminationCondition)
    assert await either([text("hello")]) is None
    fired = await either([text("STOP")])
    assert fired is not None
    assert fired.content == (
        "Maximum number of messages 2 reached, current message count: 2, Text 'STOP' mentioned"
    )
    assert fired.source == "MaxMessageTermination, TextMentionTermination"
    assert either.terminated
    with pytest.raises(RuntimeError):
        await either([text("x")])
    await either.reset()
    assert not first.terminated
    assert not second.terminated


async def test_and_remembers_fired_conditions() -> None:
    mention = TextMentionTermination("A")
    count = MaxMessageTermination(3)
    both = mention & count
    assert isinstance(both, AndTerminationCondition)
    assert await both([text("A")]) is None  # mention fired, count at 1
    assert mention.terminated
    assert not both.terminated
    # The fired mention is not called again (it would raise TerminatedException).
    fired = await both([text("x"), text("y")])
    assert fired is not None
    assert fired.content == (
        "Text 'A' mentioned, Maximum number of messages 3 reached, current message count: 3"
    )
    assert both.terminated
    with pytest.raises(TerminatedException):
        await both([text("x")])
    await both.reset()
    assert not mention.terminated
    assert await both([text("nothing")]) is None


ALL_CONDITIONS: list[TerminationCondition] = [
    MaxMessageTermination(5, include_agent_event=True),
    TextMentionTermination("TERMINATE", sources=["a"]),
    StopMessageTermination(),
    TokenUsageTermination(max_total_token=100, max_completion_token=20),
    HandoffTermination("user"),
    TimeoutTermination(30),
    ExternalTermination(),
    SourceMatchTermination(["a", "b"]),
    TextMessageTermination("a"),
    FunctionCallTermination("approve"),
    (MaxMessageTermination(3) | TextMentionTermination("X")) & ExternalTermination(),
]


@pytest.mark.parametrize("condition", ALL_CONDITIONS, ids=lambda c: type(c).__name__)
def test_conditions_dump_with_parlay_paths_and_load_back(condition: TerminationCondition) -> None:
    model = condition.dump_component()
    name = type(condition).__name__
    package = (
        "base" if name in ("AndTerminationCondition", "OrTerminationCondition") else ("conditions")
    )
    assert model.provider == f"parlay_agentchat.{package}.{name}"
    assert model.component_type == "termination"
    assert model.label == name
    loaded = load_component(model.model_dump(mode="json"))
    assert isinstance(loaded, TerminationCondition)
    assert type(loaded) is type(condition)
    assert loaded.dump_component() == model


def test_max_message_config_shape() -> None:
    model = MaxMessageTermination(5).dump_component()
    assert model.config == {"max_messages": 5, "include_agent_event": False}
    assert model.version == 1
    assert model.component_version == 1


def test_autogen_provider_paths_load() -> None:
    config = {
        "provider": "autogen_agentchat.base.OrTerminationCondition",
        "component_type": "termination",
        "version": 1,
        "component_version": 1,
        "config": {
            "conditions": [
                {
                    "provider": "autogen_agentchat.conditions.MaxMessageTermination",
                    "component_type": "termination",
                    "config": {"max_messages": 5},
                },
                {
                    "provider": "autogen_agentchat.conditions.TextMentionTermination",
                    "component_type": "termination",
                    "config": {"text": "TERMINATE"},
                },
            ]
        },
    }
    loaded = load_component(config, expected=OrTerminationCondition)
    assert isinstance(loaded, OrTerminationCondition)


async def test_handoff_defaults_and_tool() -> None:
    handoff = Handoff(target="Planner")
    assert handoff.name == "transfer_to_planner"
    assert handoff.description == "Handoff to Planner."
    assert handoff.message == "Transferred to Planner, adopting the role of Planner immediately."
    tool = handoff.handoff_tool
    assert tool.name == "transfer_to_planner"
    assert tool.schema.get("parameters", {}).get("properties") == {}
    assert await tool.run_json({}, CancellationToken()) == handoff.message
    custom = Handoff(target="b", name="ask_b", message="Asking b.", description="Ask b.")
    assert (custom.name, custom.message, custom.description) == ("ask_b", "Asking b.", "Ask b.")
    with pytest.raises(AgentConfigurationError, match="identifier"):
        Handoff(target="x", name="not valid")
