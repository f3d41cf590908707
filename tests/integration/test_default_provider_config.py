"""A config with ``"provider": "default"`` loads the model client the environment chooses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_core import load_component
from parlay_core.models import ChatCompletionClient, UserMessage
from parlay_ext.models import DefaultChatCompletionClient, default_model_client
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer
from tests.ext.test_masked_model_keys import openai_completion


@pytest.fixture
def openai_env(wire: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{wire.url}/v1")
    monkeypatch.delenv("PARLAY_MODEL_CLIENT", raising=False)
    return wire


async def test_provider_default_loads_and_answers(openai_env: WireServer) -> None:
    client = load_component({"provider": "default", "component_type": "model", "config": {}})
    assert isinstance(client, DefaultChatCompletionClient)
    assert isinstance(client.client, OpenAIChatCompletionClient)
    openai_env.script(Reply(body=openai_completion("hello")))
    result = await client.create([UserMessage(content="hi", source="user")])
    assert result.content == "hello"
    assert client.total_usage().prompt_tokens == 3
    assert openai_env.received[0].body["model"] == "gpt-4o-mini"


def test_it_dumps_as_the_default_choice_and_loads_back(openai_env: WireServer) -> None:
    client = ChatCompletionClient.load_component({"provider": "default", "config": {}})
    dumped = json.loads(client.dump_component().model_dump_json())
    assert dumped["provider"] == "parlay_ext.models.DefaultChatCompletionClient"
    assert dumped["config"] == {}
    assert isinstance(ChatCompletionClient.load_component(dumped), DefaultChatCompletionClient)


def test_an_agent_config_may_name_the_default_model(openai_env: WireServer) -> None:
    config = AssistantAgent("writer", DefaultChatCompletionClient()).dump_component()
    data = json.loads(config.model_dump_json())
    data["config"]["model_client"] = {"provider": "default", "config": {}}
    agent = AssistantAgent.load_component(data)
    assert isinstance(agent, AssistantAgent)


def test_the_function_still_returns_the_chosen_client_itself(openai_env: WireServer) -> None:
    assert isinstance(default_model_client(quiet=True), OpenAIChatCompletionClient)


def test_parlay_check_loads_a_team_file_naming_the_default_model(
    openai_env: WireServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from parlay_agentchat.cli import main
    from parlay_agentchat.teams import RoundRobinGroupChat

    team = RoundRobinGroupChat([AssistantAgent("writer", DefaultChatCompletionClient())])
    data = json.loads(team.dump_component().model_dump_json())
    writer = data["config"]["participants"][0]["config"]
    writer["model_client"] = {"provider": "default", "component_type": "model", "config": {}}
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "a team, RoundRobinGroupChat; it loads." in capsys.readouterr().out
