"""A scripted model client: returns given responses in order, with no model and no network."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel
from typing_extensions import Self, TypedDict

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import Component
from parlay_core._constants import EVENT_LOGGER_NAME
from parlay_core._construct import construct_model
from parlay_core._exceptions import ReplayExhaustedError
from parlay_core.logging import LLMCallEvent
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    PromptTokenTally,
    RequestUsage,
    approximate_message_tokens,
    approximate_text_tokens,
    validate_model_info,
)

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = ["ReplayCall", "ReplayChatCompletionClient", "ReplayChatCompletionClientConfig"]

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)
_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})

# A call kept compactly until `create_calls` is first read: the number of leading messages its
# prompt shares with the previous call's prompt, the rest of its messages, then tools,
# tool_choice, json_output, a copy of extra_create_args (None for none) and stream.
_PendingCall = tuple[
    int, tuple[LLMMessage, ...], tuple[Any, ...], Any, Any, Union[dict[str, Any], None], bool
]

DEFAULT_CONTEXT_WINDOW = 10_000
"""The context window the replay client pretends to have, for :meth:`remaining_tokens`."""


class ReplayChatCompletionClientConfig(BaseModel):
    """Configuration of :class:`ReplayChatCompletionClient`.

    Attributes:
        chat_completions: The scripted responses, in order.
        model_info: What the pretend model supports.
    """

    chat_completions: Sequence[Union[str, CreateResult]]
    model_info: ModelInfo | None = None


class ReplayCall(TypedDict):
    """One recorded call to a :class:`ReplayChatCompletionClient`, for assertions in tests.

    Attributes:
        messages: The messages the caller sent.
        tools: The tools offered.
        tool_choice: The tool choice asked for.
        json_output: The JSON mode asked for.
        extra_create_args: Provider arguments passed through.
        stream: Whether the call was :meth:`ReplayChatCompletionClient.create_stream`.
    """

    messages: list[LLMMessage]
    tools: list[Any]
    tool_choice: Any
    json_output: bool | type[BaseModel] | None
    extra_create_args: dict[str, Any]
    stream: bool


class ReplayChatCompletionClient(ChatCompletionClient, Component[ReplayChatCompletionClientConfig]):
    """A model client that replays scripted responses, for tests and offline demos.

    Each call to :meth:`create` or :meth:`create_stream` consumes the next response. A ``str``
    becomes a ``CreateResult(finish_reason="stop", content=..., cached=...)``; a
    :class:`~parlay_core.models.CreateResult` (for example one whose ``content`` is a list of
    :class:`~parlay_core.FunctionCall`, to script a tool call) is returned as given.

    Usage is estimated offline with
    :func:`~parlay_core.models.approximate_message_tokens`: prompt tokens from the messages and
    tools sent, completion tokens from a ``str`` response (for a scripted ``CreateResult``, its
    own ``usage.completion_tokens``). :meth:`remaining_tokens` assumes a context window of
    10,000 tokens. Every call is recorded in :attr:`create_calls`.

    Args:
        chat_completions: The responses to return, in order.
        model_info: What the pretend model supports. The default claims nothing: no vision,
            function calling, JSON or structured output, family ``"unknown"``.

    Raises:
        ModelInfoError: ``model_info`` lacks required keys.

    Example:
        >>> import asyncio
        >>> from parlay_core.models import UserMessage
        >>> client = ReplayChatCompletionClient(["Hello there"])
        >>> result = asyncio.run(client.create([UserMessage(content="Hi", source="user")]))
        >>> result.content, result.usage
        ('Hello there', RequestUsage(prompt_tokens=1, completion_tokens=2))
    """

    component_config_schema = ReplayChatCompletionClientConfig
    component_provider_override = "parlay_core.testing.ReplayChatCompletionClient"

    def __init__(
        self,
        chat_completions: Sequence[Union[str, CreateResult]],
        model_info: ModelInfo | None = None,
    ) -> None:
        self.chat_completions: list[Union[str, CreateResult]] = list(chat_completions)
        self.provided_message_count = len(self.chat_completions)
        if model_info is not None:
            validate_model_info(model_info)
            self._model_info = model_info
        else:
            self._model_info = ModelInfo(
                vision=False,
                function_calling=False,
                json_output=False,
                family=ModelFamily.UNKNOWN,
                structured_output=False,
            )
        self._explicit_model_info = model_info is not None
        self._current_index = 0
        self._cached = True
        self._cur_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._total_prompt_tokens = 0
        self._total_completion_tokens = 0
        self._create_calls: list[ReplayCall] = []
        # Until create_calls is first read nobody can hold that list, so calls are kept as
        # _PendingCall tuples and the dicts built on that first read. A team re-sends the whole
        # conversation on every call: a copy of each prompt kept per call made the garbage
        # collector walk every message again and again. Once read, calls are recorded at
        # once, so a list the caller holds stays current.
        self._pending: list[_PendingCall] = []
        self._calls_read = False
        self._last_prompt: list[LLMMessage] | None = None  # the previous call's, while pending
        # Every call re-sends the conversation so far; the tally estimates only what is new.
        self._tally = PromptTokenTally()

    @property
    def create_calls(self) -> list[ReplayCall]:
        """Every call made so far, oldest first."""
        if self._pending:
            self._record_pending()
        self._calls_read = True
        self._last_prompt = None
        return self._create_calls

    def _record_pending(self) -> None:
        prompt: list[LLMMessage] = []
        for shared, new, tools, tool_choice, json_output, extra, stream in self._pending:
            messages = prompt[:shared]
            messages.extend(new)
            self._create_calls.append(
                ReplayCall(
                    messages=messages,
                    tools=list(tools),
                    tool_choice=tool_choice,
                    json_output=json_output,
                    extra_create_args={} if extra is None else extra,
                    stream=stream,
                )
            )
            prompt = messages
        self._pending.clear()

    @property
    def model_info(self) -> ModelInfo:
        """What the pretend model supports."""
        return self._model_info

    def set_cached_bool(self, value: bool) -> None:
        """Set the ``cached`` flag of the results built from ``str`` responses (default True)."""
        self._cached = value

    def reset(self) -> None:
        """Replay from the first response again; :meth:`total_usage` keeps counting."""
        self._current_index = 0
        self._cur_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)

    def _next(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Union[Tool, ToolSchema]],
        tool_choice: Any,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
        stream: bool,
        cancellation_token: CancellationToken | None,
    ) -> tuple[Union[str, CreateResult], CreateResult]:
        if cancellation_token is not None and cancellation_token.is_cancelled():
            raise asyncio.CancelledError("The model call was cancelled through its token.")
        if self._current_index >= len(self.chat_completions):
            raise ReplayExhaustedError(
                f"ReplayChatCompletionClient has no response left: it was scripted with "
                f"{len(self.chat_completions)} response(s) and all have been used. Add more "
                "responses to chat_completions, or call reset() to replay them from the start."
            )
        scripted = self.chat_completions[self._current_index]
        self._current_index += 1
        # One copy of the prompt serves the tally and the record of this call; nobody changes it.
        prompt = list(messages)
        prompt_tokens, extended = self._tally.count_owned(prompt)
        if tools:
            prompt_tokens += approximate_message_tokens((), tools=tools)
        if self._calls_read:
            self._create_calls.append(
                ReplayCall(
                    messages=list(prompt),
                    tools=list(tools),
                    tool_choice=tool_choice,
                    json_output=json_output,
                    extra_create_args=dict(extra_create_args),
                    stream=stream,
                )
            )
        else:
            shared = len(extended) if extended is not None and extended is self._last_prompt else 0
            self._pending.append(
                (
                    shared,
                    tuple(prompt[shared:]),
                    tuple(tools),
                    tool_choice,
                    json_output,
                    dict(extra_create_args) if extra_create_args else None,
                    stream,
                )
            )
            self._last_prompt = prompt
        if isinstance(scripted, str):
            usage = RequestUsage(prompt_tokens, approximate_text_tokens(scripted))
            # Every field is already of its type: skip pydantic's validation, which cost a team
            # on this client a few microseconds per turn (fields set: the same four).
            result = construct_model(
                CreateResult,
                {
                    "finish_reason": "stop",
                    "content": scripted,
                    "usage": usage,
                    "cached": bool(self._cached),
                },
            )
        else:
            usage = RequestUsage(prompt_tokens, scripted.usage.completion_tokens)
            result = scripted.model_copy(deep=True)
        self._cur_usage = usage
        self._total_prompt_tokens += usage.prompt_tokens
        self._total_completion_tokens += usage.completion_tokens
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                LLMCallEvent(
                    messages=[m.model_dump(mode="json") for m in prompt],
                    response=result.model_dump(mode="json"),
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                )
            )
        return scripted, result

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: Union[Tool, Literal["auto", "required", "none"]] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Return the next scripted response.

        Raises:
            ReplayExhaustedError: Every scripted response has been used.
            asyncio.CancelledError: ``cancellation_token`` is already cancelled.
        """
        return self._next(
            messages, tools, tool_choice, json_output, extra_create_args, False, cancellation_token
        )[1]

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: Union[Tool, Literal["auto", "required", "none"]] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        """Yield the next scripted response word by word, then its ``CreateResult``.

        A ``str`` response is split at spaces; the chunks keep their spaces, so joining them
        gives the response back exactly. A scripted ``CreateResult`` is yielded alone.

        Raises:
            ReplayExhaustedError: Every scripted response has been used.
        """
        scripted, result = self._next(
            messages, tools, tool_choice, json_output, extra_create_args, True, cancellation_token
        )
        if isinstance(scripted, str) and scripted:
            words = scripted.split(" ")
            for word in words[:-1]:
                yield word + " "
            if words[-1]:
                yield words[-1]
        yield result

    async def close(self) -> None:
        """Nothing to release."""

    def actual_usage(self) -> RequestUsage:
        """Return the usage of the most recent call."""
        return self._cur_usage

    def total_usage(self) -> RequestUsage:
        """Return the usage summed over every call."""
        return RequestUsage(self._total_prompt_tokens, self._total_completion_tokens)

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Estimate the prompt tokens with :func:`~parlay_core.models.approximate_message_tokens`."""
        return self._tally.count(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Return 10,000 minus :meth:`count_tokens` (negative when the prompt is too long)."""
        return DEFAULT_CONTEXT_WINDOW - self.count_tokens(messages, tools=tools)

    def _to_config(self) -> ReplayChatCompletionClientConfig:
        return ReplayChatCompletionClientConfig(
            chat_completions=list(self.chat_completions),
            model_info=self._model_info if self._explicit_model_info else None,
        )

    @classmethod
    def _from_config(cls, config: ReplayChatCompletionClientConfig) -> Self:
        return cls(chat_completions=config.chat_completions, model_info=config.model_info)
