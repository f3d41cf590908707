"""The messages a model client exchanges with a model, and what a model call returns.

Each message model carries a ``type`` discriminator, so a list of :data:`LLMMessage` dumps to JSON
and loads back to the right classes. Field names, field order and the discriminator values follow
AutoGen 0.4, which keeps saved conversation states portable between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field

from parlay_core._construct import FastConstruct
from parlay_core._image import Image
from parlay_core._types import FunctionCall

__all__ = [
    "AssistantMessage",
    "ChatCompletionTokenLogprob",
    "CreateResult",
    "FinishReasons",
    "FunctionExecutionResult",
    "FunctionExecutionResultMessage",
    "LLMMessage",
    "RequestUsage",
    "SystemMessage",
    "TopLogprob",
    "UserMessage",
]


class _EditCount:
    """How many times a field of a model message was assigned, process-wide.

    Token estimates of a conversation are reused from one model call to the next
    (:class:`~parlay_core.models.PromptTokenTally`) as long as this has not moved: it is what
    tells them that a message already counted may have been changed in place.
    """

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


MESSAGE_EDITS = _EditCount()


def _setattr_counting_edits(self: BaseModel, name: str, value: Any) -> None:
    # Any field, not only the counted ones: assignments are rare, and a moved count costs a tally
    # one full re-estimate, never a wrong one.
    MESSAGE_EDITS.value += 1
    BaseModel.__setattr__(self, name, value)


class SystemMessage(FastConstruct):
    """Instructions for the model from the application developer.

    Attributes:
        content: The instruction text.
    """

    content: str
    type: Literal["SystemMessage"] = "SystemMessage"

    __setattr__ = _setattr_counting_edits


class UserMessage(FastConstruct):
    """Input from a user or another agent.

    Attributes:
        content: Text, or a list mixing text and :class:`~parlay_core.Image` parts.
        source: The name of whoever sent it (a user or an agent).
    """

    content: Union[str, list[Union[str, Image]]]
    source: str
    type: Literal["UserMessage"] = "UserMessage"

    __setattr__ = _setattr_counting_edits


class AssistantMessage(FastConstruct):
    """A reply the model produced: text, or a list of function (tool) calls.

    Attributes:
        content: The reply text, or the function calls the model requested.
        thought: The model's reasoning text, for models that expose it.
        source: The name of the agent that produced the reply.
    """

    content: Union[str, list[FunctionCall]]
    thought: str | None = None
    source: str
    type: Literal["AssistantMessage"] = "AssistantMessage"

    __setattr__ = _setattr_counting_edits


class FunctionExecutionResult(FastConstruct):
    """The outcome of one function call, sent back to the model.

    Attributes:
        content: The result (or error) as text.
        name: The name of the function that was called.
        call_id: The :attr:`FunctionCall.id` this result answers.
        is_error: Whether the call failed.
    """

    content: str
    name: str
    call_id: str
    is_error: bool | None = None


class FunctionExecutionResultMessage(FastConstruct):
    """The results of the function calls of the preceding :class:`AssistantMessage`.

    Attributes:
        content: One result per call.
    """

    content: list[FunctionExecutionResult]
    type: Literal["FunctionExecutionResultMessage"] = "FunctionExecutionResultMessage"

    __setattr__ = _setattr_counting_edits


LLMMessage = Annotated[
    Union[SystemMessage, UserMessage, AssistantMessage, FunctionExecutionResultMessage],
    Field(discriminator="type"),
]
# Also set at run time, so help() and API docs show it on the alias itself.
LLMMessage.__doc__ = """Any message of a model conversation, told apart by its ``type`` field."""


@dataclass
class RequestUsage:
    """Token usage of one model call (or a sum of calls).

    Attributes:
        prompt_tokens: Tokens sent to the model.
        completion_tokens: Tokens the model produced.
    """

    prompt_tokens: int
    completion_tokens: int


FinishReasons = Literal["stop", "length", "function_calls", "content_filter", "unknown"]
FinishReasons.__doc__ = """Why the model stopped producing output."""


@dataclass
class TopLogprob:
    """One alternative token and its log probability.

    Attributes:
        logprob: The log probability.
        bytes: The UTF-8 bytes of the token, when the provider reports them.
    """

    logprob: float
    bytes: list[int] | None = None


class ChatCompletionTokenLogprob(BaseModel):
    """The log probability of one produced token.

    Attributes:
        token: The token text.
        logprob: Its log probability.
        top_logprobs: The most likely alternatives at this position.
        bytes: The UTF-8 bytes of the token, when the provider reports them.
    """

    token: str
    logprob: float
    top_logprobs: list[TopLogprob] | None = None
    bytes: list[int] | None = None


class CreateResult(BaseModel):
    """What :meth:`ChatCompletionClient.create` returns.

    Attributes:
        finish_reason: Why the model stopped.
        content: The reply text, or the function calls the model requested.
        usage: Token usage of this call.
        cached: Whether the result came from a cache rather than the model.
        logprobs: Per-token log probabilities, when requested and supported.
        thought: The model's reasoning text, for models that expose it.
    """

    finish_reason: FinishReasons
    content: Union[str, list[FunctionCall]]
    usage: RequestUsage
    cached: bool
    logprobs: list[ChatCompletionTokenLogprob] | None = None
    thought: str | None = None
