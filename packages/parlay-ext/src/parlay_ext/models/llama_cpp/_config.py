"""Configuration of the embedded llama.cpp client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel

__all__ = [
    "CREATE_ARG_NAMES",
    "CreateArgumentsConfigModel",
    "LlamaCppClientConfigurationConfigModel",
    "split_create_args",
]


class CreateArgumentsConfigModel(BaseModel):
    """Sampling arguments sent with every call unless a call overrides them.

    The defaults suit small models: a low temperature with a repeat penalty (over the recent
    prompt and reply) and a frequency penalty (over the reply) keep a 135M model from looping
    or echoing the previous speaker, and ``max_tokens`` bounds how long one reply can take on
    a CPU.
    """

    max_tokens: int = 512
    temperature: float = 0.3
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.2
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.3
    stop: Union[str, list[str], None] = None
    seed: int | None = None


CREATE_ARG_NAMES: frozenset[str] = frozenset(CreateArgumentsConfigModel.model_fields)
"""The sampling arguments the client accepts as defaults at construction."""


class LlamaCppClientConfigurationConfigModel(CreateArgumentsConfigModel):
    """Configuration of :class:`LlamaCppChatCompletionClient`.

    Attributes:
        model_path: A GGUF chat model; ``None`` means the bundled SmolLM2-135M-Instruct.
        n_ctx: The context window in tokens.
        n_threads: CPU threads for generation and prompt processing.
        model_info: What the model supports (default: tools, JSON and structured output
            through grammars; no vision).
        quiet: Do not print loading progress (it is still logged).
        llama_kwargs: Further keyword arguments for ``llama_cpp.Llama`` (for example
            ``chat_format`` or ``n_gpu_layers``).
        tool_decision: How ``tool_choice="auto"`` chooses between a tool call and text.
        copy_arguments: Whether a call's made-up text arguments are generated again, limited
            to runs of the request's words (``None``: for models under a billion parameters).
    """

    model_path: str | None = None
    n_ctx: int = 4096
    n_threads: int = 1
    model_info: dict[str, Any] | None = None
    quiet: bool = False
    llama_kwargs: dict[str, Any] | None = None
    tool_decision: Literal["model", "words", "both", "grammar"] = "both"
    copy_arguments: bool | None = None


def split_create_args(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Validate default sampling arguments given to the constructor.

    Raises:
        TypeError: An argument is not a known sampling argument.
    """
    unknown = sorted(set(kwargs) - CREATE_ARG_NAMES)
    if unknown:
        raise TypeError(
            f"Unknown argument(s) {', '.join(unknown)}. Default sampling arguments are: "
            f"{', '.join(sorted(CREATE_ARG_NAMES))}; pass llama_cpp.Llama options in "
            "llama_kwargs={...}."
        )
    return dict(kwargs)
