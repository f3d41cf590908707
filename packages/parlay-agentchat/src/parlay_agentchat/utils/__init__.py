"""Helpers for agents and teams that pass LLM messages around.

:func:`content_to_str` renders any message content as text; :func:`remove_images` prepares a
conversation for a model that cannot see images.
"""

from parlay_agentchat.utils._content import content_to_str, remove_images

__all__ = ["content_to_str", "remove_images"]
