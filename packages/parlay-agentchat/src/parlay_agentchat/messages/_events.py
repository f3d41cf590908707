"""Agent events: what happens inside an agent's turn, shown to observers but not to other agents."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from parlay_agentchat.messages._base import BaseAgentEvent
from parlay_core import FunctionCall
from parlay_core.code_executor import CodeBlock, CodeResult
from parlay_core.memory import MemoryContent
from parlay_core.models import FunctionExecutionResult

__all__ = [
    "CodeExecutionEvent",
    "CodeGenerationEvent",
    "MemoryQueryEvent",
    "ModelClientStreamingChunkEvent",
    "SelectSpeakerEvent",
    "SelectorEvent",
    "ThoughtEvent",
    "ToolCallExecutionEvent",
    "ToolCallRequestEvent",
    "UserInputRequestedEvent",
]


class ToolCallRequestEvent(BaseAgentEvent):
    """The model asked for tool calls.

    Attributes:
        content: The calls, each with its id, tool name and JSON arguments.
    """

    content: list[FunctionCall]
    type: Literal["ToolCallRequestEvent"] = "ToolCallRequestEvent"

    def to_text(self) -> str:
        """Render the calls."""
        return str(self.content)


class ToolCallExecutionEvent(BaseAgentEvent):
    """Tool calls were executed.

    Attributes:
        content: One result per call (``is_error`` set for failed calls).
    """

    content: list[FunctionExecutionResult]
    type: Literal["ToolCallExecutionEvent"] = "ToolCallExecutionEvent"

    def to_text(self) -> str:
        """Render the results."""
        return str(self.content)


class ModelClientStreamingChunkEvent(BaseAgentEvent):
    """A piece of a model reply, streamed as it arrives.

    Chunks are yielded by ``run_stream`` but left out of ``TaskResult.messages``; the complete
    message follows them.

    Attributes:
        content: The text of the chunk.
        full_message_id: The ``id`` of the complete message the chunk belongs to.
    """

    content: str
    full_message_id: str | None = None
    type: Literal["ModelClientStreamingChunkEvent"] = "ModelClientStreamingChunkEvent"

    def to_text(self) -> str:
        """Return the chunk text."""
        return self.content


class ThoughtEvent(BaseAgentEvent):
    """The reasoning text a model gave with its reply (reasoning models only).

    Attributes:
        content: The reasoning text.
    """

    content: str
    type: Literal["ThoughtEvent"] = "ThoughtEvent"

    def to_text(self) -> str:
        """Return the reasoning text."""
        return self.content


class MemoryQueryEvent(BaseAgentEvent):
    """An agent's memory added items to its model context.

    Attributes:
        content: The items that were added.
    """

    content: list[MemoryContent]
    type: Literal["MemoryQueryEvent"] = "MemoryQueryEvent"

    def to_text(self) -> str:
        """Render the items."""
        return str(self.content)


class UserInputRequestedEvent(BaseAgentEvent):
    """A user proxy is about to ask for input; a UI can show a prompt.

    Attributes:
        request_id: Identifies the request.
        content: Always empty.
    """

    request_id: str
    content: Literal[""] = ""
    type: Literal["UserInputRequestedEvent"] = "UserInputRequestedEvent"

    def to_text(self) -> str:
        """Return the (empty) content."""
        return str(self.content)


class SelectSpeakerEvent(BaseAgentEvent):
    """A group-chat manager selected the next speaker(s).

    Attributes:
        content: The names of the selected speakers.
    """

    content: list[str]
    type: Literal["SelectSpeakerEvent"] = "SelectSpeakerEvent"

    def to_text(self) -> str:
        """Render the names."""
        return str(self.content)


class SelectorEvent(BaseAgentEvent):
    """The reply of the model that a ``SelectorGroupChat`` asked to choose the next speaker.

    With ``model_client_streaming=True`` and ``emit_team_events=True`` the reply is streamed as
    ``ModelClientStreamingChunkEvent``s, then reported whole in this event.

    Attributes:
        content: The selector model's reply.
    """

    content: str
    type: Literal["SelectorEvent"] = "SelectorEvent"

    def to_text(self) -> str:
        """Return the text."""
        return self.content


class CodeGenerationEvent(BaseAgentEvent):
    """A code-writing agent produced code blocks.

    Attributes:
        retry_attempt: 0 for the first attempt, then 1, 2, ... for retries after failures.
        content: The reply text that holds the code.
        code_blocks: The extracted code blocks.
    """

    retry_attempt: int = 0
    content: str
    code_blocks: list[CodeBlock] = Field(default_factory=list[CodeBlock])
    type: Literal["CodeGenerationEvent"] = "CodeGenerationEvent"

    def to_text(self) -> str:
        """Return the reply text."""
        return self.content


class CodeExecutionEvent(BaseAgentEvent):
    """Code blocks were executed.

    Attributes:
        retry_attempt: 0 for the first attempt, then 1, 2, ... for retries after failures.
        result: The exit code and output.
    """

    retry_attempt: int = 0
    result: CodeResult
    type: Literal["CodeExecutionEvent"] = "CodeExecutionEvent"

    def to_text(self) -> str:
        """Return the output."""
        return self.result.output
