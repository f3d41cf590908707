"""MagenticOneCoderAgent: Magentic-One's coder, an AssistantAgent with a sealed prompt.

Needs the ``magentic-one`` extra: ``pip install "parlay-ext[magentic-one]"`` (it installs
parlay-agentchat and what the other Magentic-One agents need).
"""

from parlay_ext.models._common import missing_sdk

try:  # these are AgentChat agents: say which extra brings parlay-agentchat
    import parlay_agentchat as _agentchat  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("magentic-one", "parlay_agentchat", _error) from _error

from parlay_ext.agents.magentic_one._coder import (
    MAGENTIC_ONE_CODER_DESCRIPTION,
    MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
    MagenticOneCoderAgent,
)

__all__ = [
    "MAGENTIC_ONE_CODER_DESCRIPTION",
    "MAGENTIC_ONE_CODER_SYSTEM_MESSAGE",
    "MagenticOneCoderAgent",
]
