"""Plugins: model clients, tools, code executors, runtimes, state stores, caches and memories.

A distribution offers a plugin by declaring an entry point in one of Parlay's groups::

    [project.entry-points."parlay.model_clients"]
    echo = "parlay_echo:EchoChatCompletionClient"

Listing reads metadata only; :func:`load_plugin` imports on demand. Component configs can name a
plugin by its entry-point name (``{"provider": "echo", ...}``).
"""

from parlay_core.plugins._groups import (
    CACHE_STORES,
    CODE_EXECUTORS,
    MEMORIES,
    MODEL_CLIENTS,
    PLUGIN_GROUPS,
    RUNTIMES,
    STATE_STORES,
    TOOLS,
    parlay_ext_extra,
)
from parlay_core.plugins._registry import (
    PluginInfo,
    find_plugin,
    list_plugins,
    load_plugin,
    plugin_packages,
    refresh_plugins,
    register,
    registered,
    unregister,
)

__all__ = [
    "CACHE_STORES",
    "CODE_EXECUTORS",
    "MEMORIES",
    "MODEL_CLIENTS",
    "PLUGIN_GROUPS",
    "RUNTIMES",
    "STATE_STORES",
    "TOOLS",
    "PluginInfo",
    "find_plugin",
    "list_plugins",
    "load_plugin",
    "parlay_ext_extra",
    "plugin_packages",
    "refresh_plugins",
    "register",
    "registered",
    "unregister",
]
