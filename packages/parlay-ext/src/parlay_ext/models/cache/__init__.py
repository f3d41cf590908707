"""Caching model results: :class:`ChatCompletionCache` wraps any client over any cache store."""

from parlay_ext.models.cache._cache import (
    CHAT_CACHE_VALUE_TYPE,
    ChatCompletionCache,
    ChatCompletionCacheConfig,
)

__all__ = ["CHAT_CACHE_VALUE_TYPE", "ChatCompletionCache", "ChatCompletionCacheConfig"]
