"""The scripted replay client, where AutoGen code looks for it (``autogen_ext.models.replay``).

It lives in :mod:`parlay_core.testing`, so tests need no extra; this module re-exports it.
"""

from parlay_core.testing import ReplayChatCompletionClient

__all__ = ["ReplayChatCompletionClient"]
