"""Test helpers: a scripted model client that needs no model and no network."""

from parlay_core.testing._replay import (
    ReplayCall,
    ReplayChatCompletionClient,
    ReplayChatCompletionClientConfig,
)

__all__ = ["ReplayCall", "ReplayChatCompletionClient", "ReplayChatCompletionClientConfig"]
