"""Model clients and the messages they exchange with models.

A :class:`ChatCompletionClient` sends a list of :data:`LLMMessage` to a model and returns a
:class:`CreateResult`. Message and result shapes follow AutoGen 0.4, so saved conversations and
configs carry over.
"""

from parlay_core.models._model_client import ChatCompletionClient
from parlay_core.models._model_info import (
    ModelCapabilities,
    ModelFamily,
    ModelInfo,
    validate_model_info,
)
from parlay_core.models._token_counting import (
    IMAGE_TOKENS,
    PromptTokenTally,
    approximate_message_tokens,
    approximate_text_tokens,
)
from parlay_core.models._types import (
    AssistantMessage,
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    TopLogprob,
    UserMessage,
)

__all__ = [
    "IMAGE_TOKENS",
    "AssistantMessage",
    "ChatCompletionClient",
    "ChatCompletionTokenLogprob",
    "CreateResult",
    "FinishReasons",
    "FunctionExecutionResult",
    "FunctionExecutionResultMessage",
    "LLMMessage",
    "ModelCapabilities",
    "ModelFamily",
    "ModelInfo",
    "PromptTokenTally",
    "RequestUsage",
    "SystemMessage",
    "TopLogprob",
    "UserMessage",
    "approximate_message_tokens",
    "approximate_text_tokens",
    "validate_model_info",
]
