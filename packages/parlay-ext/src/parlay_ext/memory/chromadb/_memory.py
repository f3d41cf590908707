"""A memory that retrieves the stored items most similar to the conversation, from ChromaDB."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any, Union

from typing_extensions import Self

from parlay_core import CancellationToken, Component
from parlay_core.memory import (
    Memory,
    MemoryContent,
    MemoryMimeType,
    MemoryQueryResult,
    UpdateContextResult,
)
from parlay_core.models import SystemMessage
from parlay_ext.memory.chromadb._config import (
    ChromaDBVectorMemoryConfig,
    HttpChromaDBVectorMemoryConfig,
    PersistentChromaDBVectorMemoryConfig,
    specific_config,
)
from parlay_ext.memory.chromadb._embedding import build_embedding_function
from parlay_ext.memory.chromadb._sdk import ClientAPI, Collection, Settings, chromadb

if TYPE_CHECKING:
    from parlay_core.model_context import ChatCompletionContext

__all__ = ["ChromaDBVectorMemory"]

_TEXT_TYPES = (MemoryMimeType.TEXT.value, MemoryMimeType.MARKDOWN.value)
_SCALARS = (str, int, float, bool)


def _mime_text(mime: Union[MemoryMimeType, str]) -> str:
    return mime.value if isinstance(mime, MemoryMimeType) else mime


def _document(item: MemoryContent) -> str:
    mime = _mime_text(item.mime_type)
    if mime in _TEXT_TYPES:
        return str(item.content)
    if mime == MemoryMimeType.JSON.value:
        if isinstance(item.content, dict):
            return json.dumps(item.content, ensure_ascii=False)
        return str(item.content)
    raise ValueError(
        f"ChromaDBVectorMemory stores text, markdown and JSON; got content of type {mime!r}. "
        "Describe the item in text to store it."
    )


def _chroma_metadata(item: MemoryContent) -> dict[str, Any]:
    # Chroma keeps only scalar metadata values, so anything else is kept as its JSON text.
    stored: dict[str, Any] = {}
    for key, value in (item.metadata or {}).items():
        if value is None:
            continue
        stored[key] = value if isinstance(value, _SCALARS) else json.dumps(value, default=str)
    stored["mime_type"] = _mime_text(item.mime_type)
    return stored


def _query_text(query: Union[str, MemoryContent]) -> str:
    if isinstance(query, str):
        return query
    if isinstance(query.content, dict):
        return json.dumps(query.content, ensure_ascii=False)
    return str(query.content)


def _first_row(found: Any, field: str) -> list[Any]:
    # A query result holds one row per query text; this memory always sends one.
    rows: Any = found.get(field) or [[]]
    return list(rows[0])


class ChromaDBVectorMemory(Memory, Component[ChromaDBVectorMemoryConfig]):
    """A memory in a ChromaDB collection that returns the items closest to a query.

    :meth:`update_context` queries with the text of the conversation's last message and adds the
    results as one :class:`~parlay_core.models.SystemMessage`. Each result's ``metadata`` carries
    the stored metadata plus ``score`` (0 to 1, higher is closer: ``1 - distance / 2`` for
    cosine, ``1 / (1 + distance)`` for l2 and ip) and the item's ``id``. Text, markdown and JSON
    items are stored; JSON items come back as dicts.

    The client is created on first use. ChromaDB's calls block, so they run in a worker thread
    rather than stalling the event loop; ChromaDB's anonymous telemetry is turned off.

    Args:
        config: Where the collection lives and how texts are embedded; default: a persistent
            collection in ``./chroma_db`` with ChromaDB's default embedding (downloaded on first
            use; choose :class:`~parlay_ext.memory.chromadb.HashingEmbeddingFunctionConfig` to
            stay offline).

    Example:
        ```python
        memory = ChromaDBVectorMemory(
            config=PersistentChromaDBVectorMemoryConfig(
                persistence_path="./memory",
                embedding_function_config=HashingEmbeddingFunctionConfig(),
            )
        )
        await memory.add(MemoryContent(content="Paris is in France", mime_type="text/plain"))
        result = await memory.query("Where is Paris?")
        ```
    """

    component_config_schema = ChromaDBVectorMemoryConfig
    component_provider_override = "parlay_ext.memory.chromadb.ChromaDBVectorMemory"

    def __init__(self, config: ChromaDBVectorMemoryConfig | None = None) -> None:
        self._config = specific_config(config or PersistentChromaDBVectorMemoryConfig())
        self._client: ClientAPI | None = None
        self._collection: Collection | None = None

    @property
    def collection_name(self) -> str:
        """The name of the collection that holds the items."""
        return self._config.collection_name

    def _connect(self) -> Collection:
        if self._collection is not None:
            return self._collection
        config = self._config
        settings = Settings(allow_reset=config.allow_reset, anonymized_telemetry=False)
        if isinstance(config, HttpChromaDBVectorMemoryConfig):
            client = chromadb.HttpClient(
                host=config.host,
                port=config.port,
                ssl=config.ssl,
                headers=config.headers,
                settings=settings,
                tenant=config.tenant,
                database=config.database,
            )
        else:
            client = chromadb.PersistentClient(
                path=config.persistence_path,
                settings=settings,
                tenant=config.tenant,
                database=config.database,
            )
        collection = client.get_or_create_collection(
            name=config.collection_name,
            embedding_function=build_embedding_function(config.embedding_function_config),
            configuration={"hnsw": {"space": config.distance_metric}},
        )
        self._client, self._collection = client, collection
        return collection

    async def _run(self, work: Any, cancellation_token: CancellationToken | None) -> Any:
        task = asyncio.ensure_future(asyncio.to_thread(work))
        if cancellation_token is not None:
            cancellation_token.link_future(task)
        return await task

    def _score(self, distance: float) -> float:
        if self._config.distance_metric == "cosine":
            return 1.0 - distance / 2.0
        return 1.0 / (1.0 + distance)

    async def add(
        self, content: MemoryContent, cancellation_token: CancellationToken | None = None
    ) -> None:
        """Embed and store ``content`` under a new id.

        Raises:
            ValueError: The content is not text, markdown or JSON.
        """
        document = _document(content)
        metadata = _chroma_metadata(content)

        def work() -> None:
            self._connect().add(ids=[str(uuid.uuid4())], documents=[document], metadatas=[metadata])

        await self._run(work, cancellation_token)

    async def query(
        self,
        query: Union[str, MemoryContent] = "",
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """Return up to ``k`` stored items closest to ``query``, closest first.

        Args:
            query: Text, or an item whose content is the text to match.
            cancellation_token: Cancels the query.
            **kwargs: Passed to ChromaDB's ``Collection.query``, for example ``where={...}``
                to filter on metadata or ``n_results`` to change ``k`` for this call.
        """
        text = _query_text(query)
        options: dict[str, Any] = {"n_results": self._config.k, **kwargs}

        def work() -> Any:
            return self._connect().query(
                query_texts=[text], include=["documents", "metadatas", "distances"], **options
            )

        found: Any = await self._run(work, cancellation_token)
        results: list[MemoryContent] = []
        ids = _first_row(found, "ids")
        documents = _first_row(found, "documents")
        metadatas = _first_row(found, "metadatas")
        distances = _first_row(found, "distances")
        threshold = self._config.score_threshold
        for item_id, document, stored, distance in zip(
            ids, documents, metadatas, distances, strict=True
        ):
            score = self._score(float(distance))
            if threshold is not None and score < threshold:
                continue
            metadata: dict[str, Any] = dict(stored or {})
            mime = str(metadata.pop("mime_type", MemoryMimeType.TEXT.value))
            content: Any = document
            if mime == MemoryMimeType.JSON.value:
                try:
                    content = json.loads(document)
                except ValueError:
                    content = document
            metadata.update(score=score, id=item_id)
            results.append(MemoryContent(content=content, mime_type=mime, metadata=metadata))
        return MemoryQueryResult(results=results)

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add the items closest to the last message as one system message."""
        messages = await model_context.get_messages()
        if not messages:
            return UpdateContextResult(memories=MemoryQueryResult(results=[]))
        last: Any = messages[-1].content
        if isinstance(last, list):
            text = " ".join(part for part in last if isinstance(part, str))  # pyright: ignore[reportUnknownVariableType]
        else:
            text = str(last)
        found = await self.query(text)
        if found.results:
            lines = "\n".join(
                f"{n}. {_query_text(item)}" for n, item in enumerate(found.results, 1)
            )
            await model_context.add_message(
                SystemMessage(content=f"\nRelevant memory content:\n{lines}")
            )
        return UpdateContextResult(memories=found)

    async def clear(self) -> None:
        """Remove every item from the collection (the collection itself stays)."""

        def work() -> None:
            collection = self._connect()
            ids = collection.get(include=[])["ids"]
            if ids:
                collection.delete(ids=ids)

        await self._run(work, None)

    async def reset(self) -> None:
        """Delete everything in the database, every collection included.

        Raises:
            RuntimeError: The config does not set ``allow_reset`` (AutoGen's exception type).
        """
        if not self._config.allow_reset:
            raise RuntimeError(
                "reset() wipes the whole ChromaDB database; set allow_reset=True in the "
                "memory's config to allow it, or call clear() to empty this collection only."
            )

        def work() -> None:
            self._connect()
            assert self._client is not None
            self._client.reset()
            self._collection = None

        await self._run(work, None)

    async def close(self) -> None:
        """Drop the client; the next call reconnects."""
        self._client = None
        self._collection = None

    def _to_config(self) -> ChromaDBVectorMemoryConfig:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: ChromaDBVectorMemoryConfig) -> Self:
        return cls(config)
