"""The embedded model's tool decision, its shared model and its team history.

The builders (decision prompt and grammar, word matching, the choice itself, speaker names in
history) are tested directly. The tests marked ``slow`` run the bundled SmolLM2 for real, on
cases where the outcome does not hang on the model's taste: a request that names the tool's
subject, a request no tool shares a word with, two clients that must share one model.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pytest

from parlay_core.models import AssistantMessage, SystemMessage, UserMessage
from parlay_core.tools import FunctionTool, ToolSchema
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient
from parlay_ext.models.llama_cpp._prompt import (
    arguments_available,
    asks_for_text,
    choose_tool,
    convert_messages,
    copy_grammar,
    decision_grammar,
    decision_messages,
    describe_parameters,
    free_text_parameters,
    lexical_scores,
    names_the_action,
    tool_instructions,
    uncopied_strings,
    word_choice,
)
from parlay_ext.models.llama_cpp._scoring import candidate_tools, likelihood_choice
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
    assert "- get_weather(city): Get the current weather in a city." in system
    assert "- send_email(to, subject): Send an email to a person." in system
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


def test_the_model_strategy_takes_only_an_offered_tool() -> None:
    assert choose_tool(SCHEMAS, "Weather in Rome?", "get_weather", "model") == "get_weather"
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
    assert arguments_available(SCHEMAS[0], "Is it raining in Oslo?"), "no number needed"
    assert [s["name"] for s in candidate_tools(schemas, "What is a noun?")] == ["send_email"]
    assert "add" in [s["name"] for s in candidate_tools(schemas, "What's 9 plus 6?")]


def set_thermostat(
    temperature: Annotated[float, "the target temperature in degrees"],
    unit: Literal["celsius", "fahrenheit"] = "celsius",
) -> str:
    """Set the heating thermostat to a temperature."""
    return f"{temperature} {unit}"


THERMOSTAT = FunctionTool(set_thermostat, description="Set the heating thermostat.").schema


def test_a_tool_is_described_in_plain_lines_per_argument() -> None:
    assert describe_parameters(THERMOSTAT) == [
        "- temperature (number; required): the target temperature in degrees",
        '- unit (one of "celsius", "fahrenheit"; optional, default "celsius")',
    ]
    # A parameter whose only description is its own name is not described twice.
    assert describe_parameters(SCHEMAS[1]) == [
        "- to (text; required)",
        "- subject (text; required)",
    ]
    one = tool_instructions([THERMOSTAT], "required")
    assert one.startswith("Call the tool set_thermostat: Set the heating thermostat.\n")
    assert '<tool_call>{"name": "set_thermostat", "arguments": {...}}</tool_call>' in one
    several = tool_instructions(SCHEMAS, "auto")
    assert "get_weather: Get the current weather in a city.\n- city (text; required)" in several
    assert several.endswith("If no tool is needed, answer normally.")


def test_parameter_descriptions_and_allowed_values_are_a_tools_words() -> None:
    schemas = [THERMOSTAT, *SCHEMAS]
    assert word_choice(schemas, "Make it 68 in Fahrenheit") == "set_thermostat"
    # A tool whose required number the request lacks is not chosen by its words.
    assert word_choice(schemas, "At what temperature does water boil?") is None


def test_text_arguments_not_copied_from_the_request_are_found() -> None:
    request = "Email carol@example.com: subject Report, body The report is done."
    copied = {"to": "carol@example.com", "subject": "report"}
    assert uncopied_strings(SCHEMAS[1], copied, request) == []
    made_up = {"to": "example.com", "subject": "<subject>"}
    assert uncopied_strings(SCHEMAS[1], made_up, request) == ["to", "subject"]
    assert free_text_parameters(SCHEMAS[1]) == ["to", "subject"]
    assert free_text_parameters(THERMOSTAT) == [], "an enum is not free text"


def test_the_copy_grammar_allows_runs_of_the_requests_words_only() -> None:
    request = 'Email "Carol" (carol@example.com): subject Report, body done.'
    grammar = copy_grammar(SCHEMAS[1], ["to", "subject"], request)
    LlamaGrammar.from_string(grammar, verbose=False)  # llama.cpp accepts it
    lines = grammar.splitlines()
    # Both text arguments are runs of words, never free strings.
    assert "arguments-to ::= parlay-copy" in lines
    assert "arguments-subject ::= parlay-copy" in lines
    assert not any(line.startswith("string ::=") for line in lines)
    # A run continues word by word, may end without the word's trailing punctuation, and
    # its words are JSON-escaped inside the argument's string.
    assert 'parlay-copy-4 ::= "Report," (" " parlay-copy-5)? | "Report"' in lines
    assert r'parlay-copy-1 ::= "\\\"Carol\\\"" (" " parlay-copy-2)? | "\\\"Carol"' in lines
    # A run may start without the word's leading punctuation: the bare address.
    assert '"carol@example.com"' in lines[-1]
    named = copy_grammar(THERMOSTAT, [], "Make it 68 degrees Fahrenheit.")
    # The unit the request names becomes required and the only allowed value.
    assert 'arguments-unit ::= "\\"fahrenheit\\""' in named.splitlines()
    assert "celsius" not in named
    accented = copy_grammar(SCHEMAS[0], ["city"], "Weather in Zürich?")
    LlamaGrammar.from_string(accented, verbose=False)
    assert r'parlay-copy-2 ::= "Z\u00fcrich?" | "Z\u00fcrich"' in accented.splitlines()
    unnamed = copy_grammar(THERMOSTAT, [], "Make it 20 degrees.")
    assert "celsius" in unnamed and "fahrenheit" in unnamed


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


@pytest.mark.slow
async def test_a_small_models_text_arguments_are_copied_from_the_request() -> None:
    # Left free, SmolLM2 wrote "<user name>" or "example.com" here; copied, the address is whole.
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=256, seed=1)
    try:
        result = await model.create(
            [UserMessage(content="Send an email to bob@example.com about lunch.", source="user")],
            tools=TOOLS,
            tool_choice=TOOLS[1],
        )
        assert isinstance(result.content, list)
        arguments = json.loads(result.content[0].arguments)
        assert arguments["to"] == "bob@example.com"
        request_words = "Send an email to bob@example.com about lunch.".lower()
        assert arguments["subject"].lower() in request_words
    finally:
        await model.close()


def toggle_fan(room: str, on: Annotated[bool, "true to start the fan, false to stop it"]) -> str:
    """Start or stop the fan in a room."""
    return room


def switch_lights(room: str, on: Annotated[bool, "true to turn on, false to turn off"]) -> str:
    """Turn the lights in a room on or off."""
    return room


def convert_currency(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert an amount of money from one currency to another."""
    return amount


def convert_length(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a length from one unit to another."""
    return value


MANY: list[ToolSchema] = [
    FunctionTool(f, description=(f.__doc__ or "").strip()).schema
    for f in (switch_lights, toggle_fan, convert_currency, convert_length)
] + SCHEMAS


def test_among_similar_tools_the_thing_acted_on_decides() -> None:
    # "turn" and "off" are in the lights tool's description; "fan" names the fan tool.
    assert word_choice(MANY, "Turn the fan in the office off.") == "toggle_fan"
    assert word_choice(MANY, "Switch off the lights in the hall.") == "switch_lights"


def test_a_tool_needing_a_currency_or_a_place_the_request_lacks_is_not_chosen() -> None:
    assert not arguments_available(MANY[2], "Convert 5 kilometers to miles.")
    assert arguments_available(MANY[2], "Convert 5 euros to dollars.")
    assert word_choice(MANY, "Convert 5 kilometers to miles.") == "convert_length"
    assert word_choice(MANY, "Convert 5 euros to dollars.") == "convert_currency"
    assert word_choice(MANY, "What is the difference between weather and climate?") is None
    assert word_choice(MANY, "What's the weather in Lima?") == "get_weather"
    assert word_choice(MANY, "what's the weather in lima") == "get_weather"


def test_a_question_asking_for_an_explanation_or_advice_gets_no_call() -> None:
    assert asks_for_text("Why is the sky blue?")
    assert asks_for_text("Can you give me tips for writing a good email subject line?")
    assert not asks_for_text("Turn the fan in the office off.")
    # No tool from shared words without the tool's verb...
    assert candidate_tools(MANY, "Why is the sky blue?") == []
    assert word_choice(MANY, "How do fans keep a room cool?") is None
    # ...but a question that also names the action is still a request for it.
    assert word_choice(MANY, "Why not turn off the lights in the hall?") == "switch_lights"


def test_meaning_decides_and_shared_words_only_break_near_ties() -> None:
    names = ["add", "multiply", "get_weather"]
    # A clear lead is called whatever the words say.
    assert likelihood_choice(names, [1.0, 9.0, -2.0], {"add": 3}) == "multiply"
    # Near-tied scores: the tool sharing more words with the request wins...
    assert likelihood_choice(names, [9.7, 9.5, 0.0], {"multiply": 3}) == "multiply"
    # ...and without such words a near tie is no evidence of either: no call.
    assert likelihood_choice(names, [6.1, 6.8, 0.0], {}) is None
    # A request no tool explains scores low for all of them: no call.
    assert likelihood_choice(names, [0.5, -1.0, 0.2], {}) is None
    assert likelihood_choice([], [], {}) is None


def test_candidates_are_the_tools_whose_kinds_of_value_the_request_holds() -> None:
    def names(request: str) -> list[str]:
        return [s["name"] for s in candidate_tools(MANY, request)]

    # No number: no converter; no place: no weather.
    assert "convert_length" not in names("Is it sunny in Lisbon right now?")
    assert "get_weather" in names("Is it sunny in Lisbon right now?")
    assert "get_weather" not in names("Is it sunny?")
    # A question asking for an explanation keeps only tools whose verb it uses.
    assert names("Why is the sky blue?") == []


def test_a_question_asking_how_or_why_gets_no_candidate() -> None:
    def lock_door(door: str, locked: bool) -> str:
        """Lock or unlock a door of the house."""
        return door

    def get_stock_price(symbol: str) -> str:
        """Get the latest share price of a company on the stock market."""
        return symbol

    schemas = [
        FunctionTool(f, description=(f.__doc__ or "").strip()).schema
        for f in (lock_door, get_stock_price)
    ]
    # How something works or why it happens is explained, whatever words it shares with a
    # tool: "locks" is lock_door's verb, "stock" a word of get_stock_price's name.
    assert candidate_tools(schemas, "How do door locks work?") == []
    assert candidate_tools(schemas, "Why do stock markets crash?") == []
    # Only a name's first word is its verb: "stock" is what get_stock_price acts on.
    assert not names_the_action(schemas[1], "Can you explain the stock market?")
    assert names_the_action(schemas[0], "Can you explain and lock the back door?")
    # "Why not..." suggests an action: the tool whose verb it uses stays a candidate.
    assert candidate_tools(schemas, "Why not lock the back door?") == schemas[:1]
    assert schemas[0] in candidate_tools(schemas, "Lock the front door.")


def _paraphrase_tools() -> list[ToolSchema]:
    def convert_weight(value: float, from_unit: str, to_unit: str) -> float:
        """Convert a weight from one unit to another."""
        return value

    def play_song(title: Annotated[str, "the title of the song"]) -> str:
        """Play a song by its title."""
        return title

    extra = [
        FunctionTool(f, description=(f.__doc__ or "").strip()).schema
        for f in (convert_weight, play_song)
    ]
    return [*MANY, *extra]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        # Shares no word with the weather tool's name, description or parameter.
        ("Is it sunny in Lisbon right now?", "get_weather"),
        # Ounces are a weight: not the length converter, though both convert units.
        ("Convert 12 ounces to grams.", "convert_weight"),
        # A question about a city the weather tool could take, asking for no weather.
        ("Tell me about the history of Paris.", None),
        ("What rhymes with orange?", None),
    ],
)
async def test_auto_decides_by_meaning_not_shared_words(
    request_text: str, expected: str | None
) -> None:
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=48, seed=1)
    try:
        result = await model.create(
            [UserMessage(content=request_text, source="user")], tools=_paraphrase_tools()
        )
        called = [c.name for c in result.content] if isinstance(result.content, list) else []
        assert called == ([expected] if expected else [])
    finally:
        await model.close()


def _home_tools() -> list[ToolSchema]:
    def lock_door(
        door: Annotated[str, "which door"],
        locked: Annotated[bool, "true to lock, false to unlock"],
    ) -> str:
        """Lock or unlock a door of the house."""
        return door

    def get_stock_price(symbol: Annotated[str, "the company's name or ticker symbol"]) -> str:
        """Get the latest share price of a company on the stock market."""
        return symbol

    def convert_weight(value: float, from_unit: str, to_unit: str) -> float:
        """Convert a weight from one unit to another."""
        return value

    tools = (lock_door, get_stock_price, convert_weight)
    return [FunctionTool(f, description=(f.__doc__ or "").strip()).schema for f in tools]


@pytest.mark.slow
async def test_auto_explains_how_and_why_and_acts_on_requests() -> None:
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=32, seed=1)
    try:
        for question in ("How do door locks work?", "Why do stock markets crash?"):
            answer = await model.create(
                [UserMessage(content=question, source="user")], tools=_home_tools()
            )
            assert isinstance(answer.content, str), question
        result = await model.create(
            [UserMessage(content="Turn 5 pounds into kilograms.", source="user")],
            tools=_home_tools(),
        )
        assert isinstance(result.content, list)
        assert result.content[0].name == "convert_weight"
        arguments = json.loads(result.content[0].arguments)
        assert (arguments["from_unit"], arguments["to_unit"]) == ("pounds", "kilograms")
    finally:
        await model.close()
