"""A small embedded model's call arguments, read by kind from the request.

The readers (e-mail addresses, currencies, flags, distinct from/to values, the choice grammar)
are tested directly. The tests marked ``slow`` run the bundled SmolLM2 through ``create()`` on
requests where, left to itself, it copied one currency for both sides of a conversion, set an
outdoor flag for "inside", or called an e-mail tool for a question about e-mail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest

from parlay_core import FunctionCall
from parlay_core.models import UserMessage
from parlay_core.tools import FunctionTool, ToolSchema
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient
from parlay_ext.models.llama_cpp._arguments import (
    Choice,
    choice_grammar,
    currency_mentions,
    email_addresses,
    flag_from_words,
    is_currency_parameter,
    is_email_parameter,
    read_arguments,
    requires_missing_address,
)
from parlay_ext.models.llama_cpp._passes import read_pass
from parlay_ext.models.llama_cpp._prompt import arguments_available, choose_tool
from parlay_ext.models.llama_cpp._sdk import LlamaGrammar


def send_email(
    to: Annotated[str, "the recipient's email address"],
    subject: str,
    cc: Annotated[str, "an email address to copy"] = "",
) -> str:
    """Send an email."""
    return to


def convert_currency(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert money from one currency to another."""
    return amount


def convert_length(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a length from one unit to another."""
    return value


def book_table(
    restaurant: str,
    people: int,
    outdoor: Annotated[bool, "true for a table outside"],
) -> str:
    """Book a table at a restaurant."""
    return restaurant


def switch_lights(room: str, on: Annotated[bool, "true to turn on, false to turn off"]) -> str:
    """Turn the lights in a room on or off."""
    return room


def order_pizza(
    size: Literal["small", "large"], extra_cheese: Annotated[bool, "true to add extra cheese"]
) -> str:
    """Order a pizza."""
    return size


def _tool(f: Callable[..., Any]) -> FunctionTool:
    return FunctionTool(f, description=(f.__doc__ or "").strip())


def _properties(tool: FunctionTool) -> dict[str, dict[str, object]]:
    return tool.schema.get("parameters", {}).get("properties", {})


EMAIL = _tool(send_email)
MONEY = _tool(convert_currency)
LENGTH = _tool(convert_length)
TABLE = _tool(book_table)
LIGHTS = _tool(switch_lights)
PIZZA = _tool(order_pizza)


def test_parameters_that_take_an_address_or_a_currency_are_recognised() -> None:
    properties = _properties(EMAIL)
    assert is_email_parameter("to", properties["to"])
    assert not is_email_parameter("subject", properties["subject"])
    assert is_email_parameter("email", {"type": "string"})
    money = _properties(MONEY)
    assert is_currency_parameter("from_currency", money["from_currency"])
    assert not is_currency_parameter("amount", money["amount"])


def test_addresses_and_currencies_are_found_in_the_request() -> None:
    assert email_addresses("Mail ann@example.com, then bob@example.org.") == [
        "ann@example.com",
        "bob@example.org",
    ]
    assert currency_mentions("Convert 100 USD to EUR.") == ["USD", "EUR"]
    # The amount's currency comes first, wherever it stands.
    assert currency_mentions("How many yen is 100 dollars?") == ["dollars", "yen"]
    assert currency_mentions("Convert $20 to euros") == ["USD", "euros"]
    assert currency_mentions("Tell me about the euro.") == ["euro"]


def test_an_address_replaces_the_word_the_model_copied() -> None:
    request = "Email carol@example.com: subject Report, body done."
    fixed, choices = read_arguments(EMAIL.schema, {"to": "Report", "subject": "Report"}, request)
    assert fixed["to"] == "carol@example.com" and fixed["subject"] == "Report"
    assert choices == []


def test_several_addresses_leave_the_choice_to_the_model() -> None:
    request = "Email ann@example.com and copy bob@example.com about lunch."
    fixed, choices = read_arguments(EMAIL.schema, {"to": "lunch", "cc": "lunch"}, request)
    assert choices == [
        Choice("to", ("ann@example.com", "bob@example.com"), "email"),
        Choice("cc", ("ann@example.com", "bob@example.com"), "email"),
    ]
    assert fixed == {"to": "lunch", "cc": "lunch"}  # nothing decided before the model's choice


def test_the_two_sides_of_a_conversion_get_two_currencies() -> None:
    copied_twice = {"amount": 19.99, "from_currency": "pounds", "to_currency": "pounds"}
    fixed, _ = read_arguments(
        MONEY.schema, copied_twice, "Convert 19.99 dollars to British pounds."
    )
    assert (fixed["from_currency"], fixed["to_currency"]) == ("dollars", "pounds")
    fixed, _ = read_arguments(MONEY.schema, {"amount": 50}, "How much is 50 euros in Japanese yen?")
    assert (fixed["from_currency"], fixed["to_currency"]) == ("euros", "yen")


def test_equal_from_and_to_text_values_send_the_target_back_to_the_model() -> None:
    same = {"value": 5, "from_unit": "miles", "to_unit": "miles"}
    fixed, choices = read_arguments(LENGTH.schema, same, "How far is 5 miles in kilometres?")
    assert fixed == same
    assert choices == [Choice("to_unit", ("far", "kilometres"), "side-unit")]
    different = {"value": 5, "from_unit": "miles", "to_unit": "kilometres"}
    assert read_arguments(LENGTH.schema, different, "5 miles in kilometres") == (different, [])


def subtract(a: Annotated[int, "the number to subtract from"], b: int) -> int:
    """Subtract one whole number from another."""
    return a - b


def test_the_requests_word_order_puts_two_units_on_their_sides() -> None:
    swapped = {"value": 5, "from_unit": "kilograms", "to_unit": "pounds"}
    # The unit after "into" (or "to", "in") is the target...
    fixed, _ = read_arguments(LENGTH.schema, swapped, "Turn 5 pounds into kilograms.")
    assert (fixed["from_unit"], fixed["to_unit"]) == ("pounds", "kilograms")
    # ...else the unit written right after the number is the source.
    asked = {"value": 100, "from_unit": "feet", "to_unit": "meters"}
    fixed, _ = read_arguments(LENGTH.schema, asked, "How many feet is 100 meters?")
    assert (fixed["from_unit"], fixed["to_unit"]) == ("meters", "feet")
    # A call that already agrees with the request is kept.
    right = {"value": 5, "from_unit": "kilometers", "to_unit": "miles"}
    assert read_arguments(LENGTH.schema, right, "Convert 5 kilometers to miles.")[0] == right


async def test_a_target_chosen_again_is_put_on_its_side() -> None:
    # The model gave both units the same value and, asked again for the target, chose the
    # source's word: the request's word order puts the two back on their sides.
    async def run(schema: ToolSchema, grammar: str) -> tuple[str, int, int]:
        assert '\\"pounds\\"' in grammar, "pounds is offered for the target"
        arguments = {"value": 5, "from_unit": "kilograms", "to_unit": "pounds"}
        call = {"name": schema["name"], "arguments": arguments}
        return f"<tool_call>{json.dumps(call)}</tool_call>", 10, 5

    same = {"value": 5, "from_unit": "kilograms", "to_unit": "kilograms"}
    call = FunctionCall(id="1", name="convert_length", arguments=json.dumps(same))
    calls, _, _ = await read_pass([LENGTH.schema], [call], "Turn 5 pounds into kilograms.", run)
    arguments = json.loads(calls[0].arguments)
    assert (arguments["from_unit"], arguments["to_unit"]) == ("pounds", "kilograms")


def test_a_number_goes_where_its_parameters_description_says() -> None:
    schema = _tool(subtract).schema
    # "the number to subtract from": the number after "from", whichever comes first.
    fixed, _ = read_arguments(schema, {"a": 15, "b": 40}, "Take 15 away from 40.")
    assert fixed == {"a": 40, "b": 15}
    fixed, _ = read_arguments(schema, {"a": 40, "b": 15}, "Subtract 15 from 40.")
    assert fixed == {"a": 40, "b": 15}
    # No "from" in the request: the model's order stands.
    fixed, _ = read_arguments(schema, {"a": 9, "b": 4}, "What is 9 minus 4?")
    assert fixed == {"a": 9, "b": 4}


def test_a_flag_takes_the_value_its_descriptions_words_give() -> None:
    table = TABLE.schema
    assert flag_from_words(table, "outdoor", "A table for 4, outside on the terrace.") is True
    # Not asked for: an opt-in flag stays off ("table" of book_table says nothing).
    assert flag_from_words(table, "outdoor", "Reserve a table at Sakura, inside please.") is False
    assert flag_from_words(LIGHTS.schema, "on", "Turn off the lights in the kitchen.") is False
    assert flag_from_words(LIGHTS.schema, "on", "Switch the bedroom lights on.") is True
    # Neither word: unknown, the model's value stays.
    assert flag_from_words(LIGHTS.schema, "on", "Do the lights in the hall.") is None
    assert flag_from_words(PIZZA.schema, "extra_cheese", "A large one with extra cheese.") is True
    assert flag_from_words(PIZZA.schema, "extra_cheese", "A small one, no extra cheese.") is False
    fixed, _ = read_arguments(table, {"outdoor": True}, "Sakura for 2, inside please.")
    assert fixed["outdoor"] is False


def test_a_flag_named_on_is_cleared_by_off_whatever_its_description() -> None:
    def toggle_fan(
        room: str, on: Annotated[bool, "true to start the fan, false to stop it"]
    ) -> str:
        """Start or stop the fan in a room."""
        return room

    fan = FunctionTool(toggle_fan, description="Start or stop the fan in a room.").schema
    assert flag_from_words(fan, "on", "Turn the fan in the office off.") is False
    assert flag_from_words(fan, "on", "Turn on the fan.") is True
    assert flag_from_words(fan, "on", "Start the fan in the bedroom.") is True


def test_a_tool_needing_an_address_is_not_called_without_one() -> None:
    schemas = [EMAIL.schema]
    assert requires_missing_address(EMAIL.schema, "How do I write a polite email?")
    assert not arguments_available(EMAIL.schema, "How do I write a polite email?")
    assert choose_tool(schemas, "How do I write a polite email?", None, "words") is None
    request = "Email dan@example.org that the build is green."
    assert choose_tool(schemas, request, None, "words") == "send_email"


def test_the_choice_grammar_fixes_every_other_argument() -> None:
    grammar = choice_grammar(
        "convert_length",
        {"value": 5, "from_unit": "miles", "to_unit": "miles"},
        ["value", "from_unit", "to_unit"],
        "to_unit",
        ["far", "kilometres"],
    )
    LlamaGrammar.from_string(grammar, verbose=False)  # llama.cpp accepts it
    assert '\\"value\\": 5, \\"from_unit\\": \\"miles\\", \\"to_unit\\": ' in grammar
    assert '("\\"far\\"" | "\\"kilometres\\"")' in grammar
    assert grammar.endswith('"}}</tool_call>"')


async def _call(request: str, tools: list[FunctionTool]) -> tuple[str, dict[str, object]] | None:
    model = LlamaCppChatCompletionClient(quiet=True, max_tokens=48, seed=1)
    try:
        result = await model.create([UserMessage(content=request, source="user")], tools=tools)
    finally:
        await model.close()
    if not isinstance(result.content, list):
        return None
    return result.content[0].name, json.loads(result.content[0].arguments)


@pytest.mark.slow
async def test_a_conversion_gets_both_currencies_from_the_model() -> None:
    call = await _call("Convert 19.99 dollars to British pounds.", [MONEY, EMAIL, LIGHTS])
    assert call is not None
    name, arguments = call
    assert name == "convert_currency"
    assert arguments["amount"] == 19.99
    assert (arguments["from_currency"], arguments["to_currency"]) == ("dollars", "pounds")


@pytest.mark.slow
async def test_a_table_inside_is_not_booked_outdoors() -> None:
    call = await _call("Reserve a table at Sakura for 2, inside please.", [TABLE, MONEY])
    assert call is not None
    assert call[0] == "book_table"
    assert call[1]["outdoor"] is False and call[1]["people"] == 2


@pytest.mark.slow
async def test_a_question_about_email_is_answered_in_text() -> None:
    assert await _call("How do I write a polite email?", [EMAIL, LIGHTS]) is None
