"""Context variables that tell code where it runs: in a factory, in a handler, in a registration."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, ClassVar

from parlay_core._agent_id import AgentId, AgentType
from parlay_core._exceptions import ParlayError

if TYPE_CHECKING:
    from parlay_core._agent_runtime import AgentRuntime

__all__ = ["AgentInstantiationContext", "MessageHandlerContext", "SubscriptionInstantiationContext"]


class _OutsideContextError(ParlayError, RuntimeError):
    """Code that needs a context variable ran outside of it."""


class AgentInstantiationContext:
    """Gives an agent's constructor the id and runtime it is being created for.

    A runtime sets it around every factory call, so ``BaseAgent.__init__`` needs no arguments
    for its id and runtime.
    """

    _CONTEXT: ClassVar[ContextVar[tuple[AgentRuntime, AgentId]]] = ContextVar(
        "parlay_agent_instantiation"
    )

    def __init__(self) -> None:
        raise RuntimeError("AgentInstantiationContext is a static class; use its class methods.")

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: tuple[AgentRuntime, AgentId]) -> Generator[None, None, None]:
        """Set the runtime and agent id for the duration of a factory call."""
        token = cls._CONTEXT.set(ctx)
        try:
            yield
        finally:
            cls._CONTEXT.reset(token)

    @classmethod
    def current_runtime(cls) -> AgentRuntime:
        """The runtime creating the agent."""
        try:
            return cls._CONTEXT.get()[0]
        except LookupError as e:
            raise _OutsideContextError(
                "No agent is being instantiated here. Create agents through a factory passed to "
                "register() / register_factory(), or use register_instance() for a pre-built agent."
            ) from e

    @classmethod
    def current_agent_id(cls) -> AgentId:
        """The id of the agent being created."""
        try:
            return cls._CONTEXT.get()[1]
        except LookupError as e:
            raise _OutsideContextError(
                "No agent is being instantiated here. Create agents through a factory passed to "
                "register() / register_factory(), or use register_instance() for a pre-built agent."
            ) from e

    @classmethod
    def is_in_factory_call(cls) -> bool:
        """Whether code is running inside a factory call."""
        return cls._CONTEXT.get(None) is not None


class SubscriptionInstantiationContext:
    """Gives subscription factories the agent type being registered."""

    _CONTEXT: ClassVar[ContextVar[AgentType]] = ContextVar("parlay_subscription_instantiation")

    def __init__(self) -> None:
        raise RuntimeError(
            "SubscriptionInstantiationContext is a static class; use its class methods."
        )

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: AgentType) -> Generator[None, None, None]:
        """Set the agent type for the duration of a registration."""
        token = cls._CONTEXT.set(ctx)
        try:
            yield
        finally:
            cls._CONTEXT.reset(token)

    @classmethod
    def agent_type(cls) -> AgentType:
        """The agent type being registered."""
        try:
            return cls._CONTEXT.get()
        except LookupError as e:
            raise _OutsideContextError(
                "No agent type is being registered here. DefaultSubscription() without an agent_type "
                "only works inside register() (for example through @default_subscription); pass "
                "agent_type= explicitly elsewhere."
            ) from e


class MessageHandlerContext:
    """Tells code which agent's handler it is running in."""

    _CONTEXT: ClassVar[ContextVar[AgentId]] = ContextVar("parlay_message_handler")

    def __init__(self) -> None:
        raise RuntimeError("MessageHandlerContext is a static class; use its class methods.")

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: AgentId) -> Generator[None, None, None]:
        """Set the handling agent's id for the duration of a handler call."""
        token = cls._CONTEXT.set(ctx)
        try:
            yield
        finally:
            cls._CONTEXT.reset(token)

    @classmethod
    def agent_id(cls) -> AgentId:
        """The id of the agent whose handler is running."""
        try:
            return cls._CONTEXT.get()
        except LookupError as e:
            raise _OutsideContextError("No message handler is running here.") from e
