"""default_model_client picks OpenAI, Anthropic or the embedded model from the environment."""

from __future__ import annotations

import pytest

from parlay_ext.models import default_model_client


def test_openai_key_wins(capsys: pytest.CaptureFixture[str]) -> None:
    from parlay_ext.models.openai import OpenAIChatCompletionClient

    client = default_model_client(
        environ={"OPENAI_API_KEY": "sk-x", "ANTHROPIC_API_KEY": "ak"}, api_key="sk-x"
    )
    assert isinstance(client, OpenAIChatCompletionClient)
    assert client.dump_component().config["model"] == "gpt-4o-mini"
    assert "Using OpenAI (gpt-4o-mini)" in capsys.readouterr().err


def test_anthropic_key_next(capsys: pytest.CaptureFixture[str]) -> None:
    from parlay_ext.models.anthropic import AnthropicChatCompletionClient

    env = {"ANTHROPIC_API_KEY": "ak", "PARLAY_ANTHROPIC_MODEL": "claude-3-5-sonnet-latest"}
    client = default_model_client(environ=env, api_key="ak")
    assert isinstance(client, AnthropicChatCompletionClient)
    assert client.dump_component().config["model"] == "claude-3-5-sonnet-latest"
    assert "Using Anthropic" in capsys.readouterr().err


def test_no_key_means_the_embedded_model(capsys: pytest.CaptureFixture[str]) -> None:
    from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient

    client = default_model_client(environ={})
    assert isinstance(client, LlamaCppChatCompletionClient)
    assert client.model_path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "embedded offline model" in capsys.readouterr().err


def test_forcing_local_ignores_keys_and_quiet_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient

    env = {"OPENAI_API_KEY": "sk-x", "PARLAY_MODEL_CLIENT": "local"}
    client = default_model_client(environ=env, quiet=True)
    assert isinstance(client, LlamaCppChatCompletionClient)
    assert capsys.readouterr().err == ""


def test_unknown_forced_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="PARLAY_MODEL_CLIENT"):
        default_model_client(environ={"PARLAY_MODEL_CLIENT": "gemini"})


def test_missing_gguf_path_from_the_environment_is_a_typed_error() -> None:
    from parlay_core.exceptions import ModelClientError

    with pytest.raises(ModelClientError, match="does not exist"):
        default_model_client(environ={"PARLAY_GGUF_PATH": "/nonexistent/model.gguf"}, quiet=True)


def test_registered_as_an_entry_point() -> None:
    from parlay_core.plugins import MODEL_CLIENTS, load_plugin
    from parlay_ext.models import DefaultChatCompletionClient

    # A component class, so that configs may say "provider": "default".
    assert load_plugin(MODEL_CLIENTS, "default") is DefaultChatCompletionClient
