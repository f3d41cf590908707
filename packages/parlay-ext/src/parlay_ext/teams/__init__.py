"""Preset AgentChat teams built from parlay-ext's agents.

:mod:`parlay_ext.teams.magentic_one` holds ``MagenticOne`` (extra ``magentic-one``).
"""

__all__: list[str] = []
