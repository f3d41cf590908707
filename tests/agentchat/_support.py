"""Helpers shared by the agentchat tests: scripted model replies."""

from __future__ import annotations

import json
from typing import Any

from parlay_core import FunctionCall
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
