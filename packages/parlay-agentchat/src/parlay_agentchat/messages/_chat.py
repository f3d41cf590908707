"""The concrete chat messages: text, multimodal, stop, handoff, tool-call summary, structured."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar, Union

from pydantic import BaseModel, Field, computed_field

from parlay_agentchat.messages._base import BaseChatMessage, BaseTextChatMessage
from parlay_core import FunctionCall, Image
from parlay_core.models import FunctionExecutionResult, LLMMessage, UserMessage

__all__ = [
    "HandoffMessage",
    "MultiModalMessage",
    "StopMessage",
    "StructuredContentType",
    "StructuredMessage",
    "TextMessage",
    "ToolCallSummaryMessage",
]


class TextMessage(BaseTextChatMessage):
    """A plain text message.

    Example:
        >>> TextMessage(content="Hello", source="user").to_text()
        'Hello'
    """

    type: Literal["TextMessage"] = "TextMessage"


class MultiModalMessage(BaseChatMessage):
    """A message mixing text and images.

    Attributes:
        content: Strings and :class:`~parlay_core.Image` objects, in order.
    """

    content: list[Union[str, Image]]
    type: Literal["MultiModalMessage"] = "MultiModalMessage"

    def to_model_text(self, image_placeholder: str | None = "[image]") -> str:
        """Render the text parts, with ``image_placeholder`` for each image.

        Args:
            image_placeholder: The text standing for an image; ``None`` writes the image as
                base64 instead.
        """
        parts: list[str] = []
        for item in self.content:
            if isinstance(item, str):
                parts.append(item)
            elif image_placeholder is not None:
                parts.append(image_placeholder)
            else:
                parts.append(item.to_base64())
        return "\n".join(parts)

    def to_text(self, iterm: bool = False) -> str:
        """Render the text parts, with ``<image>`` for each image.

        Args:
            iterm: Accepted for AutoGen compatibility; images are always written as ``<image>``.
        """
        return "\n".join(item if isinstance(item, str) else "<image>" for item in self.content)

    def to_model_message(self) -> UserMessage:
        """Return a ``UserMessage`` carrying the text and images."""
        return UserMessage.model_construct(content=list(self.content), source=self.source)


class StopMessage(BaseTextChatMessage):
    """A request to stop the conversation; termination conditions produce one when they fire."""

    type: Literal["StopMessage"] = "StopMessage"


class HandoffMessage(BaseTextChatMessage):
    """A request to hand the conversation over to another agent.

    Attributes:
        target: The name of the agent to hand over to.
        context: Model messages to pass along to the target (for example tool calls made just
            before the handoff).
    """

    target: str
    context: list[LLMMessage] = Field(default_factory=list[LLMMessage])
    type: Literal["HandoffMessage"] = "HandoffMessage"


class ToolCallSummaryMessage(BaseTextChatMessage):
    """The final message of a turn that ended with tool calls: their results, as text.

    Attributes:
        tool_calls: The calls the model made.
        results: Their results, in the same order.
    """

    type: Literal["ToolCallSummaryMessage"] = "ToolCallSummaryMessage"
    tool_calls: list[FunctionCall] = Field(default_factory=list[FunctionCall])
    results: list[FunctionExecutionResult] = Field(default_factory=list[FunctionExecutionResult])


StructuredContentType = TypeVar("StructuredContentType", bound=BaseModel, covariant=True)
"""The pydantic model held by a :class:`StructuredMessage`."""


class StructuredMessage(BaseChatMessage, Generic[StructuredContentType]):
    """A message whose content is a pydantic model, for structured output.

    Parametrize it with the content model: ``StructuredMessage[Weather]``. Its ``type`` is
    the parametrized class name (``"StructuredMessage[Weather]"``); register that class with a
    team's ``custom_message_types`` so dumped states load back.

    Attributes:
        content: The model instance.
        format_string: A ``str.format`` template over the content's fields used by
            :meth:`to_text`; without one the content is rendered as JSON.

    Example::

        class Weather(BaseModel):
            city: str
            degrees: int

        message = StructuredMessage[Weather](
            content=Weather(city="Oslo", degrees=4),
            source="forecaster",
            format_string="{city}: {degrees} C",
        )
        message.to_text()  # 'Oslo: 4 C'
    """

    content: StructuredContentType
    format_string: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def type(self) -> str:
        """The class name, including the content model (``"StructuredMessage[Weather]"``)."""
        return self.__class__.__name__

    def to_text(self) -> str:
        """Render the content with ``format_string``, or as JSON without one."""
        if self.format_string is not None:
            return self.format_string.format(**self.content.model_dump())
        return self.content.model_dump_json()

    def to_model_text(self) -> str:
        """The same text as :meth:`to_text`."""
        return self.to_text()

    def to_model_message(self) -> UserMessage:
        """Return ``UserMessage(content=to_model_text(), source=source)``."""
        return UserMessage.model_construct(content=self.to_model_text(), source=self.source)
