"""OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama, vLLM, llama.cpp server, Gemini).

Needs the ``openai`` extra: ``pip install "parlay-ext[openai]"``. The clients follow AutoGen's
``autogen_ext.models.openai``: same names, same config fields.
"""

from parlay_ext.models.openai._client import (
    AzureOpenAIChatCompletionClient,
    BaseOpenAIChatCompletionClient,
    OpenAIChatCompletionClient,
)
from parlay_ext.models.openai._config import (
    AzureOpenAIClientConfigurationConfigModel,
    BaseOpenAIClientConfigurationConfigModel,
    CreateArgumentsConfigModel,
    OpenAIClientConfigurationConfigModel,
)
from parlay_ext.models.openai._model_info import known_model_info, resolve_model_info

__all__ = [
    "AzureOpenAIChatCompletionClient",
    "AzureOpenAIClientConfigurationConfigModel",
    "BaseOpenAIChatCompletionClient",
    "BaseOpenAIClientConfigurationConfigModel",
    "CreateArgumentsConfigModel",
    "OpenAIChatCompletionClient",
    "OpenAIClientConfigurationConfigModel",
    "known_model_info",
    "resolve_model_info",
]
