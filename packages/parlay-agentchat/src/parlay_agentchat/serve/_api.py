"""The HTTP API's request and response shapes, and its OpenAPI document built from them."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnswerRequest", "CreateSessionRequest", "openapi_document"]


class CreateSessionRequest(BaseModel):
    """``POST /api/sessions``: start a session of a served team on a task."""

    model_config = ConfigDict(extra="forbid")
    team: str = Field(description="The name of a served team (GET /api/teams).")
    task: str = Field(min_length=1, description="What the team should do.")


class AnswerRequest(BaseModel):
    """``POST /api/sessions/{id}/answer``: a person's answer to a waiting session."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The answer.")
    request_id: str | None = Field(
        default=None,
        description="The pending request's id (session.pending.request_id); when given, an "
        "answer to an earlier request is refused.",
    )


class _Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class _Team(BaseModel):
    name: str
    kind: str = Field(description="The team's class name.")
    description: str
    participants: list[str]
    available: bool
    error: str | None = Field(description="Why the config failed to load, if it did.")


class _Pending(BaseModel):
    kind: Literal["user_proxy", "handoff"]
    agent: str = Field(description="Who the answer speaks for.")
    to: str | None = Field(description="The agent the answer is handed back to, if any.")
    prompt: str
    request_id: str | None


class _Session(BaseModel):
    id: str
    team: str
    title: str
    status: Literal["running", "waiting", "finished", "stopped", "interrupted", "failed"]
    created: float
    updated: float
    pending: _Pending | None
    error: str | None
    usage: _Usage
    last_seq: int = Field(description="The sequence number of the newest event.")


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow")
    seq: int = Field(description="Its number in the session, from 1, without gaps.")
    time: float
    kind: Literal["message", "status"]
    type: str | None = Field(default=None, description="message: the message class name.")
    source: str | None = None
    text: str | None = None
    usage: _Usage | None = None
    status: str | None = Field(default=None, description="status: the new status.")
    detail: str | None = None


class _Events(BaseModel):
    session: _Session
    events: list[_Event]


class _ErrorBody(BaseModel):
    code: str = Field(
        description="bad_request, unauthorized, forbidden, unknown_session, unknown_team, "
        "not_found, method_not_allowed, conflict, team_unavailable or internal."
    )
    message: str


class _Error(BaseModel):
    error: _ErrorBody


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _json("Error", "An error; the message says what to do.") for code in codes}


def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API."""
    models: dict[str, type[BaseModel]] = {
        "CreateSessionRequest": CreateSessionRequest,
        "AnswerRequest": AnswerRequest,
        "Team": _Team,
        "Session": _Session,
        "Event": _Event,
        "Events": _Events,
        "Error": _Error,
    }
    schemas: dict[str, Any] = {}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for inner_name, inner in schema.pop("$defs", {}).items():
            schemas[inner_name.lstrip("_")] = inner
        schemas[name] = schema
    # Private model names start with "_"; the document names them without it.
    text = json.dumps(schemas).replace("#/components/schemas/_", "#/components/schemas/")
    schemas = json.loads(text)
    session_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    after = {
        "name": "after",
        "in": "query",
        "schema": {"type": "integer", "default": 0},
        "description": "Only events with a higher sequence number.",
    }
    action = {
        "parameters": [session_id],
        "responses": {
            "202": _json("Session", "Accepted; the session as it now is."),
            **_errors(401, 403, 404, 409, 422),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "parlay serve",
            "version": version,
            "description": "Run saved Parlay teams, stream them, answer their questions.",
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"token": []}],
        "paths": {
            "/api/teams": {
                "get": {
                    "summary": "The served teams",
                    "responses": {
                        "200": {
                            "description": "The teams",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": _ref("Team")}
                                }
                            },
                        }
                    },
                }
            },
            "/api/sessions": {
                "get": {
                    "summary": "Every session, newest first",
                    "responses": {
                        "200": {
                            "description": "The sessions",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": _ref("Session")}
                                }
                            },
                        }
                    },
                },
                "post": {
                    "summary": "Start a session on a task",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("CreateSessionRequest")}},
                    },
                    "responses": {
                        "201": _json("Session", "The new session, running."),
                        **_errors(400, 401, 403, 404, 422),
                    },
                },
            },
            "/api/sessions/{id}": {
                "get": {
                    "summary": "One session",
                    "parameters": [session_id],
                    "responses": {"200": _json("Session", "The session"), **_errors(404)},
                }
            },
            "/api/sessions/{id}/events": {
                "get": {
                    "summary": "A session's stored events (its history)",
                    "parameters": [session_id, after],
                    "responses": {"200": _json("Events", "The events"), **_errors(400, 404)},
                }
            },
            "/api/sessions/{id}/stream": {
                "get": {
                    "summary": "Server-sent events: the stored events after `after` (or the "
                    "Last-Event-ID header), then new ones live. Each stored event has `id:` its "
                    "sequence number; `event: chunk` carries streamed tokens (no id, not stored).",
                    "parameters": [session_id, after],
                    "responses": {
                        "200": {
                            "description": "text/event-stream",
                            "content": {"text/event-stream": {}},
                        },
                        **_errors(404),
                    },
                }
            },
            "/api/sessions/{id}/answer": {
                "post": {
                    "summary": "Answer a waiting session; it runs on",
                    "parameters": [session_id],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AnswerRequest")}},
                    },
                    "responses": {
                        "202": _json("Session", "Accepted; the session runs on."),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
            "/api/sessions/{id}/stop": {"post": {"summary": "Stop the running step", **action}},
            "/api/sessions/{id}/resume": {
                "post": {"summary": "Run a stopped, interrupted or failed step again", **action}
            },
        },
    }
