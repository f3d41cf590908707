"""The passes that correct a small embedded model's tool call after it was generated.

Both passes take the one call the model wrote and the request it acts on, and run further
short generations through ``run``: the prompt of the call itself with another grammar, so a
pass costs few new tokens (llama.cpp reuses the evaluated prompt).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from parlay_core import FunctionCall
from parlay_core.tools import ToolSchema
from parlay_ext.models.llama_cpp._arguments import choice_grammar, order_sides, read_arguments
from parlay_ext.models.llama_cpp._prompt import copy_grammar, parse_reply, uncopied_strings

__all__ = ["Run", "copy_pass", "read_pass"]

Run = Callable[[ToolSchema, str], Awaitable[tuple[str, int, int]]]
"""Generate the call of a tool again under a GBNF grammar: the reply, prompt and completion
tokens."""


def _one_call(
    schemas: Sequence[ToolSchema], calls: list[FunctionCall]
) -> tuple[ToolSchema, dict[str, Any]] | None:
    """The schema and arguments of the call when there is exactly one with object arguments."""
    if len(calls) != 1:
        return None
    schema = next((s for s in schemas if s["name"] == calls[0].name), None)
    try:
        arguments = json.loads(calls[0].arguments)
    except json.JSONDecodeError:
        return None
    if schema is None or not isinstance(arguments, dict):
        return None
    return schema, cast("dict[str, Any]", arguments)


async def copy_pass(
    schemas: Sequence[ToolSchema], calls: list[FunctionCall], request: str, run: Run
) -> tuple[list[FunctionCall], int, int]:
    """Generate a call again with its made-up text arguments limited to the request's words.

    Returns:
        The calls to keep (the first ones when nothing needed copying or the second pass did
        not parse) and the second pass's prompt and completion tokens.
    """
    found = _one_call(schemas, calls)
    if found is None:
        return calls, 0, 0
    schema, arguments = found
    names = uncopied_strings(schema, arguments, request)
    if not names:
        return calls, 0, 0
    # The prompt is the first pass's; only the grammar changes (listing every run of words in
    # the prompt would drown a small model).
    text, prompt_tokens, completion_tokens = await run(schema, copy_grammar(schema, names, request))
    copied, _ = parse_reply(text)
    return (copied or calls), prompt_tokens, completion_tokens


async def read_pass(
    schemas: Sequence[ToolSchema], calls: list[FunctionCall], request: str, run: Run
) -> tuple[list[FunctionCall], int, int]:
    """Correct a call from what the request holds of each parameter's kind.

    E-mail addresses, currencies and flags are read from the request (see
    :func:`read_arguments`); where several candidates remain for a parameter, the model
    chooses among them alone, in a short generation whose grammar fixes every other argument.
    A value chosen for one parameter is not offered to the next of its kind.

    Returns:
        The calls and the extra generations' prompt and completion tokens.
    """
    found = _one_call(schemas, calls)
    if found is None:
        return calls, 0, 0
    schema, arguments = found
    fixed, choices = read_arguments(schema, arguments, request)
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    order = [*properties, *(k for k in fixed if k not in properties)]
    taken: dict[str, set[str]] = {}
    prompt_tokens = completion_tokens = 0
    for choice in choices:
        used = taken.setdefault(choice.group, set())
        values = [v for v in choice.values if json.dumps(v) not in used]
        if len(values) > 1:
            grammar = choice_grammar(schema["name"], fixed, order, choice.name, values)
            text, more_prompt, more_completion = await run(schema, grammar)
            prompt_tokens += more_prompt
            completion_tokens += more_completion
            chosen, _ = parse_reply(text)
            picked = json.loads(chosen[0].arguments).get(choice.name) if chosen else None
            fixed[choice.name] = picked if picked in values else values[0]
        elif values:
            fixed[choice.name] = values[0]
        used.add(json.dumps(fixed.get(choice.name)))
    if choices:
        # A target the model chose again may stand where the source belongs.
        order_sides(schema, fixed, request)
    if fixed == arguments:
        return calls, prompt_tokens, completion_tokens
    ordered = {k: fixed[k] for k in order if k in fixed}
    call = FunctionCall(id=calls[0].id, name=calls[0].name, arguments=json.dumps(ordered))
    return [call], prompt_tokens, completion_tokens
