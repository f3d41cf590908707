"""A vector memory in ChromaDB (``pip install "parlay-ext[chromadb]"``).

AutoGen's ``autogen_ext.memory.chromadb`` under Parlay's name, plus
:class:`HashingEmbeddingFunctionConfig`, an embedding that works offline.
"""

from parlay_ext.memory.chromadb._config import (
    ChromaDBVectorMemoryConfig,
    HttpChromaDBVectorMemoryConfig,
    PersistentChromaDBVectorMemoryConfig,
)
from parlay_ext.memory.chromadb._embedding import (
    CustomEmbeddingFunctionConfig,
    DefaultEmbeddingFunctionConfig,
    HashingEmbeddingFunction,
    HashingEmbeddingFunctionConfig,
    OpenAIEmbeddingFunctionConfig,
    SentenceTransformerEmbeddingFunctionConfig,
)
from parlay_ext.memory.chromadb._memory import ChromaDBVectorMemory

__all__ = [
    "ChromaDBVectorMemory",
    "ChromaDBVectorMemoryConfig",
    "CustomEmbeddingFunctionConfig",
    "DefaultEmbeddingFunctionConfig",
    "HashingEmbeddingFunction",
    "HashingEmbeddingFunctionConfig",
    "HttpChromaDBVectorMemoryConfig",
    "OpenAIEmbeddingFunctionConfig",
    "PersistentChromaDBVectorMemoryConfig",
    "SentenceTransformerEmbeddingFunctionConfig",
]
