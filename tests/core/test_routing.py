"""RoutedAgent dispatch: types, unions, match= predicates, event/rpc kinds, order."""

from __future__ import annotations

import pytest

from parlay_core import (
    AgentId,
    CantHandleException,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    event,
    message_handler,
)
from tests.conformance.routing import A, B, Router


async def test_handler_table_is_built_once_per_class() -> None:
    table = Router._parlay_handlers  # pyright: ignore[reportPrivateUsage]
    # The handlers are the decorated functions (the MessageHandler protocol has no __name__).
    assert [getattr(h, "__name__", None) for h in table[A]] == ["a_special", "on_union"]
    assert [getattr(h, "__name__", None) for h in table[B]] == ["on_union"]

    class Child(Router):
        @message_handler
        async def on_union(self, message: A | B, ctx: MessageContext) -> str:
            return "child"

    assert Child._parlay_handlers[B][0] is Child.on_union  # pyright: ignore[reportPrivateUsage]
    assert Router._parlay_handlers[B][0] is Router.on_union  # pyright: ignore[reportPrivateUsage]


async def test_decorated_method_checks_types_when_called_directly(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    await Router.register(runtime, "r", Router)
    agent = await runtime.try_get_underlying_agent_instance(AgentId("r", "k"), Router)
    ctx = MessageContext(None, None, True, __import__("parlay_core").CancellationToken(), "m1")
    with pytest.raises(CantHandleException, match="not int"):
        await agent.on_union(5, ctx)  # type: ignore[arg-type]


async def test_event_handler_must_return_none() -> None:
    with pytest.raises(TypeError, match="-> None"):

        class Bad(RoutedAgent):
            @event  # type: ignore[arg-type]
            async def on_a(self, message: A, ctx: MessageContext) -> str:
                return "x"
