"""The teams ``parlay serve`` offers: each config file read, checked and described."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from parlay_agentchat.serve._human import participant_names
from parlay_core import load_permissions

__all__ = ["ServedTeam", "load_served_teams", "one_line"]


def one_line(text: str) -> str:
    """The text on one line (for error messages shown in lists)."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


@dataclass
class ServedTeam:
    """A team config the server offers.

    Attributes:
        name: Its name in the app and the API (the file name without its suffix).
        config: The component config, or ``None`` if the file could not be read.
        kind: The team's (or agent's) class name.
        description: The config's description.
        participants: The names of its participants.
        error: Why it cannot run (the config failed to load), or ``None``.
    """

    name: str
    config: dict[str, Any] | None
    kind: str = ""
    description: str = ""
    participants: list[str] = field(default_factory=lambda: [])
    error: str | None = None

    def public(self) -> dict[str, Any]:
        """What the API and the pages show (never the config itself: it may hold secrets)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "participants": self.participants,
            "available": self.error is None,
            "error": self.error,
        }


def load_served_teams(
    paths: Sequence[str],
    *,
    allow_code_execution: bool,
    allow_environment_keys: bool,
    allow_import: Sequence[str],
) -> dict[str, ServedTeam]:
    """Read and check each config file; a file that fails is served as unavailable, with why."""
    from parlay_agentchat.cli._main import (  # the command line's own checks and messages
        _load,  # pyright: ignore[reportPrivateUsage]
        _parse,  # pyright: ignore[reportPrivateUsage]
        _UsageError,  # pyright: ignore[reportPrivateUsage]
    )

    teams: dict[str, ServedTeam] = {}
    for path_text in paths:
        name = Path(path_text).stem or "team"
        unique, n = name, 2
        while unique in teams:
            unique, n = f"{name}-{n}", n + 1
        team = ServedTeam(unique, None)
        teams[unique] = team
        try:
            with load_permissions(allow_import_paths=allow_import):
                _load(path_text, allow_code_execution, allow_environment_keys)
            data = _parse(path_text, Path(path_text).read_text(encoding="utf-8"))
        except _UsageError as exc:
            team.error = str(exc)
            continue
        except Exception as exc:  # a config's own code failed while loading: say so, serve the rest
            team.error = f"{path_text}: {one_line(str(exc)) or type(exc).__name__}"
            continue
        config = cast("dict[str, Any]", data)
        team.config = config
        team.kind = str(config.get("provider", "")).rsplit(".", 1)[-1]
        team.description = str(config.get("description") or "")
        team.participants = sorted(participant_names(config))
    return teams
