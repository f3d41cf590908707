"""One loaded llama.cpp model per process for every client with the same load settings.

A GGUF model costs its file size in memory and seconds to load, so two agents of one team on
the same model must not load it twice. Clients take a :class:`SharedModel` from here and give
it back on close; the last one to give it back frees it. A model's single worker thread is
the lock: llama.cpp contexts are not safe for concurrent calls, so every generation on a
model, from whichever client, runs on that one thread, one after another.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from parlay_ext.models.llama_cpp._sdk import Llama

__all__ = ["SharedModel", "acquire_model", "load_key", "loaded_model_count", "release_model"]


@dataclass
class SharedModel:
    """A loaded model, the thread that runs it, and how many clients hold it."""

    key: Hashable
    llm: Llama
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="parlay-llama")
    )
    users: int = 0
    # The tool decision's evaluated tool texts (see ``_scoring``); used on the model's thread.
    scoring_cache: dict[tuple[int, ...], Any] = field(default_factory=dict[tuple[int, ...], Any])


_models: dict[Hashable, SharedModel] = {}
# Held while a model loads, so two clients that start together load it once.
_registry_lock = threading.Lock()


def load_key(path: str, n_ctx: int, n_threads: int, llama_kwargs: dict[str, Any] | None) -> str:
    """The settings that decide what ``llama_cpp.Llama`` loads; equal keys share a model."""
    return json.dumps(
        {"path": path, "n_ctx": n_ctx, "n_threads": n_threads, "kwargs": llama_kwargs or {}},
        sort_keys=True,
        default=repr,
    )


def acquire_model(key: Hashable, build: Callable[[], Llama]) -> SharedModel:
    """Return the model loaded under ``key``, loading it with ``build`` if none is.

    Blocks while another thread loads a model; call it off the event loop.
    """
    with _registry_lock:
        shared = _models.get(key)
        if shared is None:
            shared = SharedModel(key=key, llm=build())
            _models[key] = shared
        shared.users += 1
        return shared


def release_model(shared: SharedModel) -> bool:
    """Give a model back; the last holder's release frees it.

    Returns:
        Whether the model was freed (the caller then closes it on its thread).
    """
    with _registry_lock:
        shared.users -= 1
        if shared.users > 0:
            return False
        if _models.get(shared.key) is shared:
            del _models[shared.key]
        return True


def loaded_model_count() -> int:
    """How many models this process holds loaded now."""
    with _registry_lock:
        return len(_models)
