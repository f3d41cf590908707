"""The hosting core: the one place where agents are registered, created, matched and called.

Every runtime is a transport around an :class:`AgentHost`. The in-process runtime calls
:meth:`AgentHost.deliver` directly; a distributed runtime calls it when a message for a local
agent arrives over the wire, and asks :attr:`AgentHost.subscriptions` for the recipients of a
publish. Registration, lazy instantiation, subscription matching and handler dispatch are
therefore the same code whatever carries the messages.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from parlay_core._agent import Agent
from parlay_core._agent_id import AgentId, AgentType
from parlay_core._base_agent import BaseAgent
from parlay_core._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
from parlay_core._contexts import AgentInstantiationContext, MessageHandlerContext
from parlay_core._exceptions import (
    AgentInstanceNotFoundError,
    AgentInstantiationError,
    AgentRegistrationError,
    AgentTypeNotFoundError,
    CantHandleException,
    RuntimeStateError,
    StateError,
)
from parlay_core._message_context import MessageContext
from parlay_core._serialization import SerializationRegistry
from parlay_core._subscription_table import SubscriptionTable
from parlay_core._telemetry import message_span, process_span_attributes

if TYPE_CHECKING:
    from parlay_core._agent_runtime import AgentRuntime
    from parlay_core.state import CheckpointPolicy, StateStore
    from parlay_core.state._checkpoints import Checkpointer

__all__ = ["AgentHost"]

logger = logging.getLogger(ROOT_LOGGER_NAME)
event_logger = logging.getLogger(EVENT_LOGGER_NAME)

T = TypeVar("T", bound=Agent)
AgentFactory = (
    Callable[[], Agent | Awaitable[Agent]] | Callable[[Any, AgentId], Agent | Awaitable[Agent]]
)

# MessageHandlerContext's variable, used directly: set/reset per delivery is on the hot path.
_HANDLER_AGENT = MessageHandlerContext._CONTEXT  # pyright: ignore[reportPrivateUsage]
_INSTANTIATION = AgentInstantiationContext._CONTEXT  # pyright: ignore[reportPrivateUsage]


class _Registration:
    __slots__ = ("expected_class", "factory", "legacy_args")

    def __init__(
        self, factory: AgentFactory, expected_class: type[Any] | None, legacy_args: bool
    ) -> None:
        self.factory = factory
        self.expected_class = expected_class
        self.legacy_args = legacy_args


_Entry = Callable[[Any, Any, MessageContext], Awaitable[Any]]


def _call_on_message(agent: Agent, message: Any, ctx: MessageContext) -> Awaitable[Any]:
    return agent.on_message(message, ctx)


def _entry_point(cls: type[Any]) -> _Entry:
    # BaseAgent.on_message only awaits on_message_impl: calling that directly saves a coroutine
    # per message. A class that replaced on_message all the same gets its own on_message called.
    if issubclass(cls, BaseAgent) and cls.on_message is BaseAgent.on_message:
        return cast(_Entry, cls.on_message_impl)
    return _call_on_message


class AgentHost:
    """Registry, lazy instantiation, subscriptions and dispatch for the agents of one runtime.

    Args:
        runtime: The runtime that owns this host; agents are created bound to it.
        tracer: An OpenTelemetry tracer, or None for no spans.
        state_store: Where agent state is kept durably, or None to keep it in memory only. With
            a store, a newly created agent first loads its stored state (lazy rehydration).
        checkpoint: When agent state is written to ``state_store``.

    Raises:
        ValueError: ``checkpoint`` is not a known policy.
    """

    def __init__(
        self,
        runtime: AgentRuntime,
        *,
        tracer: Any | None = None,
        state_store: StateStore | None = None,
        checkpoint: CheckpointPolicy = "every_message",
    ) -> None:
        self.runtime = runtime
        self.subscriptions = SubscriptionTable()
        self.serializers = SerializationRegistry()
        self.instances: dict[AgentId, Agent] = {}
        # Per agent class, what a delivery calls (see _entry_point).
        self._entries: dict[type[Any], _Entry] = {}
        self._factories: dict[str, _Registration] = {}
        # Agent type -> the class of its pre-registered instances (one class per type).
        self._instance_types: dict[str, type[Any]] = {}
        self._creating: dict[AgentId, asyncio.Future[Agent]] = {}
        self._checkpointer: Checkpointer | None = None
        if state_store is not None:
            # Imported only when used: a runtime without a store never loads the state package.
            from parlay_core.state._checkpoints import Checkpointer

            self._checkpointer = Checkpointer(state_store, checkpoint)
        self._tracer = tracer
        self._plain = True
        self._update_plain()

    @property
    def tracer(self) -> Any | None:
        """The OpenTelemetry tracer, or None for no spans."""
        return self._tracer

    @tracer.setter
    def tracer(self, tracer: Any | None) -> None:
        self._tracer = tracer
        self._update_plain()

    def _update_plain(self) -> None:
        # One flag for "nothing but the handler runs per delivery": the hot path tests it once.
        checkpointer = self._checkpointer
        self._plain = self._tracer is None and (
            checkpointer is None or not checkpointer.after_each_message
        )

    @property
    def state_store(self) -> StateStore | None:
        """The durable state store, or None."""
        return None if self._checkpointer is None else self._checkpointer.store

    # --- registration ------------------------------------------------------------------------

    def is_known_type(self, agent_type: str) -> bool:
        """Whether ``agent_type`` has a factory or a registered instance here."""
        return agent_type in self._factories or agent_type in self._instance_types

    @property
    def known_types(self) -> list[str]:
        """Every agent type registered here, sorted."""
        return sorted({*self._factories, *self._instance_types})

    def register_factory(
        self,
        agent_type: str | AgentType,
        factory: AgentFactory,
        expected_class: type[Any] | None = None,
    ) -> AgentType:
        """Register ``factory`` for ``agent_type``.

        Raises:
            AgentRegistrationError: The type is already registered.
        """
        name = agent_type.type if isinstance(agent_type, AgentType) else agent_type
        AgentId(name, "default")  # validates the type name
        if self.is_known_type(name):
            raise AgentRegistrationError(
                f"Agent type {name!r} is already registered. Register each type once; use a "
                "different type name for a second kind of agent."
            )
        if not callable(factory):
            raise AgentRegistrationError(
                f"The factory for {name!r} must be callable, got {factory!r}."
            )
        try:
            params = len(inspect.signature(factory).parameters)
        except (TypeError, ValueError):
            params = 0
        self._factories[name] = _Registration(factory, expected_class, legacy_args=params == 2)
        return AgentType(name)

    async def register_instance(self, agent: Agent, agent_id: AgentId) -> AgentId:
        """Register a pre-built agent under ``agent_id`` and bind it to the runtime.

        Raises:
            AgentRegistrationError: The id is taken or its type has a factory.
        """
        if agent_id.type in self._factories:
            raise AgentRegistrationError(
                f"Agent type {agent_id.type!r} is registered with a factory; a type uses either a "
                "factory or instances, not both."
            )
        if agent_id in self.instances:
            raise AgentRegistrationError(f"An agent is already registered as {agent_id}.")
        known_class = self._instance_types.get(agent_id.type)
        if known_class is not None and type(agent) is not known_class:
            raise AgentRegistrationError(
                f"Agent type {agent_id.type!r} has instances of {known_class.__name__}; an instance "
                f"of {type(agent).__name__} cannot join it. Use another agent type for it."
            )
        await agent.bind_id_and_runtime(agent_id, self.runtime)
        if self._checkpointer is not None:
            await self._checkpointer.rehydrate(agent_id, agent)
        self._instance_types[agent_id.type] = type(agent)
        self.instances[agent_id] = agent
        return agent_id

    # --- instances ---------------------------------------------------------------------------

    def check_recipient_type(self, agent_id: AgentId) -> None:
        """Raise :class:`AgentTypeNotFoundError` if nothing here serves ``agent_id``'s type."""
        if agent_id.type not in self._factories and agent_id.type not in self._instance_types:
            raise AgentTypeNotFoundError(
                f"Unknown agent type {agent_id.type!r} (recipient {agent_id}). Registered types: "
                f"{self.known_types or 'none'}. Register it with {{AgentClass}}.register(runtime, "
                f"{agent_id.type!r}, factory) before sending to it."
            )

    async def get_agent(self, agent_id: AgentId) -> Agent:
        """Return the agent for ``agent_id``, creating it through its factory on first use.

        Raises:
            AgentTypeNotFoundError: The type is not registered.
            AgentInstanceNotFoundError: The type has only pre-built instances, none with that key.
            AgentInstantiationError: The factory raised or built the wrong thing.
        """
        agent = self.instances.get(agent_id)
        if agent is not None:
            return agent
        pending = self._creating.get(agent_id)
        if pending is not None:
            await asyncio.shield(pending)
            created = self.instances.get(agent_id)
            if created is None:
                raise AgentInstantiationError(
                    f"Creating {agent_id} failed; the first message to it received the factory's error."
                )
            return created
        registration = self._factories.get(agent_id.type)
        if registration is None:
            if agent_id.type in self._instance_types:
                keys = sorted(i.key for i in self.instances if i.type == agent_id.type)
                raise AgentInstanceNotFoundError(
                    f"No agent {agent_id}: type {agent_id.type!r} has registered instances only "
                    f"(keys {keys}), so agents of other keys cannot be created. If a subscription "
                    "maps a topic to this type, register an instance for each key it can reach, "
                    "or register a factory instead."
                )
            self.check_recipient_type(agent_id)
        return await self._instantiate(agent_id, cast(_Registration, registration))

    async def _instantiate(self, agent_id: AgentId, registration: _Registration) -> Agent:
        factory = cast(Any, registration.factory)
        # Set the context variable directly: this runs once per agent, 100,000s of times.
        token = _INSTANTIATION.set((self.runtime, agent_id))
        try:
            try:
                made = factory(self.runtime, agent_id) if registration.legacy_args else factory()
            except Exception as e:
                raise self._construction_error(agent_id, e) from e
            if self._checkpointer is not None or inspect.isawaitable(made):
                return await self._await_creation(agent_id, made, registration)
        finally:
            _INSTANTIATION.reset(token)
        agent = self._check_made(agent_id, made, registration)
        self.instances[agent_id] = agent
        return agent

    async def _await_creation(
        self, agent_id: AgentId, made: Any, registration: _Registration
    ) -> Agent:
        # An async factory or loading stored state yields to the loop: concurrent first messages
        # must share one creation, and see the agent only once its state is loaded.
        future: asyncio.Future[Agent] = asyncio.get_running_loop().create_future()
        self._creating[agent_id] = future
        try:
            if inspect.isawaitable(made):
                try:
                    made = await made
                except Exception as e:
                    raise self._construction_error(agent_id, e) from e
            agent = self._check_made(agent_id, made, registration)
            if self._checkpointer is not None:
                await self._checkpointer.rehydrate(agent_id, agent)
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: the creator raises it itself
            raise
        else:
            self.instances[agent_id] = agent
            future.set_result(agent)
            return agent
        finally:
            del self._creating[agent_id]

    def _check_made(self, agent_id: AgentId, made: Any, registration: _Registration) -> Agent:
        expected = registration.expected_class
        if expected is not None:
            ok = isinstance(made, expected)
        else:
            ok = isinstance(made, (BaseAgent, Agent))
        if not ok:
            wanted = expected.__name__ if expected is not None else "an Agent"
            raise AgentInstantiationError(
                f"The factory for {agent_id.type!r} returned {type(made).__name__}, not {wanted}. "
                "Make the factory return a new agent of the registered class."
            )
        agent = cast(Agent, made)
        if agent.id != agent_id:
            raise AgentInstantiationError(
                f"The factory for {agent_id} returned an agent whose id is {agent.id}. Create a new "
                "agent inside the factory on every call instead of returning an existing one."
            )
        return agent

    def _construction_error(self, agent_id: AgentId, error: Exception) -> AgentInstantiationError:
        # A failing factory is a bug worth a log line even when a publish swallows the error.
        logger.error("Error constructing agent %s", agent_id, exc_info=error)
        if event_logger.isEnabledFor(logging.INFO):
            from parlay_core.logging import AgentConstructionExceptionEvent

            event_logger.info(AgentConstructionExceptionEvent(agent_id=agent_id, exception=error))
        if isinstance(error, AgentInstantiationError):
            return error
        return AgentInstantiationError(
            f"The factory for {agent_id} raised {type(error).__name__}: {error}"
        )

    # --- dispatch ----------------------------------------------------------------------------

    async def deliver(self, agent_id: AgentId, message: Any, ctx: MessageContext) -> Any:
        """Hand ``message`` to the agent ``agent_id`` (creating it if needed); return its response."""
        agent = self.instances.get(agent_id)
        if agent is None:
            agent = await self.get_agent(agent_id)
        token = _HANDLER_AGENT.set(agent_id)
        try:
            if self._plain:
                entry = self._entries.get(type(agent))
                if entry is None:
                    entry = self._entries[type(agent)] = _entry_point(type(agent))
                return await entry(agent, message, ctx)
            return await self._deliver_observed(agent_id, agent, message, ctx)
        finally:
            _HANDLER_AGENT.reset(token)

    async def _deliver_observed(
        self, agent_id: AgentId, agent: Agent, message: Any, ctx: MessageContext
    ) -> Any:
        checkpointer = self._checkpointer
        if checkpointer is None or not checkpointer.after_each_message:
            return await self._traced(agent_id, agent, message, ctx)
        try:
            response = await self._traced(agent_id, agent, message, ctx)
        except CantHandleException:
            raise  # no handler ran, so the state did not change
        except Exception:
            # A handler that raised may still have changed the agent: keep the store in step
            # with the live agent, but report the handler's error, not a checkpoint problem.
            try:
                await checkpointer.save(agent_id, agent)
            except Exception:
                logger.exception("Could not checkpoint %s after its handler raised", agent_id)
            raise
        # The response goes back only once the state that produced it is stored.
        await checkpointer.save(agent_id, agent)
        return response

    async def _traced(
        self, agent_id: AgentId, agent: Agent, message: Any, ctx: MessageContext
    ) -> Any:
        if self._tracer is None:
            return await agent.on_message(message, ctx)
        sender = ctx.sender
        sender_agent = self.instances.get(sender) if sender is not None else None
        attributes = process_span_attributes(
            agent_id,
            agent,
            type(sender_agent).__name__ if sender_agent is not None else None,
            message,
            ctx,
            self._span_payload(message),
        )
        with message_span(self._tracer, "process", agent_id, attributes=attributes):
            return await agent.on_message(message, ctx)

    def _span_payload(self, message: Any) -> str:
        # The message as JSON, as AutoGen records it, when a serializer knows its type.
        try:
            return self.serializers.serialize(message).decode("utf-8")
        except Exception:
            return "Message could not be serialized"

    # --- state -------------------------------------------------------------------------------

    async def save_state(self) -> dict[str, Any]:
        """The state of every instantiated agent, keyed ``"type/key"``."""
        return {
            str(agent_id): dict(await agent.save_state())
            for agent_id, agent in list(self.instances.items())
        }

    async def load_state(self, state: Mapping[str, Any]) -> list[str]:
        """Load each agent's state, creating agents as needed; return the keys skipped as unknown types."""
        skipped: list[str] = []
        for key, agent_state in state.items():
            try:
                agent_id = AgentId.from_str(key)
            except ValueError as e:
                raise StateError(f"Invalid agent key {key!r} in the saved state: {e}") from e
            if not self.is_known_type(agent_id.type):
                skipped.append(key)
                continue
            agent = await self.get_agent(agent_id)
            await agent.load_state(agent_state)
        return skipped

    async def checkpoint(self, agent_ids: Iterable[AgentId] | None = None) -> list[AgentId]:
        """Write the state of the given (default: all) instantiated agents to the state store.

        Returns:
            The ids of the agents written (ids not instantiated here are skipped).

        Raises:
            RuntimeStateError: No state store is configured, or its policy is ``"never"``.
            StateConflictError: Another process wrote an agent's state since this one read it.
        """
        checkpointer = self._checkpointer
        if checkpointer is None:
            raise RuntimeStateError(
                "No state store is configured; pass state_store= to the runtime to checkpoint."
            )
        if checkpointer.policy == "never":
            raise RuntimeStateError(
                "The state store is read-only (checkpoint='never'); use 'explicit' or "
                "'every_message' to write state."
            )
        written: list[AgentId] = []
        for agent_id in list(self.instances) if agent_ids is None else list(agent_ids):
            agent = self.instances.get(agent_id)
            if agent is not None:
                await checkpointer.save(agent_id, agent)
                written.append(agent_id)
        return written

    def release(self, agent_id: AgentId) -> Agent | None:
        """Forget the local instance of ``agent_id`` without closing it; return it if there was one.

        A distributed transport calls this when another worker takes the agent over: if the agent
        comes back here later, it is created again and loads the newest stored state.
        """
        if self._checkpointer is not None:
            self._checkpointer.forget(agent_id)
        return self.instances.pop(agent_id, None)

    async def close_agents(self) -> None:
        """Call ``close()`` on every instantiated agent."""
        for agent in list(self.instances.values()):
            await agent.close()
