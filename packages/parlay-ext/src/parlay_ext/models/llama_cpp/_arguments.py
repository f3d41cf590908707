"""Argument values read from the request by kind, for the calls of a small embedded model.

A model of a few hundred million parameters picks the right tool far more often than it fills
in the right values: it copies the word after "to" where an e-mail address was asked for, one
currency for both sides of a conversion, ``true`` for a flag the request turns down. Some
parameters say what kind of value they take (an e-mail address, a currency), and the request
holds a few values of that kind; some are flags whose description says which words set them.
These are read from the request here. Where the request holds several candidates and the
reading cannot tell which one a parameter takes, the client asks the model to choose among
those candidates alone (:func:`choice_grammar`), one parameter at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from parlay_core.tools import ToolSchema

__all__ = [
    "Choice",
    "choice_grammar",
    "currency_mentions",
    "email_addresses",
    "flag_from_words",
    "is_currency_parameter",
    "is_email_parameter",
    "is_place_parameter",
    "missing_value_kind",
    "names_a_place",
    "order_sides",
    "read_arguments",
    "requires_missing_address",
]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MAIL_WORD = re.compile(r"\be-?mail", re.IGNORECASE)
# Currency words and signs as people write them; a three-letter capital code ("USD") counts
# too. Singular and plural forms: the stem is enough ("euro" in "euros"). Names that are also
# common words ("won", "real") are left out.
_CURRENCY_WORDS = (
    "dollar",
    "euro",
    "yen",
    "pound",
    "sterling",
    "franc",
    "yuan",
    "renminbi",
    "rupee",
    "peso",
    "krona",
    "krone",
    "kronor",
    "kroner",
    "ruble",
    "rouble",
    "lira",
    "zloty",
    "forint",
    "baht",
    "shekel",
    "dirham",
    "ringgit",
    "rupiah",
)
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CODE = re.compile(r"^[A-Z]{3}$")
_NUMBER = re.compile(r"^[$€£¥]?\d[\d,]*(?:\.\d+)?$")
_TOKEN = re.compile(r"[$€£¥]?[\w'.@+-]+")
_SOURCE = re.compile(r"(?:^|_)(?:from|source|src|base|input)(?:_|$)")
_TARGET = re.compile(r"(?:^|_)(?:to|target|dest|destination|into|quote|output)(?:_|$)")
_NEGATIONS = frozenset(["no", "not", "without", "don't", "dont", "never", "nor", "none"])
# Words that are never the value of a text parameter on their own.
_PREPOSITIONS = frozenset(
    [
        *("in", "into", "on", "at", "by", "from", "as", "per", "please", "i", "me", "my", "you"),
        *("how", "what", "which", "many", "much", "can", "could", "would", "will", "do", "does"),
    ]
)
# Words that say nothing about which value a flag takes.
_FUNCTION_WORDS = frozenset(
    [
        "to",
        "for",
        "a",
        "an",
        "the",
        "it",
        "its",
        "is",
        "be",
        "of",
        "and",
        "or",
        "if",
        "this",
        "that",
        "when",
        "with",
        "set",
        "true",
        "false",
        "yes",
        "value",
        "whether",
        "should",
    ]
)


def _properties(schema: ToolSchema) -> dict[str, dict[str, Any]]:
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    return {k: cast("dict[str, Any]", v) for k, v in properties.items() if isinstance(v, dict)}


def _required(schema: ToolSchema) -> list[str]:
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    return list(cast("list[str]", parameters.get("required", []) or []))


def _free_text(spec: dict[str, Any]) -> bool:
    return spec.get("type") == "string" and "enum" not in spec


def is_email_parameter(name: str, spec: dict[str, Any]) -> bool:
    """Whether a parameter takes an e-mail address: free text whose name or description says so.

    ``to`` described as "the recipient's email address" does; ``subject`` of an e-mail tool
    does not (its description does not name an address).
    """
    if not _free_text(spec):
        return False
    description = str(spec.get("description", ""))
    lowered = name.lower()
    if lowered in ("email", "e_mail", "email_address", "mail", "recipient_email"):
        return True
    named = _MAIL_WORD.search(description) or _MAIL_WORD.search(lowered)
    return named is not None and "address" in (description.lower() + " " + lowered)


def is_currency_parameter(name: str, spec: dict[str, Any]) -> bool:
    """Whether a parameter takes a currency: free text whose name or description says so."""
    text = f"{name} {spec.get('description', '')}".lower()
    return _free_text(spec) and "currenc" in text


_PLACE_NAME = re.compile(r"(?:^|_)(?:city|town|location|place|country|region)(?:_|$)")
_PLACE_WORD = re.compile(r"\b(?:city|town|location|place|country|region)\b")
# A place follows "in", "at" or "near" ("weather in oslo"), unless an article or a pronoun does.
_PLACE_AFTER = re.compile(
    r"\b(?:in|at|near)\s+(?!(?:the|a|an|my|your|our|this|that|it|there|here|general)\b)[a-z]{3,}",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"[^.!?]+")


def is_place_parameter(name: str, spec: dict[str, Any]) -> bool:
    """Whether a parameter takes a place: free text named or described as a city, a location..."""
    if not _free_text(spec):
        return False
    return bool(
        _PLACE_NAME.search(name.lower())
        or _PLACE_WORD.search(str(spec.get("description", "")).lower())
    )


def names_a_place(request: str) -> bool:
    """Whether ``request`` could name a place: a capitalised word inside a sentence ("Oslo"),
    or a word after "in", "at" or "near".

    A question about weather in general ("what is the difference between weather and
    climate?") names none: a weather tool has no city to look up.
    """
    if _PLACE_AFTER.search(request):
        return True
    for sentence in _SENTENCES.findall(request):
        words = sentence.split()
        if any(w[:1].isupper() and w != "I" and not w.startswith("I'") for w in words[1:]):
            return True
    return False


def missing_value_kind(schema: ToolSchema, request: str) -> str | None:
    """The kind of value a required parameter takes that ``request`` does not hold, or ``None``.

    Kinds read here: an e-mail address, a currency ("convert 5 kilometers to miles" names no
    currency, so a currency converter cannot be what it asks for) and a place.
    """
    properties = _properties(schema)
    for name in _required(schema):
        spec = properties.get(name, {})
        if is_email_parameter(name, spec) and not email_addresses(request):
            return "an e-mail address"
        if is_currency_parameter(name, spec) and not currency_mentions(request):
            return "a currency"
        if is_place_parameter(name, spec) and not names_a_place(request):
            return "a place"
    return None


def email_addresses(request: str) -> list[str]:
    """The e-mail addresses in ``request``, in order, each once."""
    found: list[str] = []
    for match in _EMAIL.finditer(request):
        address = match.group().rstrip(".")
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class _Mention:
    value: str
    after_number: bool  # written right after an amount ("100 USD", "$20"): the source side


def _currency(token: str) -> str | None:
    if _CODE.match(token):
        return token
    word = token.lower()
    for stem in _CURRENCY_WORDS:
        if word == stem or (len(stem) > 3 and word.startswith(stem) and len(word) <= len(stem) + 2):
            return token
    return None


def _mentions(request: str) -> list[_Mention]:
    tokens = [t.strip(".,;:!?\"'()") for t in _TOKEN.findall(request)]
    mentions: list[_Mention] = []
    for i, token in enumerate(tokens):
        if token[:1] in _CURRENCY_SIGNS and _NUMBER.match(token):
            mentions.append(_Mention(_CURRENCY_SIGNS[token[0]], after_number=True))
            continue
        value = _currency(token)
        if value is not None:
            after = i > 0 and _NUMBER.match(tokens[i - 1]) is not None
            mentions.append(_Mention(value, after_number=after))
    unique: list[_Mention] = []
    for mention in mentions:
        if all(m.value.lower() != mention.value.lower() for m in unique):
            unique.append(mention)
    return unique


def currency_mentions(request: str) -> list[str]:
    """The currencies ``request`` names, the one written after an amount first.

    "How many yen is 100 dollars?" gives ``["dollars", "yen"]``: the amount's currency is the
    one converted from, whatever the order of the words.
    """
    mentions = _mentions(request)
    ordered = [m for m in mentions if m.after_number] + [m for m in mentions if not m.after_number]
    return [m.value for m in ordered]


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z']+", text.lower()) if w not in _FUNCTION_WORDS]


def _related(a: str, b: str) -> bool:
    # The same word, or a shared stem of five letters ("outside"/"outsides"); short words
    # ("on", "off") must match exactly.
    return a == b or (min(len(a), len(b)) >= 5 and a[:5] == b[:5])


def _clause(description: str, word: str) -> str | None:
    """The words after ``true``/``false`` in a description, up to the other one or a stop."""
    match = re.search(rf"\b{word}\b(.*?)(?:[,;.]|\b(?:true|false)\b|$)", description)
    return match.group(1) if match else None


def flag_from_words(schema: ToolSchema, name: str, request: str) -> bool | None:
    """A boolean parameter's value as its description's words in ``request`` say, or ``None``.

    The description says which words set the flag ("true to turn on, false to turn off":
    "on" sets it, "off" clears it; "true for a table outside": "outside" sets it). A word
    negated just before ("no extra cheese") counts for the other side. Words the tool's name
    holds ("table" of ``book_table``) say nothing about the flag. When the request holds the
    words of neither side: a flag whose description names only what sets it is left at its
    default (``False`` when it has none: it was not asked for); otherwise ``None`` (unknown).
    """
    spec = _properties(schema).get(name, {})
    description = str(spec.get("description", "")).lower()
    tool_words = set(_content_words(schema["name"].replace("_", " ")))
    true_clause = _clause(description, "true")
    false_clause = _clause(description, "false")
    true_words = set(_content_words(true_clause if true_clause else name.replace("_", " ")))
    false_words = set(_content_words(false_clause or ""))
    if name.lower() == "on":
        # A flag named "on" is set by its own name and cleared by its opposite, whatever its
        # description says ("true to start the fan": "turn the fan off" stops it).
        true_words.add("on")
        false_words.add("off")
    shared = true_words & false_words
    true_words -= shared | tool_words
    false_words -= shared | tool_words
    asked = re.findall(r"[a-z']+", request.lower())
    sets = clears = 0
    for i, word in enumerate(asked):
        negated = any(w in _NEGATIONS for w in asked[max(0, i - 2) : i])
        if any(_related(word, t) for t in true_words):
            clears += negated
            sets += not negated
        elif any(_related(word, f) for f in false_words):
            sets += negated
            clears += not negated
    if sets and not clears:
        return True
    if clears and not sets:
        return False
    if sets or clears or false_clause or not true_words:
        return None
    default = spec.get("default", False)
    return default if isinstance(default, bool) else False


@dataclass(frozen=True)
class Choice:
    """A parameter whose value the model must choose among ``values`` (JSON values).

    ``group`` names parameters of one kind: a value chosen for one is not offered to the next.
    """

    name: str
    values: tuple[Any, ...]
    group: str


def _side(name: str) -> int:
    """0 for a source parameter (``from_currency``), 1 for a target (``to_currency``), else 2."""
    lowered = name.lower()
    if _SOURCE.search(lowered):
        return 0
    if _TARGET.search(lowered):
        return 1
    return 2


def read_arguments(
    schema: ToolSchema, arguments: dict[str, Any], request: str
) -> tuple[dict[str, Any], list[Choice]]:
    """Correct a call's arguments from what ``request`` holds of each parameter's kind.

    - An e-mail parameter takes an address of the request: the model's value when it is one,
      else the only one left; with several left, the model chooses (a :class:`Choice`).
    - Currency parameters take the currencies the request names, distinct ones: a source
      (``from_...``) the amount's currency, a target (``to_...``) another one.
    - A source and a target text parameter (``from_unit``, ``to_unit``) given two of the
      request's words the wrong way round are swapped: the word after "to", "into" or "in"
      is the target, else the word right after the number is the source ("turn 5 pounds
      into kilograms", "how many feet is 100 meters").
    - A number whose parameter's description ends with a preposition ("the number to
      subtract from") is the one the request writes after that preposition ("take 15 away
      from 40"): two numbers the model swapped are swapped back.
    - A boolean takes the value its description's words in the request give
      (:func:`flag_from_words`), when they give one.

    Returns:
        The corrected arguments and the choices left to the model, in parameter order.
    """
    fixed = dict(arguments)
    choices: list[Choice] = []
    properties = _properties(schema)
    addresses = email_addresses(request)
    email_names = [n for n, s in properties.items() if is_email_parameter(n, s)]
    if addresses and email_names:
        left = list(addresses)
        pending: list[str] = []
        for name in email_names:
            value = fixed.get(name)
            if isinstance(value, str) and value in left:
                left.remove(value)
            elif name in fixed or name in _required(schema):
                pending.append(name)
        for name in pending:
            if len(left) == 1 and len(pending) == 1:
                fixed[name] = left[0]
            elif left:
                choices.append(Choice(name, tuple(left), "email"))
    currencies = currency_mentions(request)
    currency_names = sorted(
        (n for n, s in properties.items() if is_currency_parameter(n, s)), key=_side
    )
    if currencies and currency_names:
        if len(currencies) >= len(currency_names):
            # The amount's currency first, the sides in order: source, target, others.
            for name, value in zip(currency_names, currencies, strict=False):
                fixed[name] = value
        else:
            values = [fixed.get(n) for n in currency_names]
            if len(set(map(str, values))) < len(values) or any(v not in currencies for v in values):
                fixed[currency_names[0]] = currencies[0]
    order_sides(schema, fixed, request)
    choices += _distinct_sides(schema, fixed, request, {*email_names, *currency_names})
    _order_numbers(schema, fixed, request)
    for name, spec in properties.items():
        if spec.get("type") == "boolean":
            flag = flag_from_words(schema, name, request)
            if flag is not None:
                fixed[name] = flag
    return fixed, choices


_TARGET_MARKERS = frozenset(["to", "into", "in"])
_DESCRIPTION_PREPOSITION = re.compile(r"\b(from|by|into|to|of|than)\W*$")


def _word_positions(request: str) -> list[str]:
    return [t.strip(".,;:!?\"'()").lower() for t in request.split()]


def _find(words: Sequence[str], value: str) -> int | None:
    """Where the request holds the one-word ``value`` (by its stem: "kilogram"/"kilograms")."""
    lowered = value.strip().lower()
    if not lowered or " " in lowered:
        return None
    for i, word in enumerate(words):
        if word == lowered or (min(len(word), len(lowered)) >= 4 and word[:4] == lowered[:4]):
            return i
    return None


def order_sides(schema: ToolSchema, fixed: dict[str, Any], request: str) -> None:
    """Swap a source and a target text parameter that the request's word order contradicts.

    A small model often copies a conversion's two units in the order it read them, whatever
    their roles; the request's word order says which is which: the word after "to", "into"
    or "in" is the target, else the word right after the number is the source. Currencies
    and addresses are read by their own rules. Changes ``fixed`` in place.
    """
    pairs: dict[str, dict[int, str]] = {}
    for name, spec in _properties(schema).items():
        side = _side(name)
        own_rules = is_email_parameter(name, spec) or is_currency_parameter(name, spec)
        if _free_text(spec) and not own_rules and side < 2:
            thing = _TARGET.sub("_", _SOURCE.sub("_", name.lower())).strip("_")
            pairs.setdefault(thing, {})[side] = name
    words = _word_positions(request)
    for pair in pairs.values():
        if len(pair) != 2:
            continue
        source, target = fixed.get(pair[0]), fixed.get(pair[1])
        if not (isinstance(source, str) and isinstance(target, str)):
            continue
        at_source, at_target = _find(words, source), _find(words, target)
        if at_source is None or at_target is None or at_source == at_target:
            continue

        def marked(i: int) -> bool:
            return i > 0 and words[i - 1] in _TARGET_MARKERS

        def after_number(i: int) -> bool:
            return i > 0 and _NUMBER.match(words[i - 1]) is not None

        if marked(at_source) and not marked(at_target):
            swap = True
        elif marked(at_target) and not marked(at_source):
            swap = False
        else:
            swap = after_number(at_target) and not after_number(at_source)
        if swap:
            fixed[pair[0]], fixed[pair[1]] = target, source


def _order_numbers(schema: ToolSchema, fixed: dict[str, Any], request: str) -> None:
    """Swap two numbers back when a parameter's description names the word before its number.

    ``subtract(a: "the number to subtract from", b)`` for "take 15 away from 40": ``a`` is
    the number after "from", whichever number the request writes first.
    """
    properties = _properties(schema)
    numeric = [n for n, s in properties.items() if s.get("type") in ("integer", "number")]
    words = _word_positions(request)
    for name in numeric:
        match = _DESCRIPTION_PREPOSITION.search(str(properties[name].get("description", "")))
        if match is None:
            continue
        marker = match.group(1).lower()
        wanted = next(
            (
                words[i + 1]
                for i in range(len(words) - 1)
                if words[i] == marker and _NUMBER.match(words[i + 1])
            ),
            None,
        )
        if wanted is None:
            continue
        value = float(wanted.lstrip("$€£¥").replace(",", ""))
        if _as_number(fixed.get(name)) == value:
            continue
        other = next((n for n in numeric if n != name and _as_number(fixed.get(n)) == value), None)
        if other is not None:
            fixed[name], fixed[other] = fixed[other], fixed[name]


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _distinct_sides(
    schema: ToolSchema, fixed: dict[str, Any], request: str, handled: set[str]
) -> list[Choice]:
    """Choices for a target text parameter given the same value as its source.

    ``from_unit`` and ``to_unit`` both "miles" cannot be what a conversion asks for: the
    target is chosen again among the request's other words.
    """
    pairs: dict[str, dict[int, str]] = {}
    for name, spec in _properties(schema).items():
        side = _side(name)
        if _free_text(spec) and name not in handled and side < 2:
            thing = _TARGET.sub("_", _SOURCE.sub("_", name.lower())).strip("_")
            pairs.setdefault(thing, {})[side] = name
    tool_words = set(_content_words(schema["name"].replace("_", " ")))
    choices: list[Choice] = []
    for thing, pair in pairs.items():
        if len(pair) != 2:
            continue
        source, target = fixed.get(pair[0]), fixed.get(pair[1])
        if not (isinstance(source, str) and isinstance(target, str)):
            continue
        if source.strip().lower() != target.strip().lower():
            continue
        taken = {w.lower() for w in source.split()} | tool_words
        words: list[str] = []
        for token in request.split():
            word = token.strip(".,;:!?\"'()")
            lowered = word.lower()
            if (
                word.isalpha()
                and lowered not in _FUNCTION_WORDS
                and lowered not in _PREPOSITIONS
                and lowered not in taken
                and word not in words
            ):
                words.append(word)
        if words:
            choices.append(Choice(pair[1], tuple(words), f"side-{thing}"))
    return choices


def requires_missing_address(schema: ToolSchema, request: str) -> bool:
    """Whether the tool needs an e-mail address and ``request`` holds none.

    "How do I write a polite email?" shares a word with an e-mail tool but gives it no one to
    write to: a call could only invent the address.
    """
    properties = _properties(schema)
    needs = any(is_email_parameter(n, properties.get(n, {})) for n in _required(schema))
    return needs and not email_addresses(request)


def choice_grammar(
    tool: str, arguments: dict[str, Any], order: Sequence[str], name: str, values: Sequence[Any]
) -> str:
    """A GBNF grammar for the call with every argument fixed but ``name``, one of ``values``.

    The call is written out in ``order`` (the schema's parameter order), so the model reads the
    arguments it has already given and picks the open one among the candidates alone.
    """
    head = f'<tool_call>{{"name": {json.dumps(tool)}, "arguments": {{'
    before: list[str] = []
    after: list[str] = []
    seen = False
    for key in order:
        if key == name:
            seen = True
            continue
        if key in arguments:
            part = f"{json.dumps(key)}: {json.dumps(arguments[key])}"
            (after if seen else before).append(part)
    prefix = head + "".join(p + ", " for p in before) + f"{json.dumps(name)}: "
    suffix = "".join(", " + p for p in after) + "}}</tool_call>"
    options = " | ".join(json.dumps(json.dumps(v)) for v in values)
    return f"root ::= {json.dumps(prefix)} ({options}) {json.dumps(suffix)}"
