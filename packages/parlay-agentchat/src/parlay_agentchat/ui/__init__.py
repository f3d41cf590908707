"""Showing runs to people: :func:`Console` prints a ``run_stream`` as it happens."""

from parlay_agentchat.ui._console import Console, ConsoleStreamError
from parlay_agentchat.ui._input_manager import UserInputManager

__all__ = ["Console", "ConsoleStreamError", "UserInputManager"]
