"""The embedded model's tool decision, its shared model and its team history.

The builders (decision prompt and grammar, word matching, the choice itself, speaker names in
history) are tested directly. The tests marked ``slow`` run the bundled SmolLM2 for real, on
cases where the outcome does not hang on the model's taste: a request that names the tool's
subject, a request no tool shares a word with, two clients that must share one model.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from parlay_core.models import AssistantMessage, SystemMessage, UserMessage
from parlay_core.tools import FunctionTool, ToolSchema
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient
from parlay_ext.models.llama_cpp._prompt import (
    arguments_available,
    choose_tool,
    convert_messages,
    decision_grammar,
    decision_messages,
    lexical_scores,
)
from parlay_ext.models.llama_cpp._sdk import LlamaGrammar
from parlay_ext.models.llama_cpp._shared import (
    acquire_model,
    load_key,
    loaded_model_count,
    release_model,
)


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"sunny in {city}"


def send_email(to: str, subject: str) -> str:
    """Send an email to a person."""
    return f"sent to {to}"


TOOLS = [
    FunctionTool(get_weather, description="Get the current weather in a city."),
    FunctionTool(send_email, description="Send an email to a person."),
]
SCHEMAS: list[ToolSchema] = [t.schema for t in TOOLS]


def test_decision_prompt_lists_each_tool_and_the_request() -> None:
    messages = decision_messages(SCHEMAS, "Is it sunny in Rome?")
    assert messages[-1] == {"role": "user", "content": "Is it sunny in Rome?"}
    system = messages[0]["content"]
    assert "- get_weather: Get the current weather in a city." in system
    assert "- send_email: Send an email to a person." in system
    assert "none" in system


def test_decision_grammar_allows_only_the_names_and_none() -> None:
    grammar = decision_grammar(["get_weather", "send_email"])
    assert grammar == 'root ::= "get_weather" | "send_email" | "none"'
    LlamaGrammar.from_string(grammar, verbose=False)  # llama.cpp accepts it


def test_words_shared_with_a_tool_pick_it() -> None:
    scores = lexical_scores(SCHEMAS, "What's the weather like in Lisbon?")
    assert scores["get_weather"] > 0 and scores["send_email"] == 0
    assert choose_tool(SCHEMAS, "Please email Ann about lunch.", None, "words") == "send_email"
    assert choose_tool(SCHEMAS, "Tell me a joke.", "send_email", "words") is None


def test_each_strategy_combines_the_model_and_the_words() -> None:
    # The words win when they point at a tool, whatever the model said.
    assert choose_tool(SCHEMAS, "Weather in Rome?", "send_email", "both") == "get_weather"
    # With no shared word the model's pick stands only if it confirmed it.
    assert choose_tool(SCHEMAS, "Is it raining?", "get_weather", "both") == "get_weather"
    assert choose_tool(SCHEMAS, "Tell me a joke.", "send_email", "both", confirmed=False) is None
    assert choose_tool(SCHEMAS, "Weather in Rome?", "none", "model") is None
    assert choose_tool(SCHEMAS, "Hi", "not_a_tool", "model") is None


def test_a_model_pick_needing_a_number_the_request_lacks_is_dropped() -> None:
    def add(a: int, b: int) -> int:
        """Add two whole numbers."""
        return a + b

    schemas = [FunctionTool(add, description="Add two whole numbers.").schema, *SCHEMAS]
    assert arguments_available(schemas[0], "What's 9 plus 6?")
    assert arguments_available(schemas[0], "add three and five")
    assert not arguments_available(schemas[0], "What is a noun?")
    assert arguments_available(SCHEMAS[0], "Is it raining?"), "no number needed"
    assert choose_tool(schemas, "What is a noun?", "add", "both") is None
    assert choose_tool(schemas, "What's 9 plus 6?", "add", "both") == "add"


def test_history_names_each_speaker_of_a_team() -> None:
    turns = convert_messages(
        [
            SystemMessage(content="Be brief."),
            UserMessage(content="Plan a trip.", source="user"),
            AssistantMessage(content="Go to Rome.", source="planner"),
            UserMessage(content="Rome is hot in July.", source="critic"),
        ],
        None,
    )
    assert turns == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Plan a trip."},
        {"role": "assistant", "content": "Go to Rome."},
        {"role": "user", "content": "critic: Rome is hot in July."},
    ]


def test_registry_loads_once_per_key_and_frees_after_the_last_release() -> None:
    builds: list[object] = []

    def build() -> Any:
        builds.append(object())
        return builds[-1]

    key = load_key("/models/a.gguf", 2048, 1, {"seed": 1})
    before = loaded_model_count()
    first = acquire_model(key, build)
    second = acquire_model(load_key("/models/a.gguf", 2048, 1, {"seed": 1}), build)
    other = acquire_model(load_key("/models/a.gguf", 4096, 1, {"seed": 1}), build)
    assert first is second and first.llm is builds[0]
    assert other is not first and len(builds) == 2
    assert loaded_model_count() == before + 2
    assert release_model(first) is False, "another client still holds it"
    assert release_model(second) is True
    assert release_model(other) is True
    assert loaded_model_count() == before
    for shared in (first, other):
        shared.executor.shutdown()


@pytest.mark.slow
async def test_two_clients_with_the_same_settings_share_one_model() -> None:
    one = LlamaCppChatCompletionClient(quiet=True, max_tokens=8)
    two = LlamaCppChatCompletionClient(quiet=True, max_tokens=8)
    before = loaded_model_count()
    try:
        await one.load()
        await two.load()
        assert loaded_model_count() == before + 1
        assert one._shared is two._shared  # pyright: ignore[reportPrivateUsage]
        await one.close()
        # The other client still works on the shared model after the first one closed.
        result = await two.create([UserMessage(content="Hi", source="user")])
        assert isinstance(result.content, str)
    finally:
        await one.close()
        await two.close()
    assert loaded_model_count() == before


@pytest.mark.slow
async def test_auto_calls_the_tool_a_request_clearly_needs() -> None:
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=40, temperature=0.0, seed=1)
    try:
        result = await model.create(
            [
                SystemMessage(content="You are a helpful assistant."),
                UserMessage(content="What is the weather in Paris?", source="user"),
            ],
            tools=TOOLS,
        )
        assert result.finish_reason == "function_calls"
        assert isinstance(result.content, list)
        assert [c.name for c in result.content] == ["get_weather"]
        assert "paris" in json.loads(result.content[0].arguments)["city"].lower()
    finally:
        await model.close()


@pytest.mark.slow
async def test_auto_answers_in_text_when_no_tool_applies() -> None:
    model = LlamaCppChatCompletionClient(
        quiet=True, max_tokens=16, temperature=0.0, seed=1, tool_decision="words"
    )
    try:
        result = await model.create(
            [UserMessage(content="Write one line about the sea.", source="user")], tools=TOOLS
        )
        assert isinstance(result.content, str) and result.finish_reason in ("stop", "length")
    finally:
        await model.close()
