"""The web surfer's prompts: the page as the model sees it before choosing an action."""

from __future__ import annotations

__all__ = ["QUESTION_SYSTEM_MESSAGE", "action_prompt", "question_prompt"]

QUESTION_SYSTEM_MESSAGE = (
    "You read web pages for a colleague and answer from their text alone, briefly and exactly."
)


def action_prompt(
    *,
    state: str,
    visible_targets: str,
    other_targets: str,
    focus: str,
    tool_names: str,
    title: str,
    url: str,
    with_screenshot: bool,
) -> str:
    """The message that shows the model the page and asks it for one action or an answer."""
    if with_screenshot:
        targets_intro = (
            "The screenshot below marks each interactive element with a coloured box and a "
            "numeric id in the same colour. The marked elements are:"
        )
    else:
        targets_intro = "The interactive elements in view, each with a numeric id, are:"
    parts = [
        state.strip(),
        targets_intro,
        visible_targets.strip() or "(none)",
    ]
    if other_targets:
        parts.append(
            "Elements outside the viewport (scroll to reach them) include:\n" + other_targets
        )
    if focus:
        parts.append(focus)
    parts.append(
        "Answer my next request directly if you can; otherwise choose exactly one of these "
        f"tools:\n{tool_names}\n\n"
        "Prefer acting on what is in view (click, type, hover), then on the rest of this page "
        f"[{title}]({url}) (scroll, answer a question about it, summarize it), and only then "
        "go to another site (visit a URL or search the web).\n\nMy request follows."
    )
    return "\n\n".join(parts)


def question_prompt(title: str, question: str | None) -> str:
    """The start of the message that asks for an answer or a summary from a page's text."""
    task = (
        f"answer this question in one or two paragraphs: {question!r}"
        if question
        else "summarize it in one or two paragraphs"
    )
    return (
        f"Below is the text of the web page '{title}' (and a screenshot of it). Please {task}.\n\n"
    )
