"""Pieces every parlay-ext model client shares: usage accounting, tool schemas, capability checks.

Each provider module converts messages its own way; what is the same everywhere (which tool the
caller forced, whether the model may receive images, how a call is logged, how a cancellation
token stops a request) lives here so the clients agree on it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import re
import sys
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union

from pydantic import BaseModel

from parlay_core import EVENT_LOGGER_NAME, CancellationToken, Image
from parlay_core.exceptions import ModelCapabilityError
from parlay_core.logging import LLMCallEvent, LLMStreamEndEvent
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    PromptTokenTally,
    RequestUsage,
    UserMessage,
)

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = [
    "TokenAccountingClient",
    "ToolChoice",
    "UsageTracker",
    "announce",
    "check_request",
    "forced_tool_name",
    "http_advice",
    "log_call",
    "missing_sdk",
    "run_cancellable",
    "sdk_arguments",
    "split_think_tags",
    "tool_schemas",
]

ToolChoice = Union["Tool", Literal["auto", "required", "none"]]
_T = TypeVar("_T")
_event_logger = logging.getLogger(EVENT_LOGGER_NAME)
_progress_logger = logging.getLogger("parlay_ext.models")
_THINK = re.compile(r"^\s*<think>(?P<thought>.*?)</think>\s*", re.DOTALL)


_HTTP_ADVICE = {
    400: "The request was rejected; check the model name, the messages and the arguments.",
    401: "The API key was refused; check api_key (or the provider's environment variable).",
    403: "The API key may not use this model or endpoint.",
    404: "The model or endpoint does not exist; check model and base_url.",
    408: "The provider timed out; try again, or raise max_retries.",
    413: "The request is too large; send fewer or smaller messages.",
    429: "Rate limited or out of quota; wait and retry, or raise max_retries.",
}


def http_advice(status: int) -> str:
    """What a user can do about an HTTP error status from a model provider."""
    if status in _HTTP_ADVICE:
        return _HTTP_ADVICE[status]
    return "The provider failed; retry later, or raise max_retries." if status >= 500 else ""


def announce(message: str, *, quiet: bool = False) -> None:
    """Log a progress message on ``parlay_ext.models`` and, unless ``quiet``, print it too.

    Printed to standard error as well as logged: loading or choosing a model must never look
    frozen, and most scripts do not configure logging.
    """
    _progress_logger.info(message)
    if not quiet:
        print(f"[parlay] {message}", file=sys.stderr, flush=True)


def missing_sdk(extra: str, package: str, error: ImportError) -> ImportError:
    """Build the ImportError raised when an integration's SDK is not installed.

    Args:
        extra: The parlay-ext extra that installs it (``"openai"``).
        package: The SDK's import name, for the message.
        error: The original import failure, kept as the cause.
    """
    return ImportError(
        f"This Parlay integration needs the {package!r} package, which is not installed "
        f'({error}). Install it with: pip install "parlay-ext[{extra}]"'
    )


class UsageTracker:
    """Token usage of the latest call and the running total, as every client reports it."""

    def __init__(self) -> None:
        self.last = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self.total = RequestUsage(prompt_tokens=0, completion_tokens=0)

    def add(self, usage: RequestUsage) -> None:
        """Record the usage of a finished call."""
        self.last = usage
        self.total = RequestUsage(
            prompt_tokens=self.total.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self.total.completion_tokens + usage.completion_tokens,
        )


# OpenAI's published way of counting a chat prompt: each message is wrapped in about four
# tokens of markup (start marker, role, separators) and the reply is primed with three more.
# Other chat formats wrap messages alike, so one figure serves every client.
_TOKENS_PER_MESSAGE = 4
_TOKENS_FOR_REPLY = 3


class TokenAccountingClient(ChatCompletionClient):
    """The usage and token-count methods every Parlay model client shares.

    Usage is what the provider reported for each call (kept in ``self._usage``); prompt sizes are
    estimated offline, so counting never downloads a tokenizer or calls the provider. Subclasses
    say how large their context window is.
    """

    _usage: UsageTracker
    # Made on first use: agents re-send the whole conversation on every call, and the tally
    # estimates only the messages that are new since the previous count.
    _prompt_tally: PromptTokenTally | None = None

    @abstractmethod
    def _context_window(self) -> int:
        """The model's context window, in tokens."""

    def actual_usage(self) -> RequestUsage:
        """Token usage of the most recent call."""
        return self._usage.last

    def total_usage(self) -> RequestUsage:
        """Token usage summed over every call."""
        return self._usage.total

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """Estimate the prompt's tokens offline (no tokenizer is downloaded, no API is called).

        Besides the contents, each message costs the chat format's framing (start and end
        markers, the role) and the reply its priming, as on the provider's bill.
        """
        framing = _TOKENS_PER_MESSAGE * len(messages) + _TOKENS_FOR_REPLY
        if self._prompt_tally is None:
            self._prompt_tally = PromptTokenTally()
        return self._prompt_tally.count(messages, tools=tools) + framing

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """The context window minus :meth:`count_tokens`."""
        return self._context_window() - self.count_tokens(messages, tools=tools)


def tool_schemas(tools: Sequence[Union[Tool, ToolSchema]]) -> list[ToolSchema]:
    """Return the schema of each tool (a ``Tool`` object or an already built ``ToolSchema``)."""
    schemas: list[ToolSchema] = []
    for tool in tools:
        if isinstance(tool, dict):
            schemas.append(tool)
        else:
            schemas.append(tool.schema)
    return schemas


def forced_tool_name(
    tool_choice: ToolChoice, tools: Sequence[Union[Tool, ToolSchema]]
) -> str | None:
    """Return the name of the one tool the caller forces, checking that it was offered.

    Raises:
        ValueError: The forced tool is not among ``tools``.
    """
    if isinstance(tool_choice, str):
        return None
    name = tool_choice.name
    offered = [schema["name"] for schema in tool_schemas(tools)]
    if name not in offered:
        raise ValueError(
            f"tool_choice names the tool {name!r}, which is not among the tools offered "
            f"({', '.join(offered) or 'none'}). Pass that tool in tools= as well."
        )
    return name


def _has_image(messages: Sequence[LLMMessage]) -> bool:
    return any(
        isinstance(m, UserMessage)
        and not isinstance(m.content, str)
        and any(isinstance(part, Image) for part in m.content)
        for m in messages
    )


def check_request(
    model: str,
    info: ModelInfo,
    messages: Sequence[LLMMessage],
    tools: Sequence[Union[Tool, ToolSchema]],
    json_output: bool | type[BaseModel] | None,
) -> None:
    """Refuse a request that needs a capability ``info`` says the model lacks.

    Raises:
        ModelCapabilityError: Images for a model without vision, tools for one without function
            calling, JSON mode or structured output for one without them.
    """
    fix = "If the model does support it, pass a model_info that says so."
    if not info["vision"] and _has_image(messages):
        raise ModelCapabilityError(
            f"The messages contain an image, but model {model!r} has no vision support "
            f"(model_info['vision'] is False). Remove the image or use a vision model. {fix}"
        )
    if tools and not info["function_calling"]:
        raise ModelCapabilityError(
            f"Tools were offered, but model {model!r} cannot call functions "
            f"(model_info['function_calling'] is False). {fix}"
        )
    if isinstance(json_output, type):
        if not info.get("structured_output", False):
            raise ModelCapabilityError(
                f"Structured output was requested, but model {model!r} does not support it "
                f"(model_info['structured_output'] is False). {fix}"
            )
    elif json_output and not info["json_output"]:
        raise ModelCapabilityError(
            f"JSON output was requested, but model {model!r} does not support it "
            f"(model_info['json_output'] is False). {fix}"
        )


@functools.lru_cache(maxsize=16)
def _parameters(function: Callable[..., object]) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)


def sdk_arguments(method: Callable[..., object], request: dict[str, Any]) -> dict[str, Any]:
    """Split a request into the keyword arguments ``method`` declares and ``extra_body``.

    SDK releases add and drop typed parameters (a newer ``anthropic`` no longer declares
    ``temperature``); anything the installed SDK does not declare still reaches the API,
    unchanged, in the JSON body.
    """
    accepted = _parameters(getattr(method, "__func__", method))
    arguments = {key: value for key, value in request.items() if key in accepted}
    extra = {key: value for key, value in request.items() if key not in accepted}
    if extra:
        arguments["extra_body"] = {**arguments.get("extra_body", {}), **extra}
    return arguments


def split_think_tags(text: str) -> tuple[str | None, str]:
    """Split a leading ``<think>...</think>`` block (R1-style reasoning) off a reply.

    Returns:
        The reasoning text (or None when there is none) and the rest of the reply.
    """
    match = _THINK.match(text)
    if match is None:
        return None, text
    return match.group("thought").strip(), text[match.end() :]


def log_call(messages: Sequence[LLMMessage], result: CreateResult, *, stream: bool) -> None:
    """Log one finished model call on the events logger, only when someone listens."""
    if not _event_logger.isEnabledFor(logging.INFO):
        return
    event_type = LLMStreamEndEvent if stream else LLMCallEvent
    _event_logger.info(
        event_type(
            messages=[m.model_dump(mode="json") for m in messages],
            response=result.model_dump(mode="json"),
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
        )
    )


async def run_cancellable(
    awaitable: Awaitable[_T], cancellation_token: CancellationToken | None
) -> _T:
    """Await ``awaitable`` as a task that ``cancellation_token`` can cancel.

    Raises:
        asyncio.CancelledError: The token was cancelled before or during the call.
    """
    task = asyncio.ensure_future(awaitable)
    if cancellation_token is not None:
        if cancellation_token.is_cancelled():
            task.cancel()
        cancellation_token.link_future(task)
    return await task
