"""The entry-point groups Parlay owns, and hints for plugins that ship with parlay-ext."""

from __future__ import annotations

__all__ = [
    "CACHE_STORES",
    "CODE_EXECUTORS",
    "MEMORIES",
    "MODEL_CLIENTS",
    "PLUGIN_GROUPS",
    "RUNTIMES",
    "STATE_STORES",
    "TOOLS",
    "parlay_ext_extra",
]

MODEL_CLIENTS = "parlay.model_clients"
"""Entry-point group of :class:`~parlay_core.models.ChatCompletionClient` classes."""

TOOLS = "parlay.tools"
"""Entry-point group of tool or workbench classes (or factories)."""

CODE_EXECUTORS = "parlay.code_executors"
"""Entry-point group of code-executor classes."""

RUNTIMES = "parlay.runtimes"
"""Entry-point group of agent-runtime classes."""

STATE_STORES = "parlay.state_stores"
"""Entry-point group of state-store classes."""

CACHE_STORES = "parlay.cache_stores"
"""Entry-point group of :class:`~parlay_core.CacheStore` classes."""

MEMORIES = "parlay.memories"
"""Entry-point group of :class:`~parlay_core.memory.Memory` classes."""

PLUGIN_GROUPS: tuple[str, ...] = (
    MODEL_CLIENTS,
    TOOLS,
    CODE_EXECUTORS,
    RUNTIMES,
    STATE_STORES,
    CACHE_STORES,
    MEMORIES,
)
"""Every entry-point group Parlay reads, in a stable order."""

# Names parlay-ext registers, mapped to the extra that pulls in their SDK ("" when parlay-ext
# needs no extra for it). This table only improves the "not found" message; discovery itself
# never consults it. Keep it in step with parlay-ext's entry points and its
# [project.optional-dependencies] (a test in the parlay-ext suite checks both). AutoGen's
# provider aliases are listed too, because configs written for AutoGen use them.
_PARLAY_EXT_EXTRAS: dict[str, dict[str, str]] = {
    MODEL_CLIENTS: {
        "default": "",
        "openai": "openai",
        "openai_compatible": "openai",
        "OpenAIChatCompletionClient": "openai",
        "openai_chat_completion_client": "openai",
        "azure_openai": "openai",
        "AzureOpenAIChatCompletionClient": "openai",
        "azure_openai_chat_completion_client": "openai",
        "anthropic": "anthropic",
        "AnthropicChatCompletionClient": "anthropic",
        "ollama": "openai",
        "OllamaChatCompletionClient": "openai",
        "local": "local",
        "embedded": "local",
        "llama_cpp": "local",
        "LlamaCppChatCompletionClient": "local",
        "replay": "",
        "ChatCompletionCache": "",
    },
    TOOLS: {
        "mcp": "mcp",
        "McpWorkbench": "mcp",
        "http": "http",
        "HttpTool": "http",
        "python_code_execution": "",
        "PythonCodeExecutionTool": "",
    },
    CODE_EXECUTORS: {
        "local": "",
        "LocalCommandLineCodeExecutor": "",
        "jupyter": "jupyter",
        "JupyterCodeExecutor": "jupyter",
        "docker": "docker",
        "DockerCommandLineCodeExecutor": "docker",
    },
    RUNTIMES: {
        "nats": "nats",
        "NatsWorkerAgentRuntime": "nats",
        "grpc": "grpc",
        "GrpcWorkerAgentRuntime": "grpc",
    },
    STATE_STORES: {"nats": "nats", "nats_kv": "nats", "NatsKVStateStore": "nats"},
    CACHE_STORES: {
        "sqlite": "",
        "SQLiteStore": "",
        "diskcache": "diskcache",
        "DiskCacheStore": "diskcache",
        "redis": "redis",
        "RedisStore": "redis",
    },
    MEMORIES: {"chromadb": "chromadb", "ChromaDBVectorMemory": "chromadb"},
}


def parlay_ext_extra(group: str, name: str) -> str | None:
    """Return the parlay-ext extra that provides ``name`` in ``group``, if it is one of Parlay's.

    Args:
        group: An entry-point group such as :data:`MODEL_CLIENTS`.
        name: The plugin name that was asked for.

    Returns:
        The extra's name (for ``pip install "parlay-ext[<extra>]"``), ``""`` when plain
        ``parlay-ext`` provides it, or None when the name is not one of parlay-ext's
        integrations.
    """
    table = _PARLAY_EXT_EXTRAS.get(group, {})
    if name in table:
        return table[name]
    folded = name.lower().replace("-", "_")
    for known, extra in table.items():
        if known.lower() == folded:
            return extra
    return None
