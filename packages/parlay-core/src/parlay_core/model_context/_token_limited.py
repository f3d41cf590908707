"""A model context that keeps the prompt within a token budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._component_config import Component, ComponentModel
from parlay_core._exceptions import ComponentConfigError
from parlay_core.model_context._chat_completion_context import (
    ChatCompletionContext,
    drop_leading_function_results,
)
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    FunctionExecutionResultMessage,
    LLMMessage,
)

if TYPE_CHECKING:
    from parlay_core.tools import ToolSchema

__all__ = ["TokenLimitedChatCompletionContext", "TokenLimitedChatCompletionContextConfig"]


class TokenLimitedChatCompletionContextConfig(BaseModel):
    """Configuration of :class:`TokenLimitedChatCompletionContext`.

    Attributes:
        model_client: The component config of the client that counts tokens.
        token_limit: The budget; ``None`` means the model's own remaining context window.
        tool_schema: Tool definitions that are sent along and count against the budget.
        initial_messages: Messages the context starts with.
    """

    model_client: ComponentModel
    token_limit: int | None = None
    # Plain dicts: the config must load without importing the tools layer.
    tool_schema: list[dict[str, Any]] | None = None
    initial_messages: list[LLMMessage] | None = None


def _is_call_request(message: LLMMessage) -> bool:
    return isinstance(message, AssistantMessage) and isinstance(message.content, list)


def _remove_middle(messages: list[LLMMessage]) -> None:
    # Removing from the middle keeps both the opening (system prompt, task) and the latest turns.
    # A function-call request and its results go together: providers reject either one alone.
    index = len(messages) // 2
    start, stop = index, index + 1
    if _is_call_request(messages[index]):
        if stop < len(messages) and isinstance(messages[stop], FunctionExecutionResultMessage):
            stop += 1
    elif (
        isinstance(messages[index], FunctionExecutionResultMessage)
        and start > 0
        and _is_call_request(messages[start - 1])
    ):
        start -= 1
    del messages[start:stop]


class TokenLimitedChatCompletionContext(
    ChatCompletionContext, Component[TokenLimitedChatCompletionContextConfig]
):
    """Returns as much of the conversation as fits in a token budget.

    While the messages (plus ``tool_schema``) exceed the budget, the message in the middle of
    the conversation is removed, so the first messages (the task) and the latest ones survive
    longest. A function-call request and its results are removed together, and results left at
    the start of the window are dropped, as in :class:`BufferedChatCompletionContext`.

    Tokens are counted by ``model_client.count_tokens`` (or ``remaining_tokens`` when there is
    no ``token_limit``), so the budget is as exact as the client's counter.

    Args:
        model_client: The client that counts tokens, normally the one the agent uses.
        token_limit: The budget; ``None`` keeps the prompt within the model's context window.
        tool_schema: Tool definitions that count against the budget.
        initial_messages: Messages the context starts with.

    Raises:
        ComponentConfigError: ``token_limit`` is less than 1.
    """

    component_config_schema = TokenLimitedChatCompletionContextConfig
    component_provider_override = "parlay_core.model_context.TokenLimitedChatCompletionContext"

    def __init__(
        self,
        model_client: ChatCompletionClient,
        token_limit: int | None = None,
        *,
        tool_schema: Sequence[ToolSchema] | None = None,
        initial_messages: Sequence[LLMMessage] | None = None,
    ) -> None:
        super().__init__(initial_messages)
        if token_limit is not None and token_limit <= 0:
            raise ComponentConfigError(
                f"token_limit must be at least 1, got {token_limit}. Pass None to use the "
                "model's own context window."
            )
        self._model_client = model_client
        self._token_limit = token_limit
        self._tool_schema: list[ToolSchema] = list(tool_schema or ())

    def _fits(self, messages: list[LLMMessage]) -> bool:
        if self._token_limit is None:
            return self._model_client.remaining_tokens(messages, tools=self._tool_schema) >= 0
        return (
            self._model_client.count_tokens(messages, tools=self._tool_schema) <= self._token_limit
        )

    async def get_messages(self) -> list[LLMMessage]:
        """Return the messages that fit in the budget, oldest first."""
        messages = list(self._messages)
        while messages and not self._fits(messages):
            _remove_middle(messages)
        return drop_leading_function_results(messages)

    def _to_config(self) -> TokenLimitedChatCompletionContextConfig:
        return TokenLimitedChatCompletionContextConfig(
            model_client=self._model_client.dump_component(),
            token_limit=self._token_limit,
            tool_schema=[dict(schema) for schema in self._tool_schema] or None,
            initial_messages=self._initial_messages,
        )

    @classmethod
    def _from_config(cls, config: TokenLimitedChatCompletionContextConfig) -> Self:
        return cls(
            model_client=ChatCompletionClient.load_component(config.model_client),
            token_limit=config.token_limit,
            tool_schema=cast("list[ToolSchema] | None", config.tool_schema),
            initial_messages=config.initial_messages,
        )
