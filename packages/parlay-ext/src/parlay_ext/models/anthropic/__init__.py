"""Anthropic's Claude models on the Messages API.

Needs the ``anthropic`` extra: ``pip install "parlay-ext[anthropic]"``. The client follows
AutoGen's ``autogen_ext.models.anthropic``: same name, same config fields.
"""

from parlay_ext.models.anthropic._client import AnthropicChatCompletionClient
from parlay_ext.models.anthropic._config import (
    AnthropicClientConfigurationConfigModel,
    CreateArgumentsConfigModel,
)
from parlay_ext.models.anthropic._model_info import known_model_info

__all__ = [
    "AnthropicChatCompletionClient",
    "AnthropicClientConfigurationConfigModel",
    "CreateArgumentsConfigModel",
    "known_model_info",
]
