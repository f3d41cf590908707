"""The one place ChromaDB is imported; a missing package names the extra to install."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from parlay_ext.models._common import missing_sdk

try:
    import chromadb
    from chromadb import Collection
    from chromadb.api import ClientAPI
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.config import Settings
    from chromadb.utils import embedding_functions as _embedding_functions
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("chromadb", "chromadb", _error) from _error

__all__ = [
    "ClientAPI",
    "Collection",
    "Documents",
    "EmbeddingFunction",
    "Embeddings",
    "Settings",
    "chromadb",
    "register_embedding_function",
]

_T = TypeVar("_T")


def register_embedding_function(cls: type[_T]) -> type[_T]:
    """Register an embedding-function class with ChromaDB by its ``name()``.

    ChromaDB records the function's name in a collection's configuration and looks it up here
    when the collection is opened without one.
    """
    # ChromaDB's decorator is untyped; this wrapper gives it a type, once.
    register = cast("Any", _embedding_functions.register_embedding_function)  # pyright: ignore[reportUnknownMemberType]
    register(cls)
    return cls
