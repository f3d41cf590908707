"""ClosureAgent: an agent from one function."""

from __future__ import annotations

import pytest

from parlay_core import (
    ClosureAgent,
    ClosureContext,
    MessageContext,
    SingleThreadedAgentRuntime,
)

from ._agents import Note


async def test_closure_needs_a_message_annotation(runtime: SingleThreadedAgentRuntime) -> None:
    async def bad(ctx: ClosureContext, msg: Note, msg_ctx: MessageContext) -> None:
        pass

    with pytest.raises(TypeError, match="parameter named 'message'"):
        await ClosureAgent.register_closure(runtime, "bad", bad)  # type: ignore[arg-type]
