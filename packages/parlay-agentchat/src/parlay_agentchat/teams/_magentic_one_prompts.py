"""The prompts of the Magentic-One orchestrator.

Each is a ``str.format`` template. The progress ledger's JSON keys are AutoGen's, so a model
prompted for AutoGen's orchestrator answers this one the same way.
"""

from __future__ import annotations

__all__ = [
    "FACTS_PROMPT",
    "FACTS_UPDATE_PROMPT",
    "FINAL_ANSWER_PROMPT",
    "PLAN_PROMPT",
    "PLAN_UPDATE_PROMPT",
    "PROGRESS_LEDGER_PROMPT",
    "TASK_LEDGER_PROMPT",
]

FACTS_PROMPT = """Here is a request to work on:

{task}

Before planning, write down what is known and what is not. Answer under these four headings:

1. GIVEN OR VERIFIED FACTS: facts stated in the request itself.
2. FACTS TO LOOK UP: facts the request needs that must be found, and where they may be found.
3. FACTS TO DERIVE: facts to work out by reasoning or computation.
4. EDUCATED GUESSES: what you recall or suspect, with your reasons.

Write only these four sections; do not plan yet."""

PLAN_PROMPT = """These team members are available to you:

{team}

Write a short plan, as a bullet list, for answering the request with this team. A plan need
not use every member; say which member does each step."""

TASK_LEDGER_PROMPT = """We are working on this request:

{task}

This team works on it:

{team}

What we know so far:

{facts}

The plan to follow:

{plan}"""

PROGRESS_LEDGER_PROMPT = """Recall the request:

{task}

and the team:

{team}

Answer the following questions to track our progress and decide who acts next:

- Is the request fully satisfied? (True if it was answered completely; False if the work is
  not done yet.)
- Are we in a loop, repeating the same requests or answers over several turns?
- Is progress being made? (True if recent turns added value; False if we are stuck, for
  example on repeated errors.)
- Who should speak next? (Pick one of: {names})
- What instruction or question do you give that member? (Address them directly, with what
  they need to know.)

Reply only with JSON in exactly this shape, with no text before or after it:

{{
    "is_request_satisfied": {{"reason": string, "answer": boolean}},
    "is_in_loop": {{"reason": string, "answer": boolean}},
    "is_progress_being_made": {{"reason": string, "answer": boolean}},
    "next_speaker": {{"reason": string, "answer": string (one of: {names})}},
    "instruction_or_question": {{"reason": string, "answer": string}}
}}"""

FACTS_UPDATE_PROMPT = """We are stuck on this request:

{task}

This was our fact sheet:

{facts}

Rewrite the fact sheet with what we learned since: move facts that were looked up or derived
to GIVEN OR VERIFIED FACTS, and add at least one new educated guess that could get us unstuck.
Keep the four headings."""

PLAN_UPDATE_PROMPT = """Briefly say why we are stuck, then write a new plan, as a bullet list,
that avoids the same problem. The team is:

{team}

Say which member does each step."""

FINAL_ANSWER_PROMPT = """We have finished working on this request:

{task}

From what the team found in the conversation above, write the final answer to the request
for the person who asked it. If the request asks for a specific format, follow it."""
