"""A config that chooses ``base_url`` does not get the user's environment API key by itself.

The loopback wire server plays the config's server and shows which headers it received: without
``allow_environment_keys=True`` the key from ``OPENAI_API_KEY`` (or Anthropic's variables) never
reaches it; with the permission, or with a client built in code, it does.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from parlay_core import load_component
from parlay_core.exceptions import ModelAPIError
from parlay_core.models import UserMessage
from parlay_ext.models.anthropic import AnthropicChatCompletionClient
from parlay_ext.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer
from tests.ext.test_anthropic_client import MODEL as ANTHROPIC_MODEL
from tests.ext.test_anthropic_client import message, text
from tests.ext.test_openai_client import completion

SECRET = "sk-users-own-secret"
QUESTION = [UserMessage(content="?", source="user")]


@pytest.fixture
def env_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return SECRET


def _config(base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "provider": "OpenAIChatCompletionClient",
        "component_type": "model",
        "config": {"model": "gpt-4o-mini", "base_url": base_url, "max_retries": 0, **extra},
    }


def _sent_key(wire: WireServer) -> str:
    return wire.received[-1].headers["authorization"].removeprefix("Bearer ")


async def test_a_config_does_not_get_the_environment_key(wire: WireServer, env_key: str) -> None:
    with pytest.warns(UserWarning, match="OPENAI_API_KEY") as caught:
        client = load_component(_config(f"{wire.url}/v1"), expected=OpenAIChatCompletionClient)
    [warning] = [w for w in caught if "OPENAI_API_KEY" in str(w.message)]
    message = str(warning.message)
    assert wire.url.removeprefix("http://") in message
    assert "allow_environment_keys=True" in message and "--allow-environment-keys" in message
    wire.script(Reply(body=completion("ok")))
    # A local server that needs no key still answers.
    assert (await client.create(QUESTION)).content == "ok"
    assert env_key not in _sent_key(wire)


async def test_the_caller_may_allow_it(wire: WireServer, env_key: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(
            _config(f"{wire.url}/v1"),
            expected=OpenAIChatCompletionClient,
            allow_environment_keys=True,
        )
    wire.script(Reply(body=completion("ok")))
    await client.create(QUESTION)
    assert _sent_key(wire) == env_key


async def test_a_server_that_wants_the_key_says_how_to_send_it(
    wire: WireServer, env_key: str
) -> None:
    with pytest.warns(UserWarning, match="OPENAI_API_KEY"):
        client = load_component(_config(f"{wire.url}/v1"), expected=OpenAIChatCompletionClient)
    wire.script(Reply(status=401, body={"error": {"message": "Incorrect API key provided"}}))
    with pytest.raises(ModelAPIError) as caught:
        await client.create(QUESTION)
    message = str(caught.value)
    assert "401" in message and "allow_environment_keys=True" in message
    assert env_key not in message


async def test_a_key_in_the_config_is_sent(wire: WireServer, env_key: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(
            _config(f"{wire.url}/v1", api_key="sk-from-config"), expected=OpenAIChatCompletionClient
        )
    wire.script(Reply(body=completion("ok")))
    await client.create(QUESTION)
    assert _sent_key(wire) == "sk-from-config"


async def test_a_client_built_in_code_uses_the_environment_key(
    wire: WireServer, env_key: str
) -> None:
    # The user chose the URL in code: their choice, as before.
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", base_url=f"{wire.url}/v1", max_retries=0
    )
    wire.script(Reply(body=completion("ok")))
    await client.create(QUESTION)
    assert _sent_key(wire) == env_key


async def test_without_an_environment_key_a_local_config_just_works(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(_config(f"{wire.url}/v1"), expected=OpenAIChatCompletionClient)
    wire.script(Reply(body=completion("ok")))
    assert (await client.create(QUESTION)).content == "ok"


@pytest.mark.parametrize(
    "base_url",
    [
        None,
        "https://api.openai.com/v1",
    ],
)
def test_openais_own_endpoint_gets_the_environment_key(env_key: str, base_url: str | None) -> None:
    config = _config(base_url or "unused")
    if base_url is None:
        del config["config"]["base_url"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(config, expected=OpenAIChatCompletionClient)
    assert client._client.api_key == env_key  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.openai.com/v1",  # not https: anyone on the path would read the key
        "https://api.openai.com.example.net/v1",
        "https://generativelanguage.googleapis.com/v1beta/openai/",  # OPENAI_API_KEY is not Google's
    ],
)
def test_other_endpoints_do_not(env_key: str, base_url: str) -> None:
    with pytest.warns(UserWarning, match="OPENAI_API_KEY"):
        client = load_component(_config(base_url), expected=OpenAIChatCompletionClient)
    assert client._client.api_key != env_key  # pyright: ignore[reportPrivateUsage]


def _anthropic_config(base_url: str) -> dict[str, Any]:
    return {
        "provider": "parlay_ext.models.anthropic.AnthropicChatCompletionClient",
        "component_type": "model",
        "config": {"model": ANTHROPIC_MODEL, "base_url": base_url, "max_retries": 0},
    }


def _headers_hold(wire: WireServer, secret: str) -> bool:
    return any(secret in value for value in wire.received[-1].headers.values())


@pytest.mark.parametrize("variable", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"])
async def test_anthropic_config_does_not_get_the_environment_credential(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.setenv(variable, SECRET)
    with pytest.warns(UserWarning, match=variable) as caught:
        client = load_component(_anthropic_config(wire.url), expected=AnthropicChatCompletionClient)
    assert any(wire.url.removeprefix("http://") in str(w.message) for w in caught)
    wire.script(Reply(body=message(text("ok"))))
    assert (await client.create(QUESTION)).content == "ok"
    assert not _headers_hold(wire, SECRET)
    wire.script(Reply(status=401, body={"type": "error", "error": {"message": "bad key"}}))
    with pytest.raises(ModelAPIError, match="allow_environment_keys=True"):
        await client.create(QUESTION)


async def test_anthropic_config_with_permission_sends_it(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(
            _anthropic_config(wire.url),
            expected=AnthropicChatCompletionClient,
            allow_environment_keys=True,
        )
    wire.script(Reply(body=message(text("ok"))))
    await client.create(QUESTION)
    assert _headers_hold(wire, SECRET)


def test_anthropics_own_endpoint_gets_the_environment_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(
            _anthropic_config("https://api.anthropic.com"), expected=AnthropicChatCompletionClient
        )
    assert client._client.api_key == SECRET  # pyright: ignore[reportPrivateUsage]


def _azure_config(endpoint: str) -> dict[str, Any]:
    return {
        "provider": "AzureOpenAIChatCompletionClient",
        "component_type": "model",
        "config": {
            "model": "gpt-4o-mini",
            "azure_endpoint": endpoint,
            "api_version": "2024-10-21",
            "max_retries": 0,
        },
    }


@pytest.mark.parametrize("allowed", [False, True])
async def test_azure_config_gets_the_environment_key_only_with_permission(
    wire: WireServer, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    monkeypatch.delenv("AZURE_OPENAI_AD_TOKEN", raising=False)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = load_component(
            _azure_config(wire.url),
            expected=AzureOpenAIChatCompletionClient,
            allow_environment_keys=allowed,
        )
    said = " ".join(str(w.message) for w in caught)
    assert ("AZURE_OPENAI_API_KEY" in said) is not allowed
    wire.script(Reply(body=completion("ok")))
    await client.create(QUESTION)
    assert any(SECRET in value for value in wire.received[-1].headers.values()) is allowed


def test_an_azure_resource_gets_the_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_OPENAI_AD_TOKEN", raising=False)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A socket of an earlier test collected meanwhile is not this code's warning.
        warnings.simplefilter("ignore", ResourceWarning)
        client = load_component(
            _azure_config("https://my-resource.openai.azure.com/"),
            expected=AzureOpenAIChatCompletionClient,
        )
    assert client._client.api_key == SECRET  # pyright: ignore[reportPrivateUsage]
