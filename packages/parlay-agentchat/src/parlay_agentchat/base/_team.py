"""The Team interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from parlay_agentchat.base._task import TaskRunner
from parlay_core import ComponentBase

__all__ = ["Team"]


class Team(ABC, TaskRunner, ComponentBase[BaseModel]):
    """A group of agents that work on a task together. A team is a component
    (``component_type = "team"``) and can itself take part in another team."""

    component_type = "team"

    @property
    @abstractmethod
    def name(self) -> str:
        """The team's name (its name as a participant of an enclosing team)."""

    @property
    @abstractmethod
    def description(self) -> str:
        """What the team does."""

    @abstractmethod
    async def reset(self) -> None:
        """Forget the conversation of every member."""

    @abstractmethod
    async def pause(self) -> None:
        """Ask the members to pause."""

    @abstractmethod
    async def resume(self) -> None:
        """Let paused members go on."""

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]:
        """Return the state of every member, keyed by name."""

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`save_state`."""
