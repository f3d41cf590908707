"""Conditions that count or measure: messages, tokens, time; plus external and functional ones."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Union

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import AgentConfigurationError, TerminatedException
from parlay_agentchat.base import TerminationCondition
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage
from parlay_core import Component
from parlay_core.exceptions import ComponentTypeError

__all__ = [
    "ExternalTermination",
    "ExternalTerminationConfig",
    "FunctionalTermination",
    "FunctionalTerminationConfig",
    "MaxMessageTermination",
    "MaxMessageTerminationConfig",
    "TimeoutTermination",
    "TimeoutTerminationConfig",
    "TokenUsageTermination",
    "TokenUsageTerminationConfig",
]

Messages = Sequence[Union[BaseAgentEvent, BaseChatMessage]]
ALREADY = "Termination condition has already been reached; call reset() before using it again."


class MaxMessageTerminationConfig(BaseModel):
    """The component config of :class:`MaxMessageTermination`."""

    max_messages: int
    include_agent_event: bool = False


class MaxMessageTermination(TerminationCondition, Component[MaxMessageTerminationConfig]):
    """Stops after a number of messages.

    Only chat messages count, unless ``include_agent_event`` is set. In a team the task
    message(s) count too.

    Args:
        max_messages: How many messages end the conversation.
        include_agent_event: Count agent events (tool calls, thoughts, ...) as well.
    """

    component_config_schema = MaxMessageTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.MaxMessageTermination"

    def __init__(self, max_messages: int, include_agent_event: bool = False) -> None:
        self._max_messages = max_messages
        self._include_agent_event = include_agent_event
        self._message_count = 0

    @property
    def terminated(self) -> bool:
        """Whether the count has been reached."""
        return self._message_count >= self._max_messages

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Count the messages; stop once ``max_messages`` is reached."""
        if self.terminated:
            raise TerminatedException(ALREADY)
        if self._include_agent_event:
            self._message_count += len(messages)
        else:
            self._message_count += sum(1 for m in messages if isinstance(m, BaseChatMessage))
        if self._message_count >= self._max_messages:
            return StopMessage(
                content=f"Maximum number of messages {self._max_messages} reached, "
                f"current message count: {self._message_count}",
                source="MaxMessageTermination",
            )
        return None

    async def reset(self) -> None:
        """Start counting from zero."""
        self._message_count = 0

    def _to_config(self) -> MaxMessageTerminationConfig:
        return MaxMessageTerminationConfig(
            max_messages=self._max_messages, include_agent_event=self._include_agent_event
        )

    @classmethod
    def _from_config(cls, config: MaxMessageTerminationConfig) -> Self:
        return cls(config.max_messages, config.include_agent_event)


class TokenUsageTerminationConfig(BaseModel):
    """The component config of :class:`TokenUsageTermination`."""

    max_total_token: int | None = None
    max_prompt_token: int | None = None
    max_completion_token: int | None = None


class TokenUsageTermination(TerminationCondition, Component[TokenUsageTerminationConfig]):
    """Stops once the model token usage reported on messages reaches a limit.

    Sums ``models_usage`` over every message and event seen.

    Args:
        max_total_token: Limit on prompt plus completion tokens.
        max_prompt_token: Limit on prompt tokens.
        max_completion_token: Limit on completion tokens.

    Raises:
        AgentConfigurationError: No limit is given.
    """

    component_config_schema = TokenUsageTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.TokenUsageTermination"

    def __init__(
        self,
        max_total_token: int | None = None,
        max_prompt_token: int | None = None,
        max_completion_token: int | None = None,
    ) -> None:
        if max_total_token is None and max_prompt_token is None and max_completion_token is None:
            raise AgentConfigurationError(
                "TokenUsageTermination needs at least one of max_total_token, "
                "max_prompt_token or max_completion_token."
            )
        self._max_total = max_total_token
        self._max_prompt = max_prompt_token
        self._max_completion = max_completion_token
        self._total = self._prompt = self._completion = 0

    @property
    def terminated(self) -> bool:
        """Whether a limit has been reached."""
        return (
            (self._max_total is not None and self._total >= self._max_total)
            or (self._max_prompt is not None and self._prompt >= self._max_prompt)
            or (self._max_completion is not None and self._completion >= self._max_completion)
        )

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Add up the usage of the messages; stop once a limit is reached."""
        if self.terminated:
            raise TerminatedException(ALREADY)
        for message in messages:
            usage = message.models_usage
            if usage is not None:
                self._prompt += usage.prompt_tokens
                self._completion += usage.completion_tokens
                self._total += usage.prompt_tokens + usage.completion_tokens
        if self.terminated:
            return StopMessage(
                content=f"Token usage limit reached, total token count: {self._total}, prompt "
                f"token count: {self._prompt}, completion token count: {self._completion}.",
                source="TokenUsageTermination",
            )
        return None

    async def reset(self) -> None:
        """Start counting from zero."""
        self._total = self._prompt = self._completion = 0

    def _to_config(self) -> TokenUsageTerminationConfig:
        return TokenUsageTerminationConfig(
            max_total_token=self._max_total,
            max_prompt_token=self._max_prompt,
            max_completion_token=self._max_completion,
        )

    @classmethod
    def _from_config(cls, config: TokenUsageTerminationConfig) -> Self:
        return cls(config.max_total_token, config.max_prompt_token, config.max_completion_token)


class TimeoutTerminationConfig(BaseModel):
    """The component config of :class:`TimeoutTermination`."""

    timeout_seconds: float


class TimeoutTermination(TerminationCondition, Component[TimeoutTerminationConfig]):
    """Stops once a number of seconds have passed since the condition was first called.

    The clock starts at the first call after creation or :meth:`reset`, that is when the run
    starts, not when the condition object was built. It is checked whenever new messages
    arrive, so a turn in progress is not interrupted.

    Args:
        timeout_seconds: The time limit in seconds.
    """

    component_config_schema = TimeoutTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.TimeoutTermination"

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout_seconds = timeout_seconds
        self._started: float | None = None
        self._terminated = False

    @property
    def terminated(self) -> bool:
        """Whether the time limit has been reached."""
        return self._terminated

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop if the time limit has passed."""
        if self._terminated:
            raise TerminatedException(ALREADY)
        now = time.monotonic()
        if self._started is None:
            self._started = now
        if now - self._started >= self._timeout_seconds:
            self._terminated = True
            return StopMessage(
                content=f"Timeout of {self._timeout_seconds} seconds reached",
                source="TimeoutTermination",
            )
        return None

    async def reset(self) -> None:
        """Stop the clock; it starts again at the next call."""
        self._started = None
        self._terminated = False

    def _to_config(self) -> TimeoutTerminationConfig:
        return TimeoutTerminationConfig(timeout_seconds=self._timeout_seconds)

    @classmethod
    def _from_config(cls, config: TimeoutTerminationConfig) -> Self:
        return cls(config.timeout_seconds)


class ExternalTerminationConfig(BaseModel):
    """The component config of :class:`ExternalTermination` (it has no settings)."""


class ExternalTermination(TerminationCondition, Component[ExternalTerminationConfig]):
    """Stops when your code calls :meth:`set`, for example from a UI's stop button.

    The team finishes the current turn and stops at the next check; use a
    ``CancellationToken`` to abort immediately instead.
    """

    component_config_schema = ExternalTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.ExternalTermination"

    def __init__(self) -> None:
        self._requested = False
        self._terminated = False

    @property
    def terminated(self) -> bool:
        """Whether the condition has fired."""
        return self._terminated

    def set(self) -> None:
        """Ask the conversation to stop at the next check."""
        self._requested = True

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Stop if :meth:`set` was called."""
        if self._terminated:
            raise TerminatedException(ALREADY)
        if self._requested:
            self._terminated = True
            return StopMessage(
                content="External termination requested", source="ExternalTermination"
            )
        return None

    async def reset(self) -> None:
        """Clear the request."""
        self._requested = False
        self._terminated = False

    def _to_config(self) -> ExternalTerminationConfig:
        return ExternalTerminationConfig()

    @classmethod
    def _from_config(cls, config: ExternalTerminationConfig) -> Self:
        return cls()


class FunctionalTerminationConfig(BaseModel):
    """A placeholder config: a :class:`FunctionalTermination` holds a Python function, which a
    config cannot carry."""


class FunctionalTermination(TerminationCondition, Component[FunctionalTerminationConfig]):
    """Stops when your function, given the new messages, returns True.

    Args:
        func: ``(messages) -> bool``, sync or async.

    Note:
        It cannot be dumped to a component config: the function is code, and configs never
        carry code.
    """

    component_config_schema = FunctionalTerminationConfig
    component_provider_override = "parlay_agentchat.conditions.FunctionalTermination"

    def __init__(self, func: Callable[[Messages], bool | Awaitable[bool]]) -> None:
        self._func = func
        self._terminated = False

    @property
    def terminated(self) -> bool:
        """Whether the function has returned True."""
        return self._terminated

    async def __call__(self, messages: Messages) -> StopMessage | None:
        """Call the function; stop if it returns True."""
        if self._terminated:
            raise TerminatedException(ALREADY)
        outcome = self._func(messages)
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            self._terminated = True
            return StopMessage(
                content="Functional termination condition met", source="FunctionalTermination"
            )
        return None

    async def reset(self) -> None:
        """Allow the condition to fire again."""
        self._terminated = False

    def _to_config(self) -> FunctionalTerminationConfig:
        raise ComponentTypeError(
            "FunctionalTermination cannot be dumped: it holds a Python function, and component "
            "configs never carry code. Write a TerminationCondition subclass with a config, or "
            "combine the built-in conditions."
        )

    @classmethod
    def _from_config(cls, config: FunctionalTerminationConfig) -> Self:
        raise ComponentTypeError(
            "FunctionalTermination cannot be loaded from a config: it needs a Python function."
        )
