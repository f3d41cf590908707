"""Memories for :class:`~parlay_core.memory.Memory`: a ChromaDB vector memory.

The list memory is :class:`parlay_core.memory.ListMemory`; :mod:`parlay_ext.memory.chromadb`
retrieves the stored items most similar to the conversation.
"""

__all__: list[str] = []
