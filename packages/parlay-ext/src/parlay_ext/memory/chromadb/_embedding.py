"""Embedding-function configs, as AutoGen names them, and Parlay's offline hashing function."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, SecretStr, field_serializer, field_validator

from parlay_ext.memory.chromadb._sdk import (
    Documents,
    EmbeddingFunction,
    Embeddings,
    register_embedding_function,
)

__all__ = [
    "CustomEmbeddingFunctionConfig",
    "DefaultEmbeddingFunctionConfig",
    "EmbeddingFunctionConfig",
    "HashingEmbeddingFunction",
    "HashingEmbeddingFunctionConfig",
    "OpenAIEmbeddingFunctionConfig",
    "SentenceTransformerEmbeddingFunctionConfig",
    "build_embedding_function",
]

_WORD = re.compile(r"\w+")


class HashingEmbeddingFunction(EmbeddingFunction[Documents]):
    """A deterministic embedding that needs no model: hashed words and character trigrams.

    Each text becomes a unit vector in which every lower-cased word and every character trigram
    of a word adds ±1 to a coordinate chosen by a stable hash. Texts that share words and word
    pieces point the same way, so retrieval works on wording, not meaning; that is enough for
    tests, demos and machines without network access, and it costs microseconds.

    Args:
        dimensions: The vector length.
    """

    def __init__(self, dimensions: int = 384) -> None:
        if dimensions < 8:
            raise ValueError(f"dimensions must be at least 8; got {dimensions}.")
        self.dimensions = dimensions

    def __call__(self, input: Documents) -> Embeddings:
        """Embed each text."""
        return [self._embed(text) for text in input]

    def _embed(self, text: str) -> Any:
        vector = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            padded = f"<{word}>"
            features = [word] + [padded[i : i + 3] for i in range(len(padded) - 2)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                number = int.from_bytes(digest, "big")
                sign = 1.0 if number & 1 else -1.0
                # Whole words count more than their pieces.
                weight = 2.0 if feature == word else 1.0
                vector[(number >> 1) % self.dimensions] += sign * weight
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0.0:
            # An empty text still needs a valid (non-zero) vector for cosine distance.
            vector[0] = 1.0
            return vector
        return [x / norm for x in vector]

    @staticmethod
    def name() -> str:
        """The name ChromaDB records in the collection's configuration."""
        return "parlay_hashing"

    def get_config(self) -> dict[str, Any]:
        """The settings ChromaDB records, to rebuild this function when the collection opens."""
        return {"dimensions": self.dimensions}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbeddingFunction:
        """Rebuild the function from :meth:`get_config`'s output."""
        return HashingEmbeddingFunction(int(config.get("dimensions", 384)))

    def default_space(self) -> Literal["cosine"]:
        """Cosine distance, since the vectors are unit length."""
        return "cosine"


# Registered so a collection created with it can be reopened by ChromaDB without naming it.
register_embedding_function(HashingEmbeddingFunction)


class DefaultEmbeddingFunctionConfig(BaseModel):
    """ChromaDB's default embedding (all-MiniLM-L6-v2 on ONNX; downloads the model on first use)."""

    function_type: Literal["default"] = "default"


class SentenceTransformerEmbeddingFunctionConfig(BaseModel):
    """A sentence-transformers model (needs the ``sentence-transformers`` package).

    Attributes:
        model_name: The model to load.
        device: Where to run it (``"cpu"``, ``"cuda"``, ...).
    """

    function_type: Literal["sentence_transformer"] = "sentence_transformer"
    model_name: str = "all-MiniLM-L6-v2"
    device: str = "cpu"


class OpenAIEmbeddingFunctionConfig(BaseModel):
    """OpenAI's embeddings API (needs the ``openai`` package and a key).

    Attributes:
        api_key: The API key; empty means the ``OPENAI_API_KEY`` environment variable.
        model_name: The embedding model.
    """

    function_type: Literal["openai"] = "openai"
    api_key: SecretStr = SecretStr("")
    model_name: str = "text-embedding-ada-002"


class HashingEmbeddingFunctionConfig(BaseModel):
    """Parlay's :class:`HashingEmbeddingFunction`: offline, deterministic, no model.

    Attributes:
        dimensions: The vector length.
    """

    function_type: Literal["hashing"] = "hashing"
    dimensions: int = Field(default=384, ge=8)


class CustomEmbeddingFunctionConfig(BaseModel):
    """An embedding function built by calling ``function(**params)``, in Python only.

    A dump names the function by its import path; loading such a dump is refused, because a
    config must not be able to import and run arbitrary code. Put the function object back (or
    register your embedding function with ChromaDB) to load it.

    Attributes:
        function: A callable that returns a ChromaDB embedding function.
        params: Keyword arguments for ``function``.
    """

    function_type: Literal["custom"] = "custom"
    function: Callable[..., Any]
    params: dict[str, Any] = Field(default_factory=dict[str, Any])

    @field_validator("function", mode="before")
    @classmethod
    def _refuse_import_paths(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError(
                f"A custom embedding function named by path ({value!r}) is not imported from a "
                "config; pass the function object in Python instead."
            )
        return value

    @field_serializer("function")
    def _serialize_function(self, function: Callable[..., Any]) -> str:
        module = getattr(function, "__module__", "?")
        return f"{module}.{getattr(function, '__qualname__', repr(function))}"


EmbeddingFunctionConfig = Annotated[
    Union[
        DefaultEmbeddingFunctionConfig,
        SentenceTransformerEmbeddingFunctionConfig,
        OpenAIEmbeddingFunctionConfig,
        HashingEmbeddingFunctionConfig,
        CustomEmbeddingFunctionConfig,
    ],
    Field(discriminator="function_type"),
]
"""Any embedding-function config, told apart by ``function_type``."""


def build_embedding_function(config: EmbeddingFunctionConfig) -> Any:
    """Build the ChromaDB embedding function a config describes.

    Raises:
        ImportError: The function needs a package that is not installed.
    """
    from chromadb.utils import embedding_functions as chroma_functions

    if isinstance(config, HashingEmbeddingFunctionConfig):
        return HashingEmbeddingFunction(config.dimensions)
    if isinstance(config, DefaultEmbeddingFunctionConfig):
        return chroma_functions.DefaultEmbeddingFunction()
    if isinstance(config, SentenceTransformerEmbeddingFunctionConfig):
        return chroma_functions.SentenceTransformerEmbeddingFunction(
            model_name=config.model_name, device=config.device
        )
    if isinstance(config, OpenAIEmbeddingFunctionConfig):
        key = config.api_key.get_secret_value() or None
        return chroma_functions.OpenAIEmbeddingFunction(api_key=key, model_name=config.model_name)
    return config.function(**config.params)
