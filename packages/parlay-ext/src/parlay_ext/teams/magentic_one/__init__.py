"""MagenticOne: the preset Magentic-One team (orchestrator, web surfer, file surfer, coder and,
when given an executor and an approval function, a terminal).

Needs the ``magentic-one`` extra: ``pip install "parlay-ext[magentic-one]"`` and a Chromium
browser for the web surfer.
"""

from parlay_ext.models._common import missing_sdk

try:  # an AgentChat team: say which extra brings parlay-agentchat
    import parlay_agentchat as _agentchat  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("magentic-one", "parlay_agentchat", _error) from _error

from parlay_ext.teams.magentic_one._magentic_one import (
    AsyncInputFunc,
    InputFuncType,
    MagenticOne,
    SyncInputFunc,
)

__all__ = ["AsyncInputFunc", "InputFuncType", "MagenticOne", "SyncInputFunc"]
