"""Termination conditions: decide, after each batch of new messages, whether a team stops."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import TerminatedException
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage
from parlay_core import Component, ComponentBase, ComponentModel

__all__ = [
    "AndTerminationCondition",
    "AndTerminationConditionConfig",
    "OrTerminationCondition",
    "OrTerminationConditionConfig",
    "TerminationCondition",
]

_ALREADY = "Termination condition has already been reached; call reset() before using it again."


class TerminationCondition(ABC, ComponentBase[BaseModel]):
    """Decides whether a conversation stops.

    A team calls the condition with the messages that are new since the last call (never the
    whole conversation). It returns a :class:`~parlay_agentchat.messages.StopMessage`, whose
    content becomes the run's ``stop_reason``, or ``None`` to go on. Once it has fired, it must
    be reset before it is called again (teams reset it automatically). Combine conditions with
    ``|`` (either fires) and ``&`` (both have fired).

    Example:
        >>> from parlay_agentchat.conditions import MaxMessageTermination, TextMentionTermination
        >>> stop = MaxMessageTermination(10) | TextMentionTermination("TERMINATE")
    """

    component_type = "termination"

    @property
    @abstractmethod
    def terminated(self) -> bool:
        """Whether the condition has fired (and not been reset since)."""

    @abstractmethod
    async def __call__(
        self, messages: Sequence[BaseAgentEvent | BaseChatMessage]
    ) -> StopMessage | None:
        """Look at the new messages; return a stop message if the conversation should stop.

        Args:
            messages: The messages and events produced since the last call.

        Raises:
            TerminatedException: The condition has already fired and was not reset.
        """

    @abstractmethod
    async def reset(self) -> None:
        """Forget everything seen, so the condition can be used for a new run."""

    def __and__(self, other: TerminationCondition) -> AndTerminationCondition:
        return AndTerminationCondition(self, other)

    def __or__(self, other: TerminationCondition) -> OrTerminationCondition:
        return OrTerminationCondition(self, other)


def _combine(stops: Sequence[StopMessage]) -> StopMessage:
    return StopMessage(
        content=", ".join(stop.content for stop in stops),
        source=", ".join(stop.source for stop in stops),
    )


class AndTerminationConditionConfig(BaseModel):
    """The component config of :class:`AndTerminationCondition`.

    Attributes:
        conditions: The component configs of the combined conditions.
    """

    conditions: list[ComponentModel]


class AndTerminationCondition(TerminationCondition, Component[AndTerminationConditionConfig]):
    """Fires once every one of its conditions has fired (``a & b``).

    A condition that has fired is remembered and not called again until reset. The stop
    message joins the contents (and sources) of all the conditions' stop messages with ``", "``.

    Args:
        *conditions: The conditions that must all fire.
    """

    component_config_schema = AndTerminationConditionConfig
    component_provider_override = "parlay_agentchat.base.AndTerminationCondition"

    def __init__(self, *conditions: TerminationCondition) -> None:
        self._conditions = list(conditions)
        self._stops: list[StopMessage | None] = [None] * len(self._conditions)

    @property
    def terminated(self) -> bool:
        """Whether every condition has fired."""
        return all(condition.terminated for condition in self._conditions)

    async def __call__(
        self, messages: Sequence[BaseAgentEvent | BaseChatMessage]
    ) -> StopMessage | None:
        """Call each condition that has not fired yet; stop once all have.

        Raises:
            TerminatedException: Every condition had already fired.
        """
        if self.terminated:
            raise TerminatedException(_ALREADY)
        for index, condition in enumerate(self._conditions):
            if self._stops[index] is None and not condition.terminated:
                self._stops[index] = await condition(messages)
        stops = [stop for stop in self._stops if stop is not None]
        if len(stops) == len(self._conditions):
            return _combine(stops)
        return None

    async def reset(self) -> None:
        """Reset every condition."""
        for condition in self._conditions:
            await condition.reset()
        self._stops = [None] * len(self._conditions)

    def _to_config(self) -> AndTerminationConditionConfig:
        return AndTerminationConditionConfig(
            conditions=[condition.dump_component() for condition in self._conditions]
        )

    @classmethod
    def _from_config(cls, config: AndTerminationConditionConfig) -> Self:
        return cls(*(TerminationCondition.load_component(c) for c in config.conditions))


class OrTerminationConditionConfig(BaseModel):
    """The component config of :class:`OrTerminationCondition`.

    Attributes:
        conditions: The component configs of the combined conditions.
    """

    conditions: list[ComponentModel]


class OrTerminationCondition(TerminationCondition, Component[OrTerminationConditionConfig]):
    """Fires as soon as any of its conditions fires (``a | b``).

    Every condition sees every batch of messages, so counters stay right. When several fire on
    the same batch, the stop message joins their contents (and sources) with ``", "``.

    Args:
        *conditions: The conditions, any of which stops the conversation.
    """

    component_config_schema = OrTerminationConditionConfig
    component_provider_override = "parlay_agentchat.base.OrTerminationCondition"

    def __init__(self, *conditions: TerminationCondition) -> None:
        self._conditions = list(conditions)

    @property
    def terminated(self) -> bool:
        """Whether any condition has fired."""
        return any(condition.terminated for condition in self._conditions)

    async def __call__(
        self, messages: Sequence[BaseAgentEvent | BaseChatMessage]
    ) -> StopMessage | None:
        """Call every condition on the batch; stop if any fired.

        Raises:
            TerminatedException: A condition had already fired (also a ``RuntimeError``, which
                is what AutoGen raises here).
        """
        if self.terminated:
            raise TerminatedException(_ALREADY)
        # Awaited one after the other: conditions are cheap checks, and a task per condition
        # (asyncio.gather) would cost more than the checks themselves.
        stops: list[StopMessage] = []
        for condition in self._conditions:
            stop = await condition(messages)
            if stop is not None:
                stops.append(stop)
        return _combine(stops) if stops else None

    async def reset(self) -> None:
        """Reset every condition."""
        for condition in self._conditions:
            await condition.reset()

    def _to_config(self) -> OrTerminationConditionConfig:
        return OrTerminationConditionConfig(
            conditions=[condition.dump_component() for condition in self._conditions]
        )

    @classmethod
    def _from_config(cls, config: OrTerminationConditionConfig) -> Self:
        return cls(*(TerminationCondition.load_component(c) for c in config.conditions))
