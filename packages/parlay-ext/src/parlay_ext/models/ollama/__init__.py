"""Ollama through its OpenAI-compatible API (``http://localhost:11434/v1`` by default).

Needs the ``openai`` extra: ``pip install "parlay-ext[openai]"``. The client is
:class:`~parlay_ext.models.openai.OpenAIChatCompletionClient` with Ollama's defaults; it also
accepts the ``host`` and ``options`` fields of AutoGen's Ollama client, so those configs load.
"""

from parlay_ext.models.ollama._client import (
    DEFAULT_OLLAMA_BASE_URL,
    OllamaChatCompletionClient,
    OllamaClientConfigurationConfigModel,
)

__all__ = [
    "DEFAULT_OLLAMA_BASE_URL",
    "OllamaChatCompletionClient",
    "OllamaClientConfigurationConfigModel",
]
