"""Model contexts: which part of a conversation an agent sends to its model.

Every context keeps the whole conversation (so states are interchangeable) and differs only in
the window :meth:`~ChatCompletionContext.get_messages` returns.
"""

from parlay_core.model_context._buffered import (
    BufferedChatCompletionContext,
    BufferedChatCompletionContextConfig,
)
from parlay_core.model_context._chat_completion_context import (
    ChatCompletionContext,
    ChatCompletionContextState,
)
from parlay_core.model_context._head_and_tail import (
    HeadAndTailChatCompletionContext,
    HeadAndTailChatCompletionContextConfig,
)
from parlay_core.model_context._token_limited import (
    TokenLimitedChatCompletionContext,
    TokenLimitedChatCompletionContextConfig,
)
from parlay_core.model_context._unbounded import (
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
