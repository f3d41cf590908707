"""A misspelt model name on OpenAI's own API is warned about at construction."""

from __future__ import annotations

import warnings

import pytest

from parlay_core.models import ModelFamily, ModelInfo
from parlay_ext.models.openai import OpenAIChatCompletionClient


@pytest.fixture(autouse=True)
def _openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def _warnings_of(**kwargs: object) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        OpenAIChatCompletionClient(**kwargs)  # type: ignore[arg-type]
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_a_typo_names_the_unknown_model_and_the_closest_known_ones() -> None:
    with pytest.warns(UserWarning, match="Did you mean") as caught:
        client = OpenAIChatCompletionClient(model="gpt-4o-mni")
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages  # one warning, not also the "assumed defaults" one
    assert "'gpt-4o-mni'" in messages[0] and "'gpt-4o-mini'" in messages[0]
    assert caught[0].filename == __file__  # it points at the caller's line
    assert client.model_info["family"] == ModelFamily.GPT_4O


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "o1-preview",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-16k",
        "gpt-4o-audio-preview",
        "gpt-5-chat-latest",
        "GPT-4.1-mini",
    ],
)
def test_known_names_and_dated_snapshots_do_not_warn(model: str) -> None:
    assert _warnings_of(model=model) == []


def test_the_official_url_given_explicitly_is_checked_too() -> None:
    messages = _warnings_of(model="gpt4o", base_url="https://api.openai.com/v1")
    assert len(messages) == 1 and "'gpt4o'" in messages[0] and "'gpt-4o'" in messages[0]


def test_a_name_far_from_any_known_one_still_warns_without_a_guess() -> None:
    messages = _warnings_of(model="my-fine-tune-zzz")
    assert len(messages) == 1 and "not a model Parlay knows on OpenAI's API" in messages[0]


def test_custom_endpoints_serve_their_own_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # A local server's names are its own: only the usual "unknown capabilities" warning.
    messages = _warnings_of(model="gpt-4o-mni", base_url="http://127.0.0.1:11434/v1")
    assert not any("Did you mean" in m for m in messages)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    messages = _warnings_of(model="gpt-4o-mni")
    assert not any("Did you mean" in m for m in messages)


def test_model_info_given_means_no_name_check() -> None:
    info = ModelInfo(
        vision=False,
        function_calling=True,
        json_output=True,
        family=ModelFamily.UNKNOWN,
        structured_output=True,
    )
    assert _warnings_of(model="gpt-9-preview-x", model_info=info) == []


def test_a_loaded_config_with_a_typo_warns_too() -> None:
    config = {"provider": "openai", "config": {"model": "gpt-4o-mni", "api_key": "sk-test"}}
    with pytest.warns(UserWarning, match="gpt-4o-mini"):
        OpenAIChatCompletionClient.load_component(config)
