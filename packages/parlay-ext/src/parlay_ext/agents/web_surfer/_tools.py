"""The browser actions the model may choose from, as tool schemas.

The names and parameters are AutoGen's (a model prompted for AutoGen's web surfer calls the
same tools here); ``select_option`` is Parlay's addition, for ``<select>`` lists. Every action
takes a ``reasoning`` string first: asking the model to say why it acts improves its choice,
and the agent shows the reasoning to the team.
"""

from __future__ import annotations

from typing import Any

from parlay_core.tools import ParametersSchema, ToolSchema

__all__ = [
    "TOOL_ANSWER_QUESTION",
    "TOOL_CLICK",
    "TOOL_HISTORY_BACK",
    "TOOL_HOVER",
    "TOOL_INPUT_TEXT",
    "TOOL_SCROLL_DOWN",
    "TOOL_SCROLL_ELEMENT_DOWN",
    "TOOL_SCROLL_ELEMENT_UP",
    "TOOL_SCROLL_UP",
    "TOOL_SELECT_OPTION",
    "TOOL_SLEEP",
    "TOOL_SUMMARIZE_PAGE",
    "TOOL_VISIT_URL",
    "TOOL_WEB_SEARCH",
]

_REASONING: dict[str, Any] = {
    "type": "string",
    "description": "Why this action, in one sentence (do not address the user).",
}


def _tool(name: str, description: str, **parameters: dict[str, Any]) -> ToolSchema:
    properties = {"reasoning": _REASONING, **parameters}
    return ToolSchema(
        name=name,
        description=description,
        parameters=ParametersSchema(
            type="object", properties=properties, required=list(properties)
        ),
    )


def _integer(description: str) -> dict[str, Any]:
    return {"type": "integer", "description": description}


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


TOOL_VISIT_URL = _tool(
    "visit_url",
    "Open a URL in the browser, as if typed into the address bar. Use it whenever you know the "
    "full address, rather than searching or clicking your way there.",
    url=_string("The address to open."),
)
TOOL_WEB_SEARCH = _tool(
    "web_search",
    "Search the web for a query and open the page of results.",
    query=_string("What to search for."),
)
TOOL_HISTORY_BACK = _tool(
    "history_back", "Go back to the previous page, like the browser's back button."
)
TOOL_SCROLL_UP = _tool("scroll_up", "Scroll the page up by one screen.")
TOOL_SCROLL_DOWN = _tool("scroll_down", "Scroll the page down by one screen.")
TOOL_CLICK = _tool(
    "click",
    "Click the element with the given numeric id.",
    target_id=_integer("The id of the element to click."),
)
TOOL_INPUT_TEXT = _tool(
    "input_text",
    "Type text into the input field with the given id, replacing what it held, then press Enter.",
    input_field_id=_integer("The id of the field to type into."),
    text_value=_string("The text to type."),
)
TOOL_SCROLL_ELEMENT_DOWN = _tool(
    "scroll_element_down",
    "Scroll a scrollable element (a list, a menu, a pane) down.",
    target_id=_integer("The id of the element to scroll."),
)
TOOL_SCROLL_ELEMENT_UP = _tool(
    "scroll_element_up",
    "Scroll a scrollable element (a list, a menu, a pane) up.",
    target_id=_integer("The id of the element to scroll."),
)
TOOL_HOVER = _tool(
    "hover",
    "Move the mouse over the element with the given id (to open a menu or a tooltip).",
    target_id=_integer("The id of the element to hover over."),
)
TOOL_SELECT_OPTION = _tool(
    "select_option",
    "Choose an option of the drop-down list with the given id, by its visible label or value.",
    target_id=_integer("The id of the drop-down list."),
    option=_string("The label (or value) of the option to choose."),
)
TOOL_ANSWER_QUESTION = _tool(
    "answer_question",
    "Answer a question from the whole text of the current page.",
    question=_string("The question to answer."),
)
TOOL_SUMMARIZE_PAGE = _tool("summarize_page", "Summarize the whole current page.")
TOOL_SLEEP = _tool(
    "sleep",
    "Wait a few seconds: for a page that is still loading, or when waiting may help.",
)
