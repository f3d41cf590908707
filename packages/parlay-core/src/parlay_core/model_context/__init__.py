"""Model contexts: which part of a conversation an agent sends to its model.

Every context keeps the whole conversation (so states are interchangeable) and differs only in
the window :meth:`~ChatCompletionContext.get_messages` returns.
"""

from parlay_core.model_context._chat_completion_context import (
    ChatCompletionContext,
    ChatCompletionContextState,
)
from parlay_core.model_context._token_limited import (
    TokenLimitedChatCompletionContext,
    TokenLimitedChatCompletionContextConfig,
)
from parlay_core.model_context._window_contexts import (
    BufferedChatCompletionContext,
    BufferedChatCompletionContextConfig,
    HeadAndTailChatCompletionContext,
    HeadAndTailChatCompletionContextConfig,
    UnboundedChatCompletionContext,
    UnboundedChatCompletionContextConfig,
)

__all__ = [
    "BufferedChatCompletionContext",
    "BufferedChatCompletionContextConfig",
    "ChatCompletionContext",
    "ChatCompletionContextState",
    "HeadAndTailChatCompletionContext",
    "HeadAndTailChatCompletionContextConfig",
    "TokenLimitedChatCompletionContext",
    "TokenLimitedChatCompletionContextConfig",
    "UnboundedChatCompletionContext",
    "UnboundedChatCompletionContextConfig",
]
