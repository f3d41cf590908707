"""Parlay AgentChat: prebuilt agents, teams and termination conditions on parlay-core.

The names follow AutoGen 0.4's ``autogen_agentchat``, so AutoGen code, saved states and
component configs carry over after renaming imports.
"""

from parlay_agentchat._constants import EVENT_LOGGER_NAME, TRACE_LOGGER_NAME

__version__ = "0.1.0"

__all__ = ["EVENT_LOGGER_NAME", "TRACE_LOGGER_NAME"]
