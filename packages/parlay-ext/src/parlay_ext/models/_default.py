"""Choosing a model client from the environment: a provider when a key is set, else offline."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from parlay_core.models import ChatCompletionClient
from parlay_ext.models._common import announce

__all__ = ["DEFAULT_ANTHROPIC_MODEL", "DEFAULT_OPENAI_MODEL", "default_model_client"]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
"""The model :func:`default_model_client` uses when ``OPENAI_API_KEY`` is set."""

DEFAULT_ANTHROPIC_MODEL = "claude-3-5-haiku-latest"
"""The model :func:`default_model_client` uses when ``ANTHROPIC_API_KEY`` is set."""


def default_model_client(
    *, environ: Mapping[str, str] | None = None, quiet: bool = False, **kwargs: Any
) -> ChatCompletionClient:
    """Return a model client chosen from the environment, and say which one.

    The choice, in order:

    1. ``OPENAI_API_KEY`` is set: :class:`~parlay_ext.models.openai.OpenAIChatCompletionClient`
       with ``PARLAY_OPENAI_MODEL`` (default ``gpt-4o-mini``);
    2. ``ANTHROPIC_API_KEY`` is set:
       :class:`~parlay_ext.models.anthropic.AnthropicChatCompletionClient` with
       ``PARLAY_ANTHROPIC_MODEL`` (default ``claude-3-5-haiku-latest``);
    3. otherwise the embedded offline model,
       :class:`~parlay_ext.models.llama_cpp.LlamaCppChatCompletionClient` (SmolLM2-135M-Instruct
       unless ``PARLAY_GGUF_PATH`` names another GGUF file).

    ``PARLAY_MODEL_CLIENT=openai|anthropic|local`` forces one of the three regardless of keys
    (``local`` keeps a run offline on a machine that has provider keys set).

    Args:
        environ: Where to read the variables (default ``os.environ``).
        quiet: Log the choice only, without printing it to standard error.
        **kwargs: Passed to the chosen client's constructor.

    Returns:
        The chosen client.

    Raises:
        ImportError: The chosen client's extra is not installed; the message names it.
        ValueError: ``PARLAY_MODEL_CLIENT`` names no known client.
    """
    env = os.environ if environ is None else environ
    forced = env.get("PARLAY_MODEL_CLIENT", "").strip().lower()
    if forced not in ("", "openai", "anthropic", "local"):
        raise ValueError(
            f"PARLAY_MODEL_CLIENT={forced!r} is not one of 'openai', 'anthropic', 'local'."
        )
    if forced == "openai" or (not forced and env.get("OPENAI_API_KEY")):
        from parlay_ext.models.openai import OpenAIChatCompletionClient

        model = env.get("PARLAY_OPENAI_MODEL", DEFAULT_OPENAI_MODEL)
        announce(f"Using OpenAI ({model}): OPENAI_API_KEY is set.", quiet=quiet)
        kwargs.setdefault("model", model)
        return OpenAIChatCompletionClient(**kwargs)
    if forced == "anthropic" or (not forced and env.get("ANTHROPIC_API_KEY")):
        from parlay_ext.models.anthropic import AnthropicChatCompletionClient

        model = env.get("PARLAY_ANTHROPIC_MODEL", DEFAULT_ANTHROPIC_MODEL)
        announce(f"Using Anthropic ({model}): ANTHROPIC_API_KEY is set.", quiet=quiet)
        kwargs.setdefault("model", model)
        return AnthropicChatCompletionClient(**kwargs)
    from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient

    path = env.get("PARLAY_GGUF_PATH")
    if path:
        kwargs.setdefault("model_path", path)
    kwargs.setdefault("quiet", quiet)
    why = "forced by PARLAY_MODEL_CLIENT" if forced else "no OPENAI_API_KEY or ANTHROPIC_API_KEY"
    announce(f"Using the embedded offline model (llama.cpp, {why}).", quiet=quiet)
    return LlamaCppChatCompletionClient(**kwargs)
