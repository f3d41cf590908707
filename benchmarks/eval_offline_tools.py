"""How well the embedded offline model uses tools with ``tool_choice="auto"``.

Runs a fixed set of tool tasks on ``LlamaCppChatCompletionClient`` (the bundled SmolLM2 unless
``--model PATH``), fully offline, and prints:

- for each decision strategy (``model``, ``words``, ``both``): the share of tasks where the
  decision is right (the expected tool when one clearly applies, no call when none does);
- end to end with the client's default strategy: the share of tool tasks answered with the
  right tool *and* right arguments, and the share of no-tool tasks answered without a call.

It prints figures only; nothing asserts them. The model is slow on a busy CPU (seconds per
call), so a full run takes minutes; ``--quick`` runs the first few tasks only.

Run with ``python benchmarks/eval_offline_tools.py`` in an environment with ``parlay-ext[local]``.
Not part of ``run_all.py``: it measures model quality, not Parlay's overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parlay_core.models import SystemMessage, UserMessage
from parlay_core.tools import FunctionTool
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


def send_email(to: str, subject: str, body: str) -> str:
    """Send an email to a person with a subject and a body."""
    return f"sent to {to}"


def convert_currency(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert an amount of money from one currency to another."""
    return amount


def set_timer(minutes: int) -> str:
    """Set a timer for a number of minutes."""
    return f"timer set for {minutes} minutes"


def search_wikipedia(query: str) -> str:
    """Search Wikipedia for an article about a topic."""
    return f"article about {query}"


TOOLS = [
    FunctionTool(f, description=(f.__doc__ or "").strip())
    for f in (get_weather, add, send_email, convert_currency, set_timer, search_wikipedia)
]

Check = Callable[[dict[str, Any]], bool]


def _has(key: str, word: str) -> Check:
    return lambda args: word in str(args.get(key, "")).lower()


def _numbers(**expected: float) -> Check:
    return lambda args: all(_num(args.get(k)) == v for k, v in expected.items())


def _add(x: int, y: int) -> Check:
    return lambda args: {_num(args.get("a")), _num(args.get("b"))} == {x, y}


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _all(*checks: Check) -> Check:
    return lambda args: all(c(args) for c in checks)


@dataclass(frozen=True)
class Task:
    """A request, the tool expected (``None``: no call) and a check of the arguments."""

    request: str
    tool: str | None
    check: Check | None = None


TASKS = [
    Task("What is the weather in Paris?", "get_weather", _has("city", "paris")),
    Task("Add 3 and 4.", "add", _add(3, 4)),
    Task("Tell me a joke.", None),
    Task(
        "Send an email to bob@example.com with subject Lunch saying see you at noon.",
        "send_email",
        _has("to", "bob"),
    ),
    Task("Convert 100 USD to EUR.", "convert_currency", _numbers(amount=100)),
    Task("Who wrote Hamlet?", None),
    Task("Set a timer for 10 minutes.", "set_timer", _numbers(minutes=10)),
    Task("Search Wikipedia for the Eiffel Tower.", "search_wikipedia", _has("query", "eiffel")),
    Task("Hello, how are you today?", None),
    Task("How is the weather in Tokyo right now?", "get_weather", _has("city", "tokyo")),
    Task("What is 12 plus 30? Use the add tool.", "add", _add(12, 30)),
    Task("Write a short poem about the sea.", None),
    Task("Please email alice@example.com about the meeting.", "send_email", _has("to", "alice")),
    Task(
        "How much is 50 euros in Japanese yen? Convert the currency.",
        "convert_currency",
        _numbers(amount=50),
    ),
    Task("Thank you, that was helpful.", None),
    Task("Start a timer of 5 minutes for my tea.", "set_timer", _numbers(minutes=5)),
    Task("Look up Marie Curie on Wikipedia.", "search_wikipedia", _has("query", "curie")),
    Task("What is your name?", None),
    Task("Weather forecast for Berlin, please.", "get_weather", _has("city", "berlin")),
    Task("Add the numbers 7 and 8.", "add", _add(7, 8)),
    Task("Translate 'good morning' into French.", None),
    Task("Can you explain what a noun is?", None),
    Task(
        "Email carol@example.com: subject Report, body The report is done.",
        "send_email",
        _all(_has("to", "carol"), _has("subject", "report")),
    ),
    Task("Set a 30 minute timer.", "set_timer", _numbers(minutes=30)),
    # Paraphrases that share no word with the tool's name, description or parameters.
    Task("Is it raining in Oslo?", "get_weather", _has("city", "oslo")),
    Task("What's 9 plus 6?", "add", _add(9, 6)),
    Task(
        "Find the encyclopedia article on Napoleon.", "search_wikipedia", _has("query", "napoleon")
    ),
    Task("What is the capital of Italy?", None),
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a GGUF chat model (default: the bundled SmolLM2)")
    parser.add_argument("--quick", action="store_true", help="the first six tasks only")
    parser.add_argument("--decisions-only", action="store_true", help="skip the end-to-end pass")
    options = parser.parse_args()
    tasks = TASKS[:6] if options.quick else TASKS
    schemas = [t.schema for t in TOOLS]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(tasks)} tasks, {len(TOOLS)} tools; load average {load:.1f}", flush=True)

    # Decision pass: each strategy's choice per task (the clients share one loaded model).
    deciders = {
        strategy: LlamaCppChatCompletionClient(
            options.model, quiet=True, tool_decision=strategy, max_tokens=64, seed=1
        )
        for strategy in ("model", "words", "both")
    }
    right = dict.fromkeys(deciders, 0)
    started = time.monotonic()
    for task in tasks:
        picks: dict[str, str | None] = {}
        for strategy, decider in deciders.items():
            picks[strategy] = await decider._decide(  # pyright: ignore[reportPrivateUsage]
                [UserMessage(content=task.request, source="user")], schemas, None
            )
            right[strategy] += picks[strategy] == task.tool
        print(f"  decide {task.request[:48]!r:52} want {task.tool} got {picks}", flush=True)
    seconds = (time.monotonic() - started) / len(tasks)
    for strategy, count in right.items():
        print(f"decision {strategy:6} {count}/{len(tasks)} = {count / len(tasks):.0%}")
    print(f"({seconds:.1f} s per task for the three strategies)", flush=True)

    if not options.decisions_only:
        # End to end with the default strategy; shares the loaded model with the deciders.
        client = LlamaCppChatCompletionClient(options.model, quiet=True, max_tokens=48, seed=1)
        tool_right = tool_total = text_right = text_total = 0
        started = time.monotonic()
        for task in tasks:
            result = await client.create(
                [
                    SystemMessage(content="You are a helpful assistant."),
                    UserMessage(content=task.request, source="user"),
                ],
                tools=TOOLS,
            )
            calls = result.content if isinstance(result.content, list) else []
            if task.tool is None:
                text_total += 1
                text_right += not calls
                verdict = "ok" if not calls else f"called {calls[0].name}"
            else:
                tool_total += 1
                ok = False
                if calls and calls[0].name == task.tool:
                    args = json.loads(calls[0].arguments)
                    ok = task.check is None or task.check(args)
                    verdict = f"{calls[0].name}({calls[0].arguments})"
                else:
                    verdict = "no call" if not calls else f"called {calls[0].name}"
                tool_right += ok
            print(f"  e2e {task.request[:48]!r:52} {verdict}", flush=True)
        seconds = (time.monotonic() - started) / len(tasks)
        print(
            f"end to end: right tool and arguments {tool_right}/{tool_total} "
            f"= {tool_right / max(tool_total, 1):.0%}; no call when none applies "
            f"{text_right}/{text_total} = {text_right / max(text_total, 1):.0%} "
            f"({seconds:.1f} s per task)"
        )
        await client.close()
    for decider in deciders.values():
        await decider.close()


if __name__ == "__main__":
    asyncio.run(main())
