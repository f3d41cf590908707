"""The tools the FileSurfer's model may call (AutoGen's names and arguments)."""

from __future__ import annotations

from parlay_core.tools import ToolSchema

__all__ = [
    "FILE_SURFER_TOOLS",
    "TOOL_FIND_NEXT",
    "TOOL_FIND_ON_PAGE_CTRL_F",
    "TOOL_OPEN_PATH",
    "TOOL_PAGE_DOWN",
    "TOOL_PAGE_UP",
]

TOOL_OPEN_PATH = ToolSchema(
    name="open_path",
    description=(
        "Open a local file or folder in the file browser, converted to text, and show its first "
        "page. A folder shows the list of its entries."
    ),
    parameters={
        "type": "object",
        "properties": {
            "path": {
                "type": "string",
                "description": "The file or folder: relative to the current folder, or absolute.",
            }
        },
        "required": ["path"],
    },
)

TOOL_PAGE_UP = ToolSchema(
    name="page_up",
    description="Show the previous page of the open file.",
    parameters={"type": "object", "properties": {}},
)

TOOL_PAGE_DOWN = ToolSchema(
    name="page_down",
    description="Show the next page of the open file.",
    parameters={"type": "object", "properties": {}},
)

TOOL_FIND_ON_PAGE_CTRL_F = ToolSchema(
    name="find_on_page_ctrl_f",
    description=(
        "Jump to the first page of the open file, from the current one on, that contains the "
        "search text (like Ctrl+F). Case and punctuation are ignored."
    ),
    parameters={
        "type": "object",
        "properties": {
            "search_string": {
                "type": "string",
                "description": "The text to look for; '*' matches any run of characters.",
            }
        },
        "required": ["search_string"],
    },
)

TOOL_FIND_NEXT = ToolSchema(
    name="find_next",
    description="Jump to the next page that contains the last search text.",
    parameters={"type": "object", "properties": {}},
)

FILE_SURFER_TOOLS = [
    TOOL_OPEN_PATH,
    TOOL_PAGE_DOWN,
    TOOL_PAGE_UP,
    TOOL_FIND_NEXT,
    TOOL_FIND_ON_PAGE_CTRL_F,
]
"""The tools offered on every turn, in AutoGen's order."""
