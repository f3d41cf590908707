"""Conditions that look for a particular message: a text, a stop, a handoff, a source, a call."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import TerminatedException
from parlay_agentchat.base import TerminationCondition
from parlay_agentchat.conditions._counting import ALREADY, Messages
from parlay_agentchat.messages import (
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ToolCallExecutionEvent,
)
from parlay_core import Component

__all__ = [
    "FunctionCallTermination",
    "FunctionCallTerminationConfig",
    "HandoffTermination",
    "HandoffTerminationConfig",
    "SourceMatchTermination",
    "SourceMatchTerminationConfig",
    "StopMessageTermination",
    "StopMessageTerminationConfig",
    "TextMentionTermination",
    "TextMentionTerminationConfig",
    "TextMessageTermination",
    "TextMessageTerminationConfig",
]


class _FiresOnce:
    """The shared flag of conditions that fire on one matching message."""

    _terminated: bool = False

    @property
    def terminated(self) -> bool:
        """Whether the condition has fired."""
        return self._terminated

    def _check_not_terminated(self) -> None:
        if self._terminated:
            raise TerminatedException(ALREADY)

    def _fire(self, content: str, source: str) -> StopMessage:
        self._terminated = True
        return StopMessage(content=content, source=source)

    async def reset(self) -> None:
        """Allow the condition to fire again."""
        self._terminated = False


class TextMentionTerminationConfig(BaseModel):
    """The component config of :class:`TextMentionTermination`."""

    text: str
    sources: Sequence[str] | None = None


class TextMentionTermination(
    _FiresOnce, TerminationCondition, Component[TextMentionTerminationConfig]
):
    """Stops when a chat message's text contains ``text``.

    Only chat messages are searched (their ``to_text()``), not agent events, so a tool call
    whose arguments contain the text does not stop the conversation.

    Args:
        text: The text to look for, for example ``"TERMINATE"``.
        sources: Only messages from these sources count; all sources when ``None``.
    """

    component_config_schema = TextMentionTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.TextMentionTermination"

    def __init__(self, text: str, sources: Sequence[str] | None = None) -> None:
        self._text = text
        self._sources = list(sources) if sources is not None else None

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop on the first chat message that mentions the text."""
        self._check_not_terminated()
        for message in messages:
            if not isinstance(message, BaseChatMessage):
                continue
            if self._sources is not None and message.source not in self._sources:
                continue
            if self._text in message.to_text():
                return self._fire(f"Text '{self._text}' mentioned", "TextMentionTermination")
        return None

    def _to_config(self) -> TextMentionTerminationConfig:
        return TextMentionTerminationConfig(text=self._text, sources=self._sources)

    @classmethod
    def _from_config(cls, config: TextMentionTerminationConfig) -> Self:
        return cls(config.text, config.sources)


class StopMessageTerminationConfig(BaseModel):
    """The component config of :class:`StopMessageTermination` (it has no settings)."""


class StopMessageTermination(
    _FiresOnce, TerminationCondition, Component[StopMessageTerminationConfig]
):
    """Stops when an agent says a :class:`~parlay_agentchat.messages.StopMessage`."""

    component_config_schema = StopMessageTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.StopMessageTermination"

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop on the first StopMessage."""
        self._check_not_terminated()
        for message in messages:
            if isinstance(message, StopMessage):
                return self._fire("Stop message received", "StopMessageTermination")
        return None

    def _to_config(self) -> StopMessageTerminationConfig:
        return StopMessageTerminationConfig()

    @classmethod
    def _from_config(cls, config: StopMessageTerminationConfig) -> Self:
        return cls()


class HandoffTerminationConfig(BaseModel):
    """The component config of :class:`HandoffTermination`."""

    target: str


class HandoffTermination(_FiresOnce, TerminationCondition, Component[HandoffTerminationConfig]):
    """Stops when an agent hands off to ``target`` (for example ``"user"``, to ask a person).

    Args:
        target: The handoff target that stops the conversation.
    """

    component_config_schema = HandoffTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.HandoffTermination"

    def __init__(self, target: str) -> None:
        self._target = target

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop on the first HandoffMessage to the target."""
        self._check_not_terminated()
        for message in messages:
            if isinstance(message, HandoffMessage) and message.target == self._target:
                return self._fire(
                    f"Handoff to {self._target} from {message.source} detected.",
                    "HandoffTermination",
                )
        return None

    def _to_config(self) -> HandoffTerminationConfig:
        return HandoffTerminationConfig(target=self._target)

    @classmethod
    def _from_config(cls, config: HandoffTerminationConfig) -> Self:
        return cls(config.target)


class SourceMatchTerminationConfig(BaseModel):
    """The component config of :class:`SourceMatchTermination`."""

    sources: list[str]


class SourceMatchTermination(
    _FiresOnce, TerminationCondition, Component[SourceMatchTerminationConfig]
):
    """Stops as soon as one of the given agents has produced a message or event.

    Args:
        sources: Agent names.
    """

    component_config_schema = SourceMatchTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.SourceMatchTermination"

    def __init__(self, sources: Sequence[str]) -> None:
        self._sources = list(sources)

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop on the first message from one of the sources."""
        self._check_not_terminated()
        for message in messages:
            if message.source in self._sources:
                return self._fire(f"'{message.source}' answered", "SourceMatchTermination")
        return None

    def _to_config(self) -> SourceMatchTerminationConfig:
        return SourceMatchTerminationConfig(sources=self._sources)

    @classmethod
    def _from_config(cls, config: SourceMatchTerminationConfig) -> Self:
        return cls(config.sources)


class TextMessageTerminationConfig(BaseModel):
    """The component config of :class:`TextMessageTermination`."""

    source: str | None = None


class TextMessageTermination(
    _FiresOnce, TerminationCondition, Component[TextMessageTerminationConfig]
):
    """Stops when an agent answers with a :class:`~parlay_agentchat.messages.TextMessage`.

    Useful with tool-using agents: the run goes on while they call tools and stops when one
    replies in plain text.

    Args:
        source: Only text messages from this agent count; any agent when ``None``.
    """

    component_config_schema = TextMessageTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.TextMessageTermination"

    def __init__(self, source: str | None = None) -> None:
        self._source = source

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop on the first TextMessage from the source."""
        self._check_not_terminated()
        for message in messages:
            if isinstance(message, TextMessage) and self._source in (None, message.source):
                return self._fire(
                    f"Text message received from '{message.source}'", "TextMessageTermination"
                )
        return None

    def _to_config(self) -> TextMessageTerminationConfig:
        return TextMessageTerminationConfig(source=self._source)

    @classmethod
    def _from_config(cls, config: TextMessageTerminationConfig) -> Self:
        return cls(config.source)


class FunctionCallTerminationConfig(BaseModel):
    """The component config of :class:`FunctionCallTermination`."""

    function_name: str


class FunctionCallTermination(
    _FiresOnce, TerminationCondition, Component[FunctionCallTerminationConfig]
):
    """Stops once a tool of the given name has been executed (successfully or not).

    Args:
        function_name: The tool name.
    """

    component_config_schema = FunctionCallTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.FunctionCallTermination"

    def __init__(self, function_name: str) -> None:
        self._function_name = function_name

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop on the first execution result of the tool."""
        self._check_not_terminated()
        for message in messages:
            if isinstance(message, ToolCallExecutionEvent) and any(
                result.name == self._function_name for result in message.content
            ):
                return self._fire(
                    f"Function '{self._function_name}' was executed.", "FunctionCallTermination"
                )
        return None

    def _to_config(self) -> FunctionCallTerminationConfig:
        return FunctionCallTerminationConfig(function_name=self._function_name)

    @classmethod
    def _from_config(cls, config: FunctionCallTerminationConfig) -> Self:
        return cls(config.function_name)
