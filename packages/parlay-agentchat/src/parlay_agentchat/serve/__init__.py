"""``parlay serve``: saved teams as a small web app and HTTP API (``parlay-agentchat[serve]``).

Run it with ``parlay serve team.json``; in Python, :func:`create_app` builds the Starlette
application for your own server. Sessions and their events live in a SQLite file: a session that
needs a person (a ``UserProxyAgent`` turn, a handoff to the user) waits there with its team's
saved state, without a task waiting, and the answer runs it on, in this process or after a
restart. See the documentation page "parlay serve".
"""

from parlay_agentchat.serve._app import create_app
from parlay_agentchat.serve._errors import (
    BadRequestError,
    ServeError,
    SessionStateError,
    TeamUnavailableError,
    UnauthorizedError,
    UnknownSessionError,
    UnknownTeamError,
)
from parlay_agentchat.serve._sessions import SessionManager
from parlay_agentchat.serve._store import SessionRecord, SessionStore, StoredEvent
from parlay_agentchat.serve._teams import ServedTeam, load_served_teams

__all__ = [
    "BadRequestError",
    "ServeError",
    "ServedTeam",
    "SessionManager",
    "SessionRecord",
    "SessionStateError",
    "SessionStore",
    "StoredEvent",
    "TeamUnavailableError",
    "UnauthorizedError",
    "UnknownSessionError",
    "UnknownTeamError",
    "create_app",
    "load_served_teams",
]
