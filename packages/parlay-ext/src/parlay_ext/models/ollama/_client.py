"""A model client for Ollama: the OpenAI-compatible client with Ollama's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from typing_extensions import Self

from parlay_core.models import ModelInfo
from parlay_ext.models.openai import OpenAIChatCompletionClient
from parlay_ext.models.openai._config import OpenAIClientConfigurationConfigModel
from parlay_ext.models.openai._model_info import default_model_info, known_model_info

__all__ = [
    "DEFAULT_OLLAMA_BASE_URL",
    "OllamaChatCompletionClient",
    "OllamaClientConfigurationConfigModel",
]

DEFAULT_OLLAMA_BASE_URL: Final = "http://localhost:11434/v1"
"""Where a local Ollama serves its OpenAI-compatible API."""

# Ollama's own option names (AutoGen's ``options=``) -> chat-completions request arguments.
_OPTION_NAMES: Final[Mapping[str, str]] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "num_predict": "max_tokens",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
}

# Name fragments of Ollama models that accept images.
_VISION_HINTS: Final = ("llava", "vision", "gemma3", "-vl", "vl:", "minicpm-v", "moondream")


class OllamaClientConfigurationConfigModel(OpenAIClientConfigurationConfigModel):
    """Configuration of :class:`OllamaChatCompletionClient`.

    Dumped configs carry ``base_url`` and plain request arguments; ``host`` and ``options`` are
    read so that configs written for AutoGen's Ollama client load.

    Attributes:
        host: Ollama's root URL without ``/v1`` (AutoGen's field), e.g. ``http://gpu-box:11434``.
        options: Ollama options (``temperature``, ``top_p``, ``seed``, ``stop``,
            ``num_predict``, ``frequency_penalty``, ``presence_penalty``).
    """

    include_name_in_message: bool = False
    host: str | None = None
    options: dict[str, Any] | None = None


def ollama_model_info(model: str) -> ModelInfo:
    """The capabilities assumed for an Ollama model: known ones, else local-model defaults."""
    known = known_model_info(model)
    if known is not None:
        return known
    info = default_model_info(model)
    info["vision"] = any(hint in model.lower() for hint in _VISION_HINTS)
    return info


def _base_url(base_url: str | None, host: str | None) -> str:
    if base_url is not None:
        return base_url
    if host is not None:
        root = host.rstrip("/")
        if "://" not in root:
            root = f"http://{root}"
        return root if root.endswith("/v1") else f"{root}/v1"
    return DEFAULT_OLLAMA_BASE_URL


def _from_options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(_OPTION_NAMES))
    if unknown:
        raise TypeError(
            f"Ollama option(s) {', '.join(unknown)} have no OpenAI-compatible equivalent. "
            f"Supported: {', '.join(sorted(_OPTION_NAMES))}; pass others per call with "
            "extra_create_args={...}."
        )
    return {_OPTION_NAMES[name]: value for name, value in options.items()}


class OllamaChatCompletionClient(OpenAIChatCompletionClient):
    """A model client for a local (or remote) Ollama server.

    It talks to Ollama's OpenAI-compatible endpoint, so it behaves exactly like
    :class:`~parlay_ext.models.openai.OpenAIChatCompletionClient` (tools, JSON and structured
    output, streaming, ``<think>`` reasoning). The defaults suit Ollama: ``base_url`` is
    ``http://localhost:11434/v1``, no API key is needed, the ``name`` field that some Ollama
    versions reject is not sent, and a model Parlay does not know gets local-model
    capabilities (tools and JSON on; vision only for names such as ``llava`` or
    ``*-vision``) without a warning. Pass ``model_info`` to state them exactly.

    Args:
        model: The Ollama model tag, e.g. ``"llama3.2"`` or ``"qwen2.5:7b"``.
        base_url: The OpenAI-compatible root URL (default :data:`DEFAULT_OLLAMA_BASE_URL`).
        host: Ollama's root URL without ``/v1``, as AutoGen's Ollama client takes it; used when
            ``base_url`` is not given.
        api_key: Sent as a bearer token; only needed behind an authenticating proxy.
        options: Ollama options, translated into request arguments (``num_predict`` becomes
            ``max_tokens``).
        model_info: What the model supports.
        include_name_in_message: Send user messages' sources as ``name`` (default off).
        **kwargs: Anything else :class:`~parlay_ext.models.openai.OpenAIChatCompletionClient`
            accepts (``timeout``, ``max_retries``, ``default_headers``, ``temperature``, ...).

    Raises:
        ModelInfoError: ``model_info`` lacks required keys.
        TypeError: An unknown keyword argument or Ollama option.

    Example:
        >>> client = OllamaChatCompletionClient(model="llama3.2")  # doctest: +SKIP
    """

    component_config_schema = OllamaClientConfigurationConfigModel
    component_provider_override = "parlay_ext.models.ollama.OllamaChatCompletionClient"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        host: str | None = None,
        api_key: str | None = None,
        options: Mapping[str, Any] | None = None,
        model_info: ModelInfo | None = None,
        include_name_in_message: bool = False,
        **kwargs: Any,
    ) -> None:
        create = _from_options(options or {})
        create.update(kwargs)
        super().__init__(
            model=model,
            api_key=api_key or "ollama",
            base_url=_base_url(base_url, host),
            model_info=model_info if model_info is not None else ollama_model_info(model),
            include_name_in_message=include_name_in_message,
            **create,
        )
        self._api_key_given = api_key is not None
        self._model_info_given = model_info is not None

    def _where(self) -> str:
        return f"Ollama at {self._client.base_url} (model {self._model!r})"

    def _to_config(self) -> OllamaClientConfigurationConfigModel:
        fields = self._config.model_dump()
        if not self._api_key_given:
            fields["api_key"] = None
        if not self._model_info_given:
            fields["model_info"] = None
        return OllamaClientConfigurationConfigModel(**fields)

    @classmethod
    def _from_config(cls, config: OpenAIClientConfigurationConfigModel) -> Self:
        fields = config.model_dump(exclude_none=True, exclude={"api_key", "model_info"})
        key = config.api_key
        info = None if config.model_info is None else cast("ModelInfo", config.model_info)
        return cls(
            api_key=None if key is None else key.get_secret_value(),
            model_info=info,
            **fields,
        )
