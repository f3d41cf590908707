"""The OpenAI client used by AgentChat agents, over real HTTP to a scripted loopback server.

Here because it needs parlay-agentchat and parlay-ext together (see test_ext_tools_in_agents).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import StructuredMessage, TextMessage
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer
from tests.ext.test_openai_client import completion


class Verdict(BaseModel):
    thoughts: str
    response: str


VERDICT = '{"thoughts": "It is a greeting.", "response": "Hello!"}'


def client(wire: WireServer, **kwargs: Any) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(
        model="gpt-4o-mini", api_key="sk-test", base_url=f"{wire.url}/v1", max_retries=0, **kwargs
    )


async def test_agent_with_a_response_format_class_on_its_client(wire: WireServer) -> None:
    # AutoGen's 0.4-era structured-output recipe: the class goes to the client, and the agent's
    # reply is the JSON text, which the program validates itself.
    wire.script(Reply(body=completion(VERDICT)))
    with pytest.warns(DeprecationWarning, match="response_format"):
        model_client = client(wire, response_format=Verdict)
    agent = AssistantAgent("judge", model_client=model_client)
    result = await agent.run(task="Say hi.")
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert Verdict.model_validate_json(reply.content).response == "Hello!"
    fmt = wire.received[0].body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Verdict"


async def test_agent_output_content_type_with_the_openai_client(wire: WireServer) -> None:
    wire.script(Reply(body=completion(VERDICT)))
    agent = AssistantAgent("judge", model_client=client(wire), output_content_type=Verdict)
    result = await agent.run(task="Say hi.")
    reply = result.messages[-1]
    assert isinstance(reply, StructuredMessage)
    expected = Verdict(thoughts="It is a greeting.", response="Hello!")
    assert reply.content == expected  # pyright: ignore[reportUnknownMemberType]
    assert wire.received[0].body["response_format"]["json_schema"]["name"] == "Verdict"
