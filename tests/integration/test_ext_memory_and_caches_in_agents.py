"""parlay-ext's ChromaDB memory and persistent cache stores used by an AgentChat agent.

These need parlay-agentchat and parlay-ext together, so they live outside tests/ext.
"""

from __future__ import annotations

from pathlib import Path

import diskcache  # type: ignore[import-untyped]

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.messages import MemoryQueryEvent
from parlay_core.memory import MemoryContent, MemoryMimeType
from parlay_ext.cache_store.diskcache import DiskCacheStore
from parlay_ext.memory.chromadb import (
    ChromaDBVectorMemory,
    HashingEmbeddingFunctionConfig,
    PersistentChromaDBVectorMemoryConfig,
)
from parlay_ext.models.cache import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache
from tests.agentchat._support import replay


async def test_an_assistant_agent_recalls_from_chromadb(tmp_path: Path) -> None:
    memory = ChromaDBVectorMemory(
        PersistentChromaDBVectorMemoryConfig(
            persistence_path=str(tmp_path),
            k=1,
            embedding_function_config=HashingEmbeddingFunctionConfig(),
        )
    )
    for fact in ["The user likes green tea", "The office is in Lyon"]:
        await memory.add(MemoryContent(content=fact, mime_type=MemoryMimeType.TEXT))
    client = replay("Green tea.")
    agent = AssistantAgent("m", client, memory=[memory])
    result = await agent.run(task="Which tea does the user like?")
    [event] = [m for m in result.messages if isinstance(m, MemoryQueryEvent)]
    assert [item.content for item in event.content] == ["The user likes green tea"]
    sent = client.create_calls[0]["messages"]
    assert any("1. The user likes green tea" in str(m.content) for m in sent)
    assert not any("Lyon" in str(m.content) for m in sent)
    await memory.close()


async def test_an_agent_run_replays_from_a_diskcache_folder(tmp_path: Path) -> None:
    def agent(answers: list[str]) -> AssistantAgent:
        store = DiskCacheStore[CHAT_CACHE_VALUE_TYPE](diskcache.Cache(str(tmp_path)))
        return AssistantAgent("a", ChatCompletionCache(replay(*answers), store))

    first = await agent(["Paris."]).run(task="Capital of France?")
    # A new process would find the answer in the folder: no scripted answers are left.
    again = await agent([]).run(task="Capital of France?")
    assert first.messages[-1].to_text() == again.messages[-1].to_text() == "Paris."
