"""AutoGen's web surfer example, imports renamed, on a local OpenAI-compatible endpoint.

The model is a scripted server on 127.0.0.1 that speaks OpenAI's wire format (the real
``openai`` SDK talks to it); the browser is the machine's Chromium; the page is the local site.
"""

from __future__ import annotations

import json
from typing import Any

from parlay_agentchat.messages import MultiModalMessage, TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_agentchat.ui import Console
from parlay_ext.agents.web_surfer import MultimodalWebSurfer
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer
from tests.integration.web_surfer._site import Site


def _completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


def _tool_call(name: str, **arguments: Any) -> dict[str, Any]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps({"reasoning": "asked", **arguments})},
    }
    return _completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")


async def test_autogen_example_runs_on_a_local_endpoint(
    site: Site, chromium: str, wire: WireServer
) -> None:
    del chromium
    wire.script(
        Reply(body=_tool_call("visit_url", url=f"{site.url}/form")),
        Reply(
            body=_completion({"role": "assistant", "content": "The form asks for a city."}, "stop")
        ),
    )

    # AutoGen's example, with autogen_* renamed to parlay_* (and a local endpoint and page).
    web_surfer_agent = MultimodalWebSurfer(
        name="MultimodalWebSurfer",
        model_client=OpenAIChatCompletionClient(
            model="gpt-4o-2024-08-06", base_url=f"{wire.url}/v1", api_key="sk-test"
        ),
        start_page=f"{site.url}/",
    )
    agent_team = RoundRobinGroupChat([web_surfer_agent], max_turns=2)
    stream = agent_team.run_stream(task="Open the form and tell me what it asks for.")
    result = await Console(stream)
    await web_surfer_agent.close()

    visited, answered = result.messages[1], result.messages[2]
    assert isinstance(visited, MultiModalMessage)
    assert any(f"[The form]({site.url}/form)" in p for p in visited.content if isinstance(p, str))
    assert isinstance(answered, TextMessage)
    assert answered.content == "The form asks for a city."
    # The model was offered the browser tools and shown the marked screenshot.
    first = wire.received[0].body
    names = {tool["function"]["name"] for tool in first["tools"]}
    assert {"visit_url", "web_search", "click", "input_text", "hover"} <= names
    page_view = first["messages"][-2]["content"]
    assert [part["type"] for part in page_view] == ["text", "image_url"]
    assert '"name": "Open the form"' in page_view[0]["text"]
