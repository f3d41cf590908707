"""The one place ``llama_cpp`` (llama-cpp-python) is imported; a missing package names the extra."""

from __future__ import annotations

from parlay_ext.models._common import missing_sdk

try:
    import llama_cpp as llama_low_level
    import numpy
    from llama_cpp import Llama, llama_model_n_params
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("local", "llama-cpp-python", _error) from _error

__all__ = [
    "Llama",
    "LlamaGrammar",
    "json_schema_to_gbnf",
    "llama_low_level",
    "llama_model_n_params",
    "numpy",
]
