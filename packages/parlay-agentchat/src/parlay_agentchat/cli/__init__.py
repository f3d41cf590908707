"""The ``parlay`` command line (``parlay --help``): run saved team configs in the Console."""

from parlay_agentchat.cli._main import main

__all__ = ["main"]
