"""Configuration of :class:`~parlay_ext.memory.chromadb.ChromaDBVectorMemory`, in AutoGen's shape."""

from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from parlay_ext.memory.chromadb._embedding import (
    DefaultEmbeddingFunctionConfig,
    EmbeddingFunctionConfig,
)

__all__ = [
    "ChromaDBVectorMemoryConfig",
    "HttpChromaDBVectorMemoryConfig",
    "PersistentChromaDBVectorMemoryConfig",
    "specific_config",
]


class ChromaDBVectorMemoryConfig(BaseModel):
    """Settings every ChromaDB memory has; use one of the two subclasses.

    Attributes:
        client_type: ``"persistent"`` (a folder on this machine) or ``"http"`` (a Chroma server);
            each subclass sets its own.
        collection_name: The collection that holds the items.
        distance_metric: ``"cosine"``, ``"l2"`` or ``"ip"``; fixed when the collection is created.
        k: How many items a query returns at most.
        score_threshold: Drop results whose score (0 to 1, higher is closer) is below this.
        allow_reset: Let :meth:`~parlay_ext.memory.chromadb.ChromaDBVectorMemory.reset` wipe
            the whole database.
        tenant: The Chroma tenant.
        database: The Chroma database.
        embedding_function_config: How texts become vectors. The default is ChromaDB's own
            model, which is downloaded on first use; ``HashingEmbeddingFunctionConfig()`` needs
            no download.
    """

    # Extra keys are kept so a config validated as this base class can still be turned into
    # the persistent or HTTP subclass its client_type names (see specific_config).
    model_config = ConfigDict(extra="allow")

    client_type: Literal["persistent", "http"]
    collection_name: str = "memory_store"
    distance_metric: Literal["cosine", "l2", "ip"] = "cosine"
    k: int = Field(default=3, ge=1)
    score_threshold: float | None = None
    allow_reset: bool = False
    tenant: str = "default_tenant"
    database: str = "default_database"
    embedding_function_config: EmbeddingFunctionConfig = Field(
        default_factory=DefaultEmbeddingFunctionConfig
    )


class PersistentChromaDBVectorMemoryConfig(ChromaDBVectorMemoryConfig):
    """A memory kept in a folder on this machine.

    Attributes:
        persistence_path: The folder (created if missing).
    """

    client_type: Literal["persistent", "http"] = "persistent"
    persistence_path: str = "./chroma_db"


class HttpChromaDBVectorMemoryConfig(ChromaDBVectorMemoryConfig):
    """A memory kept by a Chroma server.

    Attributes:
        host: The server's host name.
        port: The server's port.
        ssl: Connect with TLS.
        headers: Extra HTTP headers, for example for authentication.
    """

    client_type: Literal["persistent", "http"] = "http"
    host: str = "localhost"
    port: int = 8000
    ssl: bool = False
    headers: dict[str, str] | None = None


def specific_config(
    config: ChromaDBVectorMemoryConfig,
) -> Union[PersistentChromaDBVectorMemoryConfig, HttpChromaDBVectorMemoryConfig]:
    """Return ``config`` as the subclass its ``client_type`` names."""
    if isinstance(config, (PersistentChromaDBVectorMemoryConfig, HttpChromaDBVectorMemoryConfig)):
        return config
    # The field objects themselves (extras included), not a dump: a dump would turn a custom
    # embedding function into its name.
    data = dict(config)
    if config.client_type == "http":
        return HttpChromaDBVectorMemoryConfig.model_validate(data)
    return PersistentChromaDBVectorMemoryConfig.model_validate(data)
