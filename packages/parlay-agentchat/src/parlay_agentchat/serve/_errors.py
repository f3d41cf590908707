"""The errors of ``parlay serve``: each one carries the HTTP status and code the API answers with.

::

    AgentChatError
    └── ServeError                  base; ``status`` and ``code`` are what the HTTP API returns
        ├── BadRequestError         malformed JSON or a body that does not match the schema (400)
        ├── UnauthorizedError       the access token is missing or wrong (401)
        ├── UnknownSessionError     no session has this id (404)
        ├── UnknownTeamError        no served team has this name (404)
        ├── SessionStateError       the action does not fit the session's state (409)
        └── TeamUnavailableError    the team's config failed to load (422)
"""

from __future__ import annotations

from parlay_agentchat._exceptions import AgentChatError

__all__ = [
    "BadRequestError",
    "ServeError",
    "SessionStateError",
    "TeamUnavailableError",
    "UnauthorizedError",
    "UnknownSessionError",
    "UnknownTeamError",
]


class ServeError(AgentChatError):
    """An action of the web app that cannot be done; the message says why and what to do.

    Attributes:
        status: The HTTP status code the API answers with.
        code: A short machine-readable name of the error.
    """

    status = 400
    code = "bad_request"


class BadRequestError(ServeError):
    """The request body is not valid JSON or does not match the endpoint's schema."""

    status = 400
    code = "bad_request"


class UnauthorizedError(ServeError):
    """The access token is missing or wrong."""

    status = 401
    code = "unauthorized"


class UnknownSessionError(ServeError):
    """No session has this id."""

    status = 404
    code = "unknown_session"


class UnknownTeamError(ServeError):
    """No served team has this name."""

    status = 404
    code = "unknown_team"


class SessionStateError(ServeError):
    """The action does not fit the session's state (an answer to a session that is not waiting)."""

    status = 409
    code = "conflict"


class TeamUnavailableError(ServeError):
    """The team's config failed to load, so no session can run it."""

    status = 422
    code = "team_unavailable"
