"""The one place the ``openai`` SDK is imported; a missing SDK names the extra to install."""

from __future__ import annotations

from parlay_ext.models._common import missing_sdk

try:
    import openai
    from openai import AsyncAzureOpenAI, AsyncOpenAI, AsyncStream
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
except ImportError as _error:  # pragma: no cover - exercised in an environment without the SDK
    raise missing_sdk("openai", "openai", _error) from _error

__all__ = [
    "AsyncAzureOpenAI",
    "AsyncOpenAI",
    "AsyncStream",
    "ChatCompletion",
    "ChatCompletionChunk",
    "openai",
]
