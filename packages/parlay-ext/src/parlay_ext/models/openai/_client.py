"""Model clients for OpenAI, Azure OpenAI and OpenAI-compatible servers."""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr
from typing_extensions import Self

from parlay_core import CancellationToken, Component
from parlay_core.exceptions import ModelAPIError, ModelClientError
from parlay_core.models import (
    CreateResult,
    LLMMessage,
    ModelCapabilities,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    approximate_message_tokens,
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
    split_think_tags,
    tool_schemas,
)
from parlay_ext.models._environment_keys import withheld_environment_key
from parlay_ext.models.openai._config import (
    AzureOpenAIClientConfigurationConfigModel,
    OpenAIClientConfigurationConfigModel,
    config_create_args,
    merge_create_args,
    split_create_args,
)
from parlay_ext.models.openai._errors import broken_stream, map_error
from parlay_ext.models.openai._model_info import (
    default_model_info,
    from_capabilities,
    known_context_window,
    known_model_info,
    provider_endpoint,
    resolve_model_info,
    warn_unknown_openai_model,
)
from parlay_ext.models.openai._sdk import AsyncAzureOpenAI, AsyncOpenAI, ChatCompletion, openai
from parlay_ext.models.openai._stream import StreamAssembler
from parlay_ext.models.openai._transform import (
    convert_logprobs,
    convert_messages,
    convert_tool_choice,
    convert_tools,
    finish_reason,
    function_calls,
    merge_system_messages,
    model_class,
    prefix_names,
    reasoning_text,
    response_format,
    rstrip_final_assistant,
    usage_of,
)

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = [
    "AzureOpenAIChatCompletionClient",
    "BaseOpenAIChatCompletionClient",
    "OpenAIChatCompletionClient",
]

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})


# Set while _from_config builds a client: a config without a usable key then loads, and the
# missing key is reported when a call needs it (configs are often dumped with the key masked).
_defer_missing_key: ContextVar[bool] = ContextVar("parlay_openai_defer_missing_key", default=False)

# Set while _from_config builds a client whose config chose a server that may not have the
# environment's key: why the key is withheld (see parlay_ext.models._environment_keys).
_withholding_key: ContextVar[str | None] = ContextVar("parlay_openai_withholding_key", default=None)

# The hosts OPENAI_API_KEY is meant for.
_OPENAI_HOSTS = ("api.openai.com",)
# The SDK reads an Azure credential from these when none is given; they are meant for Azure's
# own domains (every resource has a host of its own under them).
_AZURE_CREDENTIALS = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN")
_AZURE_HOSTS = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
    ".openai.azure.us",
    ".openai.azure.cn",
)


class BaseOpenAIChatCompletionClient(TokenAccountingClient):
    """The chat-completions logic shared by the OpenAI and Azure OpenAI clients.

    Args:
        client: A configured ``openai.AsyncOpenAI`` (or ``AsyncAzureOpenAI``).
        model: The model name sent with each request.
        model_info: What the model supports; defaults are resolved for unknown models.
        create_args: Request arguments sent with every call.
        include_name_in_message: Send user messages' sources as ``name``.
        add_name_prefixes: Start user messages' text with ``"<source> said:"``.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        model_info: ModelInfo | None = None,
        create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        include_name_in_message: bool = True,
        add_name_prefixes: bool = False,
    ) -> None:
        if not model:
            raise ValueError("model must be a model name such as 'gpt-4o-mini'.")
        self._client = client
        self._model = model
        self._model_info = resolve_model_info(model, model_info, stacklevel=4)
        self._create_args = dict(create_args)
        if model_class(self._create_args.get("response_format")) is not None:
            warnings.warn(
                "A pydantic class as response_format is deprecated (as in AutoGen); pass it as "
                "json_output=... to create() or create_stream(), or as output_content_type=... "
                "to an AssistantAgent, instead.",
                DeprecationWarning,
                stacklevel=3,
            )
        self._include_name = include_name_in_message
        self._name_prefixes = add_name_prefixes
        self._usage = UsageTracker()

    @property
    def model_info(self) -> ModelInfo:
        """What the model supports (known, given, or assumed defaults)."""
        return self._model_info

    # Why calls must fail, when the client was loaded from a config without a usable API key.
    _missing_key: str | None = None
    # Why the environment's key was not sent, when a config chose the server.
    _withheld_key: str | None = None

    def _where(self) -> str:
        where = f"the OpenAI-compatible server at {self._client.base_url} (model {self._model!r}"
        # A refused key is the likely failure then, and this says how to send one.
        return f"{where}; {self._withheld_key})" if self._withheld_key else f"{where})"

    def _request(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Union[Tool, ToolSchema]],
        tool_choice: ToolChoice,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> dict[str, Any]:
        args, json_output = merge_create_args(self._create_args, extra_create_args, json_output)
        check_request(self._model, self._model_info, messages, tools, json_output)
        if not self._model_info.get("multiple_system_messages", False):
            messages = merge_system_messages(messages, self._model)
        if ModelFamily.is_claude(self._model_info["family"]):
            messages = rstrip_final_assistant(messages)
        forced = forced_tool_name(tool_choice, tools)
        if self._missing_key is not None:
            raise ModelClientError(self._missing_key)
        request: dict[str, Any] = {"model": self._model}
        if self._name_prefixes:
            messages = prefix_names(messages)
        request["messages"] = convert_messages(messages, include_name=self._include_name)
        if tools:
            request["tools"] = convert_tools(tool_schemas(tools))
            mode = tool_choice if isinstance(tool_choice, str) else "auto"
            request["tool_choice"] = convert_tool_choice(mode, forced)
        fmt = response_format(json_output)
        if fmt is not None:
            request["response_format"] = fmt
        request.update(args)
        return request

    def _to_result(self, completion: ChatCompletion) -> CreateResult:
        if not completion.choices:
            raise ModelAPIError(
                f"{self._where()} returned a completion without choices; the server does not "
                "follow the chat-completions format."
            )
        choice = completion.choices[0]
        message = choice.message
        usage = usage_of(completion.usage)
        thought = reasoning_text(message)
        text = message.content or message.refusal or ""
        if thought is None:
            thought, text = split_think_tags(text)
        calls = function_calls(message.tool_calls or [])
        if calls:
            if text.strip():
                thought = f"{thought}\n{text}" if thought else text
            return CreateResult(
                finish_reason="function_calls",
                content=calls,
                usage=usage,
                cached=False,
                logprobs=convert_logprobs(choice.logprobs),
                thought=thought,
            )
        return CreateResult(
            finish_reason=finish_reason(choice.finish_reason, False),
            content=text,
            usage=usage,
            cached=False,
            logprobs=convert_logprobs(choice.logprobs),
            thought=thought,
        )

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
        """Send the conversation and return the model's reply.

        Raises:
            ModelAPIError: The provider answered with an error (``status_code`` and ``body``
                set), timed out, or could not be reached.
            ModelCapabilityError: The request needs what ``model_info`` denies.
            ValueError: ``tool_choice`` names a tool that is not offered.
            asyncio.CancelledError: ``cancellation_token`` was cancelled.
        """
        request = self._request(messages, tools, tool_choice, json_output, extra_create_args)
        request.pop("stream", None)
        request.pop("stream_options", None)
        try:
            completion = await run_cancellable(
                self._client.chat.completions.create(
                    **sdk_arguments(self._client.chat.completions.create, request), stream=False
                ),
                cancellation_token,
            )
        except openai.OpenAIError as exc:
            raise map_error(exc, self._where()) from exc
        result = self._to_result(completion)
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
        include_usage: bool = True,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        """Stream the reply: text chunks as they arrive, then one :class:`CreateResult`.

        Args:
            messages: The conversation.
            tools: The tools the model may call.
            tool_choice: ``"auto"``, ``"required"``, ``"none"`` or one tool.
            json_output: JSON mode (``True``) or a pydantic model for structured output.
            extra_create_args: Provider arguments passed through unchanged.
            cancellation_token: Cancels the request and closes the stream.
            include_usage: Ask the server for token usage at the end of the stream. When a
                server sends none, usage is estimated offline.

        Raises:
            ModelAPIError: The provider answered with an error, or the stream broke off or
                was malformed (it ended without a finish reason).
        """
        request = self._request(messages, tools, tool_choice, json_output, extra_create_args)
        request.pop("stream", None)
        if include_usage:
            request.setdefault("stream_options", {"include_usage": True})
        try:
            stream = await run_cancellable(
                self._client.chat.completions.create(
                    **sdk_arguments(self._client.chat.completions.create, request), stream=True
                ),
                cancellation_token,
            )
        except openai.OpenAIError as exc:
            raise map_error(exc, self._where()) from exc
        assembler = StreamAssembler()
        try:
            iterator = stream.__aiter__()
            while True:
                try:
                    chunk = await run_cancellable(iterator.__anext__(), cancellation_token)
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    raise broken_stream(exc, self._where()) from exc
                text = assembler.add(chunk)
                if text:
                    yield text
        finally:
            await stream.close()
        if not assembler.finished:
            raise broken_stream(
                EOFError("the stream ended before the model finished its reply"), self._where()
            )
        estimate = RequestUsage(
            prompt_tokens=self.count_tokens(messages, tools=tools), completion_tokens=0
        )
        result = assembler.result(estimate)
        if result.usage is estimate:
            result.usage.completion_tokens = approximate_message_tokens(result.content)
        self._usage.add(result.usage)
        log_call(messages, result, stream=True)
        yield result

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    def _context_window(self) -> int:
        return known_context_window(self._model)


def _secret(value: str | None) -> SecretStr | None:
    return None if value is None else SecretStr(value)


def _reveal(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def _info(value: dict[str, Any] | None) -> ModelInfo | None:
    # Checked by validate_model_info in __init__, which names any missing key.
    return None if value is None else cast("ModelInfo", value)


class OpenAIChatCompletionClient(
    BaseOpenAIChatCompletionClient, Component[OpenAIClientConfigurationConfigModel]
):
    """A model client for OpenAI's chat-completions API and any server that speaks it.

    Point ``base_url`` at Ollama (``http://localhost:11434/v1``), vLLM, a llama.cpp server or
    any other OpenAI-compatible server; models Parlay does not know get sensible default
    capabilities with a warning (pass ``model_info`` to state them). Unless ``base_url`` is
    given, ``gemini-*`` models go to Google's OpenAI-compatible endpoint with the
    ``GEMINI_API_KEY`` key, ``claude-*`` models to Anthropic's with ``ANTHROPIC_API_KEY``, and
    ``Llama-*`` models to the Llama API's with ``LLAMA_API_KEY``.

    Args:
        model: The model name, e.g. ``"gpt-4o-mini"``.
        api_key: The API key; default: ``OPENAI_API_KEY`` (or the provider's variable above).
            Servers given by ``base_url`` that need no key work without one.
        base_url: The API's root URL.
        organization: The OpenAI organization id.
        timeout: Seconds to wait for a response (SDK default 600).
        max_retries: Automatic retries on connection errors, 408, 409, 429 and 5xx (SDK
            default 2).
        model_info: What the model supports.
        model_capabilities: Deprecated older form of ``model_info`` (``vision``,
            ``function_calling``, ``json_output``), accepted with a ``DeprecationWarning``.
        default_headers: HTTP headers sent with every request.
        include_name_in_message: Send user messages' sources as ``name`` (turn off for servers
            that reject the field).
        add_name_prefixes: Start each user message's text with ``"<source> said:"``, for
            models that ignore ``name`` (as in AutoGen).
        **create_args: Default request arguments (``temperature``, ``max_tokens``, ``seed``,
            ...); see :class:`CreateArgumentsConfigModel`. ``response_format`` may be a
            pydantic model class (deprecated, as in AutoGen): every call then asks for
            structured output of that type, like ``json_output=<class>``, and the result's
            content is the JSON text.

    Raises:
        ModelClientError: No API key is available for OpenAI's own API.
        ModelInfoError: ``model_info`` lacks required keys.
        TypeError: An unknown keyword argument.

    Warns:
        UserWarning: On OpenAI's own API (no ``base_url``, or ``api.openai.com``) without
            ``model_info``, a model name Parlay does not know, with the closest known names
            (``"gpt-4o-mni"``: did you mean ``"gpt-4o-mini"``?).

    Example:
        >>> client = OpenAIChatCompletionClient(
        ...     model="llama3.2", base_url="http://localhost:11434/v1"
        ... )  # doctest: +SKIP
    """

    component_config_schema = OpenAIClientConfigurationConfigModel
    component_provider_override = "parlay_ext.models.openai.OpenAIChatCompletionClient"
    component_secret_fallbacks = MappingProxyType(
        {
            "api_key": "the OPENAI_API_KEY environment variable (or its provider's, e.g. GEMINI_API_KEY)"
        }
    )

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        model_info: ModelInfo | None = None,
        model_capabilities: ModelCapabilities | None = None,
        default_headers: Mapping[str, str] | None = None,
        include_name_in_message: bool = True,
        add_name_prefixes: bool = False,
        **create_args: Any,
    ) -> None:
        create = split_create_args(create_args)
        if model_info is not None:
            validate_model_info(model_info)
        info = from_capabilities(model_info, model_capabilities)
        self._config = OpenAIClientConfigurationConfigModel(
            model=model,
            api_key=_secret(api_key),
            base_url=base_url,
            organization=organization,
            timeout=timeout,
            max_retries=max_retries,
            model_info=dict(model_info) if model_info is not None else None,
            model_capabilities=dict(model_capabilities) if model_capabilities else None,
            default_headers=dict(default_headers) if default_headers else None,
            include_name_in_message=include_name_in_message,
            add_name_prefixes=add_name_prefixes or None,
            **config_create_args(create),
        )
        url = base_url
        key = api_key
        endpoint = provider_endpoint(model) if url is None else None
        if (
            info is None
            and endpoint is None
            and _is_openai_api(base_url)
            and warn_unknown_openai_model(model, stacklevel=3)
        ):
            # Said once: the assumed capabilities need no second warning.
            info = known_model_info(model) or default_model_info(model)
        if endpoint is not None:
            url, key_variable = endpoint
            key = key or os.environ.get(key_variable)
        withheld = _withholding_key.get()
        if withheld is None:
            key = key or os.environ.get("OPENAI_API_KEY")
        else:
            self._withheld_key = withheld
        if key is None:
            deferred = _defer_missing_key.get()
            # api_key="" says "no key on purpose" (AutoGen accepts it); only an absent key
            # in code is an error at once.
            if url is None and api_key is None and not deferred:
                raise ModelClientError(
                    "No OpenAI API key: set the OPENAI_API_KEY environment variable or pass "
                    "api_key=... (to use a local OpenAI-compatible server, pass base_url=...)."
                )
            if url is None:
                variable = endpoint[1] if endpoint is not None else "OPENAI_API_KEY"
                cause = (
                    "its api_key is empty"
                    if api_key == ""
                    else "it was loaded from a config without one (dump_component() masks "
                    "the key unless include_secrets=True)"
                )
                self._missing_key = (
                    f"{type(self).__name__} for {model!r} has no API key: {cause}, and "
                    f"{variable} was not set. Set {variable} before creating or loading the "
                    "client, or give it the key."
                )
                if deferred:
                    warnings.warn(
                        f"{type(self).__name__} loaded without an API key ({variable} is not "
                        "set); its calls will fail until it is loaded with one.",
                        UserWarning,
                        stacklevel=2,
                    )
            key = "not-needed"  # local servers ignore the key, but the SDK insists on one
        options: dict[str, Any] = {"api_key": key, "base_url": url, "organization": organization}
        if timeout is not None:
            options["timeout"] = timeout
        if max_retries is not None:
            options["max_retries"] = max_retries
        if default_headers:
            options["default_headers"] = dict(default_headers)
        super().__init__(
            AsyncOpenAI(**options),
            model=model,
            model_info=info,
            create_args=create,
            include_name_in_message=include_name_in_message,
            add_name_prefixes=add_name_prefixes,
        )

    def _to_config(self) -> OpenAIClientConfigurationConfigModel:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: OpenAIClientConfigurationConfigModel) -> Self:
        fields = config.model_dump(exclude_none=True, exclude={"api_key", "model_info"})
        withheld = (
            withheld_environment_key(
                cls.__name__, config.base_url, ("OPENAI_API_KEY",), _OPENAI_HOSTS
            )
            if config.api_key is None
            else None
        )
        token = _defer_missing_key.set(True)
        withheld_token = _withholding_key.set(withheld)
        try:
            return cls(
                api_key=_reveal(config.api_key), model_info=_info(config.model_info), **fields
            )
        finally:
            _withholding_key.reset(withheld_token)
            _defer_missing_key.reset(token)


def _is_openai_api(base_url: str | None) -> bool:
    # The SDK falls back to OPENAI_BASE_URL; a local server there serves names of its own.
    url = base_url if base_url is not None else os.environ.get("OPENAI_BASE_URL")
    return url is None or urlsplit(url).hostname == "api.openai.com"


class AzureOpenAIChatCompletionClient(
    BaseOpenAIChatCompletionClient, Component[AzureOpenAIClientConfigurationConfigModel]
):
    """A model client for an Azure OpenAI deployment.

    Args:
        model: The model behind the deployment (for ``model_info``), e.g. ``"gpt-4o"``.
        azure_endpoint: ``https://<resource>.openai.azure.com/``.
        api_version: The Azure OpenAI API version, e.g. ``"2024-10-21"``.
        azure_deployment: The deployment name (default: ``model``).
        api_key: The key; default ``AZURE_OPENAI_API_KEY``.
        azure_ad_token: A Microsoft Entra ID token instead of a key.
        azure_ad_token_provider: A callable returning fresh Entra ID tokens (not saved in
            configs).
        timeout: Seconds to wait for a response.
        max_retries: Automatic retries on transient errors.
        model_info: What the model supports.
        model_capabilities: Deprecated older form of ``model_info`` (``vision``,
            ``function_calling``, ``json_output``), accepted with a ``DeprecationWarning``.
        default_headers: HTTP headers sent with every request.
        include_name_in_message: Send user messages' sources as ``name``.
        add_name_prefixes: Start each user message's text with ``"<source> said:"``.
        **create_args: Default request arguments.
    """

    component_config_schema = AzureOpenAIClientConfigurationConfigModel
    component_provider_override = "parlay_ext.models.openai.AzureOpenAIChatCompletionClient"

    def __init__(
        self,
        *,
        model: str,
        azure_endpoint: str,
        api_version: str,
        azure_deployment: str | None = None,
        api_key: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: Any = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        model_info: ModelInfo | None = None,
        model_capabilities: ModelCapabilities | None = None,
        default_headers: Mapping[str, str] | None = None,
        include_name_in_message: bool = True,
        add_name_prefixes: bool = False,
        **create_args: Any,
    ) -> None:
        create = split_create_args(create_args)
        if model_info is not None:
            validate_model_info(model_info)
        info = from_capabilities(model_info, model_capabilities)
        self._config = AzureOpenAIClientConfigurationConfigModel(
            model=model,
            azure_endpoint=azure_endpoint,
            api_version=api_version,
            azure_deployment=azure_deployment,
            api_key=_secret(api_key),
            azure_ad_token=_secret(azure_ad_token),
            timeout=timeout,
            max_retries=max_retries,
            model_info=dict(model_info) if model_info is not None else None,
            model_capabilities=dict(model_capabilities) if model_capabilities else None,
            default_headers=dict(default_headers) if default_headers else None,
            include_name_in_message=include_name_in_message,
            add_name_prefixes=add_name_prefixes or None,
            **config_create_args(create),
        )
        options: dict[str, Any] = {
            "azure_endpoint": azure_endpoint,
            "api_version": api_version,
            "azure_deployment": azure_deployment or model,
        }
        for name, value in (
            ("api_key", api_key),
            ("azure_ad_token", azure_ad_token),
            ("azure_ad_token_provider", azure_ad_token_provider),
            ("timeout", timeout),
            ("max_retries", max_retries),
            ("default_headers", dict(default_headers) if default_headers else None),
        ):
            if value is not None:
                options[name] = value
        if api_key is None and azure_ad_token is None and azure_ad_token_provider is None:
            withheld = _withholding_key.get()
            if withheld is not None:
                # Any credential given stops the SDK reading its environment variables.
                options["api_key"] = "not-needed"
                self._withheld_key = withheld
        try:
            client = AsyncAzureOpenAI(**options)
        except openai.OpenAIError as exc:
            raise ModelClientError(
                f"Cannot set up the Azure OpenAI client: {exc} Pass api_key=..., "
                "azure_ad_token=... or azure_ad_token_provider=..., or set AZURE_OPENAI_API_KEY."
            ) from exc
        super().__init__(
            client,
            model=model,
            model_info=info,
            create_args=create,
            include_name_in_message=include_name_in_message,
            add_name_prefixes=add_name_prefixes,
        )

    def _where(self) -> str:
        where = f"Azure OpenAI at {self._config.azure_endpoint} (model {self._model!r}"
        return f"{where}; {self._withheld_key})" if self._withheld_key else f"{where})"

    def _to_config(self) -> AzureOpenAIClientConfigurationConfigModel:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: AzureOpenAIClientConfigurationConfigModel) -> Self:
        exclude = {"api_key", "azure_ad_token", "model_info"}
        fields = config.model_dump(exclude_none=True, exclude=exclude)
        withheld = (
            withheld_environment_key(
                cls.__name__, config.azure_endpoint, _AZURE_CREDENTIALS, _AZURE_HOSTS
            )
            if config.api_key is None and config.azure_ad_token is None
            else None
        )
        token = _withholding_key.set(withheld)
        try:
            return cls(
                api_key=_reveal(config.api_key),
                model_info=_info(config.model_info),
                azure_ad_token=_reveal(config.azure_ad_token),
                **fields,
            )
        finally:
            _withholding_key.reset(token)
