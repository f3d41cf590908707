"""Helpers shared by the agentchat tests: scripted model replies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from parlay_agentchat.agents import BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.messages import BaseChatMessage, TextMessage
from parlay_core import CancellationToken, FunctionCall
from parlay_core.models import CreateResult, ModelInfo, RequestUsage
from parlay_core.testing import ReplayChatCompletionClient

TOOL_MODEL = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=True,
    family="unknown",
    structured_output=True,
)


def call(name: str, call_id: str = "c1", **arguments: Any) -> FunctionCall:
    """A function call with JSON arguments."""
    return FunctionCall(id=call_id, name=name, arguments=json.dumps(arguments))


def tool_calls(*calls: FunctionCall) -> CreateResult:
    """A scripted model result that calls tools."""
    return CreateResult(
        finish_reason="function_calls",
        content=list(calls),
        usage=RequestUsage(prompt_tokens=10, completion_tokens=5),
        cached=False,
    )


def replay(*responses: str | CreateResult) -> ReplayChatCompletionClient:
    """A replay client whose model can call functions."""
    return ReplayChatCompletionClient(list(responses), model_info=TOOL_MODEL)


class Scripted(BaseChatAgent):
    """A chat agent with scripted text replies; it can be held at a gate and records calls."""

    def __init__(self, name: str, replies: list[str] | None = None, *, gated: bool = False) -> None:
        super().__init__(name, f"Scripted agent {name}.")
        self.replies = list(replies or [])
        self.gated = gated
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.calls: list[str] = []
        self.seen: list[list[str]] = []

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        self.seen.append([m.to_text() for m in messages])
        self.entered.set()
        if self.gated:
            waiter = asyncio.ensure_future(self.gate.wait())
            cancellation_token.link_future(waiter)
            await waiter
        if not self.replies:
            raise RuntimeError(f"{self.name} has no reply left")
        return Response(chat_message=TextMessage(content=self.replies.pop(0), source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.calls.append("reset")

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        self.calls.append("pause")

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        self.calls.append("resume")

    async def save_state(self) -> Mapping[str, Any]:
        return {"type": "ScriptedState", "version": "1.0.0", "replies": list(self.replies)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.replies = list(state["replies"])
