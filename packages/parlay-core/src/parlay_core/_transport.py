"""The transport seam: what a runtime needs to know about where agents live.

A :class:`~parlay_core.hosting.HostedRuntime` implements the whole ``AgentRuntime`` API once
(message contexts, interventions, event logging, idle tracking, lifecycle, agent access) over an
:class:`~parlay_core.hosting.AgentHost`. The one thing it cannot know is where an agent lives:
that is the transport's answer. The in-process transport says "here" for every agent; a
distributed transport says "here" for the agents of the partitions its worker holds and carries
every other message over the wire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from parlay_core._agent_id import AgentId
from parlay_core._message_context import MessageContext

if TYPE_CHECKING:
    from parlay_core._hosting import AgentHost

__all__ = ["InProcessTransport", "LocalDelivery", "Transport"]

LocalDelivery = Callable[[AgentId, Any, MessageContext], Awaitable[Any]]
"""Calls a local agent's handler: ``(recipient, message, ctx) -> response``."""


class Transport(Protocol):
    """Where a :class:`~parlay_core.hosting.HostedRuntime`'s messages go.

    The runtime asks :meth:`is_local` for every recipient: a local one is called in this
    process through :attr:`deliver_local` (no serialization); any other goes to :meth:`send` or
    :meth:`publish`. Interventions, contexts, event logging and idle tracking happen in the
    runtime, before and after, whatever the answer.
    """

    @property
    def deliver_local(self) -> LocalDelivery:
        """How a local agent is called: normally the host's ``deliver``, possibly wrapped (to
        count deliveries per partition, for example)."""
        ...

    def ready(self) -> None:
        """Raise :class:`~parlay_core.exceptions.RuntimeStateError` if messages cannot be
        routed yet (a distributed transport before its first ``start()``)."""
        ...

    def is_local(self, agent_id: AgentId) -> bool:
        """Whether a message to ``agent_id`` is delivered in this process now."""
        ...

    def holds(self, agent_id: AgentId) -> bool:
        """Whether ``agent_id``'s object lives in this process (its state can be read here)."""
        ...

    def check_recipient(self, agent_id: AgentId) -> None:
        """Raise :class:`~parlay_core.exceptions.AgentTypeNotFoundError` if no process serves
        ``agent_id``'s type; called only for types this process does not host."""
        ...

    def send(self, message: Any, recipient: AgentId, ctx: MessageContext) -> Awaitable[Any]:
        """Deliver a direct message to an agent elsewhere; awaiting it returns the response.

        An ``async def`` does; so does a plain method that returns the coroutine doing the work
        (one coroutine less on every remote call).
        """
        ...

    def publish(self, message: Any, recipients: Sequence[AgentId], ctx: MessageContext) -> None:
        """Start delivering a published message to agents elsewhere; returns at once.

        Each delivery counts as outstanding work of the runtime until it is done (see
        :class:`~parlay_core.hosting.DeliveryTracking`), and reports its own errors.
        """
        ...

    async def stop(self) -> None:
        """Stop taking in messages for local agents (the runtime stopped)."""
        ...

    async def pending(self) -> int:
        """Messages held for this process that the runtime has not started to handle yet."""
        ...

    async def close(self) -> None:
        """Release everything; the runtime closes its agents afterwards."""
        ...


class InProcessTransport:
    """Every agent is local: the whole transport of the in-process runtime.

    Args:
        host: The runtime's host.
    """

    __slots__ = ("_host",)

    def __init__(self, host: AgentHost) -> None:
        self._host = host

    @property
    def deliver_local(self) -> LocalDelivery:
        """The host's ``deliver``, unwrapped."""
        return self._host.deliver

    def ready(self) -> None:
        """Always ready: messages sent before ``start()`` wait in the runtime."""

    def is_local(self, agent_id: AgentId) -> bool:
        """Always: every agent lives in this process."""
        return True

    def holds(self, agent_id: AgentId) -> bool:
        """Always: every agent lives in this process."""
        return True

    def check_recipient(self, agent_id: AgentId) -> None:
        """Raise for a type the host does not know (no other process could serve it)."""
        self._host.check_recipient_type(agent_id)

    async def send(self, message: Any, recipient: AgentId, ctx: MessageContext) -> Any:
        """Never called: every recipient is local."""
        return await self._host.deliver(recipient, message, ctx)

    def publish(self, message: Any, recipients: Sequence[AgentId], ctx: MessageContext) -> None:
        """Never called: every recipient is local."""
        raise AssertionError("the in-process transport has no remote recipients")

    async def stop(self) -> None:
        """Nothing to stop."""

    async def pending(self) -> int:
        """Nothing is held outside the runtime."""
        return 0

    async def close(self) -> None:
        """Nothing to release."""
