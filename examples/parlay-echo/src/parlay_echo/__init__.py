"""parlay-echo: an echo model client and an echo tool, offered to Parlay as entry-point plugins."""

from parlay_echo._client import EchoChatCompletionClient, EchoClientConfig
from parlay_echo._tool import EchoArgs, EchoTool, EchoToolConfig

__all__ = [
    "EchoArgs",
    "EchoChatCompletionClient",
    "EchoClientConfig",
    "EchoTool",
    "EchoToolConfig",
]
