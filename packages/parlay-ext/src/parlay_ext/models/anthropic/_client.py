"""A model client for Anthropic's Claude models on the Messages API."""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union, cast

from pydantic import BaseModel, SecretStr
from typing_extensions import Self

from parlay_core import CancellationToken, Component
from parlay_core.exceptions import ModelCapabilityError, ModelClientError
from parlay_core.models import (
    CreateResult,
    LLMMessage,
    ModelInfo,
    validate_model_info,
)
from parlay_ext.models._common import (
    TokenAccountingClient,
    ToolChoice,
    UsageTracker,
    check_request,
    forced_tool_name,
    log_call,
    run_cancellable,
    sdk_arguments,
    tool_schemas,
)
from parlay_ext.models._environment_keys import withheld_environment_key
from parlay_ext.models.anthropic._config import (
    AnthropicClientConfigurationConfigModel,
    split_create_args,
)
from parlay_ext.models.anthropic._errors import broken_stream, map_error
from parlay_ext.models.anthropic._model_info import CONTEXT_WINDOW, resolve_model_info
from parlay_ext.models.anthropic._sdk import AsyncAnthropic, anthropic
from parlay_ext.models.anthropic._stream import StreamAssembler, message_result
from parlay_ext.models.anthropic._transform import (
    convert_messages,
    convert_tool_choice,
    convert_tools,
    structured_output_tool,
)

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = ["AnthropicChatCompletionClient"]

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})

# Set while _from_config builds a client: a config without a usable key then loads (configs are
# often dumped with the key masked), and the missing key is reported when a call needs it.
_defer_missing_key: ContextVar[bool] = ContextVar(
    "parlay_anthropic_defer_missing_key", default=False
)

# Set while _from_config builds a client whose config chose a server that may not have the
# environment's credential: why it is withheld (see parlay_ext.models._environment_keys).
_withholding_key: ContextVar[str | None] = ContextVar(
    "parlay_anthropic_withholding_key", default=None
)

# The SDK reads a credential from these when none is given; they are meant for Anthropic's hosts.
_ENVIRONMENT_CREDENTIALS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
_ANTHROPIC_HOSTS = ("api.anthropic.com",)


class AnthropicChatCompletionClient(
    TokenAccountingClient, Component[AnthropicClientConfigurationConfigModel]
):
    """A model client for Claude on Anthropic's Messages API (official ``anthropic`` SDK).

    System messages become the request's system prompt (joined in order, wherever they appear).
    Tool calls, tool results and images map to Anthropic's content blocks. Structured output
    (``json_output=SomeModel``) forces a tool whose input schema is the model and returns its
    input as JSON text. Extended thinking (``thinking={"type": "enabled", "budget_tokens":
    2048}``) comes back as :attr:`CreateResult.thought`.

    Args:
        model: The Claude model, e.g. ``"claude-sonnet-4-20250514"``.
        api_key: The API key (default: ``ANTHROPIC_API_KEY``).
        base_url: The API's root URL, for a proxy or gateway.
        timeout: Seconds to wait for a response.
        max_retries: Automatic retries on connection errors, 408, 409, 429 and 5xx.
        model_info: What the model supports; known Claude models need none.
        default_headers: HTTP headers sent with every request.
        **create_args: Default request arguments (``max_tokens``, ``temperature``, ``top_p``,
            ``top_k``, ``stop_sequences``, ``metadata``, ``thinking``).

    Raises:
        ModelClientError: No credential is available for Anthropic's own API (no ``api_key``,
            no ``ANTHROPIC_API_KEY`` or ``ANTHROPIC_AUTH_TOKEN``, no auth header, no
            ``base_url``), as for the OpenAI client.
        ModelInfoError: ``model_info`` lacks required keys.
        TypeError: An unknown keyword argument.
    """

    component_config_schema = AnthropicClientConfigurationConfigModel
    component_provider_override = "parlay_ext.models.anthropic.AnthropicChatCompletionClient"
    component_secret_fallbacks = MappingProxyType(
        {"api_key": "the ANTHROPIC_API_KEY environment variable"}
    )

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        model_info: ModelInfo | None = None,
        default_headers: Mapping[str, str] | None = None,
        **create_args: Any,
    ) -> None:
        if not model:
            raise ValueError("model must be a Claude model name such as 'claude-sonnet-4-0'.")
        create = split_create_args(create_args)
        if model_info is not None:
            validate_model_info(model_info)
        self._config = AnthropicClientConfigurationConfigModel(
            model=model,
            api_key=None if api_key is None else SecretStr(api_key),
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            model_info=dict(model_info) if model_info is not None else None,
            default_headers=dict(default_headers) if default_headers else None,
            **create,
        )
        options: dict[str, Any] = {"api_key": api_key, "base_url": base_url}
        self._withheld_key = _withholding_key.get() if api_key is None else None
        if self._withheld_key is not None:
            # Any credential given stops the SDK reading its environment variables (and
            # credential files); a server that needs no key ignores this one.
            options["api_key"] = "not-needed"
        if timeout is not None:
            options["timeout"] = timeout
        if max_retries is not None:
            options["max_retries"] = max_retries
        if default_headers:
            options["default_headers"] = dict(default_headers)
        self._client = AsyncAnthropic(**options)
        self._model = model
        # As the OpenAI client does: a client built in code without any credential fails here,
        # not at its first call with the SDK's TypeError. One loaded from a config (whose key
        # was masked) or pointed at another server by base_url may get its key later.
        if (
            api_key is None
            and base_url is None
            and not _defer_missing_key.get()
            and not self._has_credentials()
        ):
            raise ModelClientError(
                "No Anthropic API key: set the ANTHROPIC_API_KEY environment variable or pass "
                "api_key=... (or pass base_url=... for a server that needs no key)."
            )
        self._model_info = resolve_model_info(model, model_info)
        self._create_args = self._config.model_dump(
            include=set(create) | {"max_tokens"}, exclude_none=True
        )
        self._usage = UsageTracker()

    @property
    def model_info(self) -> ModelInfo:
        """What the model supports."""
        return self._model_info

    def _where(self) -> str:
        where = f"Anthropic at {self._client.base_url} (model {self._model!r}"
        # A refused key is the likely failure then, and this says how to send one.
        return f"{where}; {self._withheld_key})" if self._withheld_key else f"{where})"

    def _has_credentials(self) -> bool:
        if self._client.api_key is not None or getattr(self._client, "auth_token", None):
            return True
        headers = {name.lower() for name in self._config.default_headers or {}}
        return bool(headers & {"x-api-key", "authorization"})

    def _request(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Union[Tool, ToolSchema]],
        tool_choice: ToolChoice,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> tuple[dict[str, Any], str | None]:
        if json_output is True:
            raise ModelCapabilityError(
                "The Anthropic Messages API has no JSON mode. Pass a pydantic model as "
                "json_output= for structured output, or ask for JSON in the prompt."
            )
        check_request(self._model, self._model_info, messages, tools, json_output)
        if not self._has_credentials():
            # The SDK would only say "Could not resolve authentication method" (a TypeError).
            raise ModelClientError(
                f"No Anthropic API key for {self._where()}: pass api_key=... or set the "
                "ANTHROPIC_API_KEY environment variable. A config dumped without "
                "include_secrets=True does not carry the key; set the variable before loading it."
            )
        forced = forced_tool_name(tool_choice, tools)
        system, turns = convert_messages(messages)
        request: dict[str, Any] = {"model": self._model, **self._create_args, "messages": turns}
        if system is not None:
            request["system"] = system
        wire_tools = convert_tools(tool_schemas(tools))
        structured: str | None = None
        if isinstance(json_output, type):
            schema_tool = structured_output_tool(json_output)
            structured = schema_tool["name"]
            wire_tools.append(schema_tool)
            request["tool_choice"] = {"type": "tool", "name": structured}
        elif tools:
            mode = tool_choice if isinstance(tool_choice, str) else "auto"
            request["tool_choice"] = convert_tool_choice(mode, forced)
        if wire_tools:
            request["tools"] = wire_tools
        request.update(extra_create_args)
        request.pop("stream", None)
        return request, structured

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Send the conversation and return Claude's reply.

        Raises:
            ModelAPIError: The API answered with an error (``status_code`` and ``body`` set),
                timed out, or could not be reached.
            ModelCapabilityError: JSON mode (``json_output=True``), or a capability the model
                lacks.
            asyncio.CancelledError: ``cancellation_token`` was cancelled.
        """
        request, structured = self._request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        try:
            message = await run_cancellable(
                self._client.messages.create(
                    **sdk_arguments(self._client.messages.create, request), stream=False
                ),
                cancellation_token,
            )
        except anthropic.AnthropicError as exc:
            raise map_error(exc, self._where()) from exc
        result = message_result(message, structured)
        self._usage.add(result.usage)
        log_call(messages, result, stream=False)
        return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        """Stream the reply: text chunks as they arrive, then one :class:`CreateResult`.

        Raises:
            ModelAPIError: The API answered with an error (before or inside the stream), or
                the stream broke off or was malformed.
        """
        request, structured = self._request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        try:
            stream = await run_cancellable(
                self._client.messages.create(
                    **sdk_arguments(self._client.messages.create, request), stream=True
                ),
                cancellation_token,
            )
        except anthropic.AnthropicError as exc:
            raise map_error(exc, self._where()) from exc
        assembler = StreamAssembler()
        try:
            iterator = stream.__aiter__()
            while True:
                try:
                    event = await run_cancellable(iterator.__anext__(), cancellation_token)
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    raise broken_stream(exc, self._where()) from exc
                text = assembler.add(event)
                if text and structured is None:
                    yield text
        finally:
            await stream.close()
        if not assembler.finished:
            raise broken_stream(
                EOFError("the stream ended before the message_stop event"), self._where()
            )
        result = assembler.result(structured)
        self._usage.add(result.usage)
        log_call(messages, result, stream=True)
        yield result

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    def _context_window(self) -> int:
        return CONTEXT_WINDOW

    def _to_config(self) -> AnthropicClientConfigurationConfigModel:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: AnthropicClientConfigurationConfigModel) -> Self:
        fields = config.model_dump(exclude_none=True, exclude={"api_key", "model_info"})
        key = None if config.api_key is None else config.api_key.get_secret_value()
        info = None if config.model_info is None else cast("ModelInfo", config.model_info)
        withheld = (
            withheld_environment_key(
                cls.__name__, config.base_url, _ENVIRONMENT_CREDENTIALS, _ANTHROPIC_HOSTS
            )
            if key is None
            else None
        )
        token = _defer_missing_key.set(True)
        withheld_token = _withholding_key.set(withheld)
        try:
            client = cls(api_key=key, model_info=info, **fields)
        finally:
            _withholding_key.reset(withheld_token)
            _defer_missing_key.reset(token)
        if not client._has_credentials():
            warnings.warn(
                f"{cls.__name__} loaded without an API key (ANTHROPIC_API_KEY is not set); its "
                "calls will fail until it is loaded with one.",
                UserWarning,
                stacklevel=2,
            )
        return client
