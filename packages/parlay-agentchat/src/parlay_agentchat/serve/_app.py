"""The ``parlay serve`` web application: pages, the JSON API and its event stream."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ValidationError

from parlay_agentchat.serve._api import AnswerRequest, CreateSessionRequest, openapi_document
from parlay_agentchat.serve._errors import (
    BadRequestError,
    ServeError,
    UnauthorizedError,
)
from parlay_agentchat.serve._pages import error_page, index_page, session_page
from parlay_agentchat.serve._sessions import SessionManager
from parlay_agentchat.serve._store import SessionStore
from parlay_agentchat.serve._streams import event_payload, session_payload
from parlay_agentchat.serve._teams import ServedTeam
from parlay_agentchat.serve._web import (
    HTMLResponse,
    HTTPException,
    JSONResponse,
    RedirectResponse,
    Request,
    Response,
    Route,
    Starlette,
    StreamingResponse,
)

__all__ = ["create_app"]

_log = logging.getLogger("parlay_agentchat.serve")
_Model = TypeVar("_Model", bound=BaseModel)
_KEEPALIVE_SECONDS = 15.0
_LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
_COOKIE = "parlay_serve_token"
_MAX_BODY = 1_000_000


def _version() -> str:
    try:
        return version("parlay-agentchat")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def _error_json(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _sse(payload: Mapping[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"))
    seq = payload.get("seq")
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {payload.get('kind', 'message')}\ndata: {data}\n\n"


def create_app(
    teams: Mapping[str, ServedTeam],
    store_path: str,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    allow_code_execution: bool = False,
    allow_environment_keys: bool = False,
    allow_import: Sequence[str] = (),
) -> Starlette:
    """Build the web application.

    Args:
        teams: The served teams by name (see ``load_served_teams``).
        store_path: The SQLite file of sessions and events.
        token: When set, every request must carry it (``Authorization: Bearer``, or the cookie
            that visiting a page with ``?token=`` sets).
        allowed_hosts: Host names the ``Host`` header may name (``None``: any). A server on a
            loopback address allows only loopback names, so a web page elsewhere cannot reach
            it through a rebound DNS name.
        allow_code_execution: Let configs build what executes code.
        allow_environment_keys: Let model clients send environment API keys to a config's
            ``base_url``.
        allow_import: Packages whose classes configs may name.

    Returns:
        The Starlette application (serve it with uvicorn).
    """
    manager = SessionManager(
        SessionStore(store_path),
        teams,
        allow_code_execution=allow_code_execution,
        allow_environment_keys=allow_environment_keys,
        allow_import=allow_import,
    )
    hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    def check_access(request: Request) -> None:
        host = (request.headers.get("host") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if hosts is not None and name not in hosts:
            raise HTTPException(403, f"The Host {host!r} is not served here.")
        if request.method != "GET":
            # A page on another site must not be able to post to this one (browsers send
            # Origin with every cross-site POST).
            origin = request.headers.get("origin")
            if origin is not None and origin != "null" and urlsplit(origin).netloc.lower() != host:
                raise HTTPException(403, "Cross-site requests are refused.")
        if token is None:
            return
        given = request.headers.get("authorization", "")
        offered = given[7:] if given.lower().startswith("bearer ") else None
        offered = offered or request.cookies.get(_COOKIE) or request.query_params.get("token")
        if offered is None or not hmac.compare_digest(offered.encode(), token.encode()):
            raise UnauthorizedError(
                "This server needs its access token: send 'Authorization: Bearer <token>', or "
                "open a page once with ?token=<token>."
            )

    def endpoint(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            check_access(request)
            response = await handler(request)
            if token is not None and request.query_params.get("token") and _wants_page(request):
                response.set_cookie(_COOKIE, token, httponly=True, samesite="strict")
            return response

        return guarded

    async def body_of(request: Request, model: type[_Model]) -> _Model:
        raw = await request.body()
        if len(raw) > _MAX_BODY:
            raise BadRequestError(f"The body is larger than {_MAX_BODY} bytes.")
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequestError(
                f"The body is not valid JSON ({exc}); send a JSON object such as "
                f"{json.dumps(_example(model))}."
            ) from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
            )
            raise BadRequestError(
                f"The body does not match the schema ({problems}); send a JSON object such as "
                f"{json.dumps(_example(model))}."
            ) from None

    async def form_of(request: Request) -> dict[str, str]:
        raw = await request.body()
        fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in fields.items()}

    # -- pages --------------------------------------------------------------------------------

    async def index(request: Request) -> Response:
        sessions = await manager.store.sessions()
        return HTMLResponse(index_page(list(manager.teams.values()), sessions))

    async def session_view(request: Request) -> Response:
        session_id = request.path_params["id"]
        snapshot = await manager.store.snapshot(session_id)
        if snapshot is None:
            await manager.get(session_id)  # raises the typed error
            raise AssertionError("unreachable")
        record, events = snapshot
        return HTMLResponse(session_page(record, events, manager.teams.get(record.team)))

    async def start_form(request: Request) -> Response:
        form = await form_of(request)
        if not form.get("task", "").strip():
            raise BadRequestError("Write a task for the team first.")
        record = await manager.create(form.get("team", ""), form["task"])
        return RedirectResponse(f"/sessions/{record.id}", status_code=303)

    async def answer_form(request: Request) -> Response:
        form = await form_of(request)
        session_id = request.path_params["id"]
        await manager.answer(session_id, form.get("text", ""), form.get("request_id") or None)
        return RedirectResponse(f"/sessions/{session_id}", status_code=303)

    async def stop_form(request: Request) -> Response:
        await manager.stop(request.path_params["id"])
        return RedirectResponse(f"/sessions/{request.path_params['id']}", status_code=303)

    async def resume_form(request: Request) -> Response:
        await manager.resume(request.path_params["id"])
        return RedirectResponse(f"/sessions/{request.path_params['id']}", status_code=303)

    # -- API ----------------------------------------------------------------------------------

    async def api_teams(request: Request) -> Response:
        return JSONResponse([team.public() for team in manager.teams.values()])

    async def api_sessions(request: Request) -> Response:
        return JSONResponse([session_payload(r) for r in await manager.store.sessions()])

    async def api_create(request: Request) -> Response:
        body = await body_of(request, CreateSessionRequest)
        record = await manager.create(body.team, body.task)
        return JSONResponse(session_payload(record), status_code=201)

    async def api_session(request: Request) -> Response:
        return JSONResponse(session_payload(await manager.get(request.path_params["id"])))

    def after_of(request: Request) -> int:
        text = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
        try:
            after = int(text)
        except ValueError:
            raise BadRequestError(f"'after' must be a whole number, not {text!r}.") from None
        return max(after, 0)

    async def api_events(request: Request) -> Response:
        record = await manager.get(request.path_params["id"])
        events = await manager.store.events(record.id, after_of(request))
        return JSONResponse(
            {"session": session_payload(record), "events": [event_payload(e) for e in events]}
        )

    async def api_stream(request: Request) -> Response:
        record = await manager.get(request.path_params["id"])
        after = after_of(request)
        # Subscribe before reading the history, so no event falls between the two.
        subscription = manager.streams.subscribe(record.id)
        queue = subscription.queue

        async def stream() -> AsyncIterator[str]:
            last = after
            try:
                for event in await manager.store.events(record.id, last, 100_000):
                    last = event.seq
                    yield _sse(event_payload(event))
                # The tokens of the message being streamed when this reader came, if the
                # history read ends where they begin (else that message is already stored).
                current = subscription.published is not None and last == subscription.published
                for chunk in subscription.partial if current else ():
                    yield _sse(chunk)
                # Tokens queued before the newest event sent above belong to a stored message.
                catching_up = subscription.published is None or last > subscription.published
                while True:
                    try:
                        item = await asyncio.wait_for(queue.get(), _KEEPALIVE_SECONDS)
                    except asyncio.TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if item is None:  # the server stops, or this reader fell too far behind
                        return
                    seq = item.get("seq")
                    if isinstance(seq, int):
                        if seq >= last:
                            catching_up = False
                        if seq <= last:
                            continue
                        last = seq
                    elif catching_up:
                        continue
                    yield _sse(item)
            finally:
                manager.streams.unsubscribe(record.id, queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def api_answer(request: Request) -> Response:
        body = await body_of(request, AnswerRequest)
        session_id = request.path_params["id"]
        await manager.answer(session_id, body.text, body.request_id)
        return JSONResponse(session_payload(await manager.get(session_id)), status_code=202)

    async def api_stop(request: Request) -> Response:
        await manager.stop(request.path_params["id"])
        return JSONResponse(
            session_payload(await manager.get(request.path_params["id"])), status_code=202
        )

    async def api_resume(request: Request) -> Response:
        await manager.resume(request.path_params["id"])
        return JSONResponse(
            session_payload(await manager.get(request.path_params["id"])), status_code=202
        )

    document = openapi_document(_version())

    async def api_openapi(request: Request) -> Response:
        return JSONResponse(document)

    # -- errors -------------------------------------------------------------------------------

    async def on_serve_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServeError)
        if _wants_page(request):
            return HTMLResponse(error_page(exc.status, str(exc)), status_code=exc.status)
        return _error_json(exc.status, exc.code, str(exc))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "bad_request")
        message = (
            exc.detail if exc.status_code != 404 else f"No page or endpoint at {request.url.path}."
        )
        if _wants_page(request):
            return HTMLResponse(error_page(exc.status_code, message), status_code=exc.status_code)
        return _error_json(exc.status_code, code, message)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # The details go to the server's log, never to the client.
        _log.error("parlay serve: %s %s failed", request.method, request.url.path, exc_info=exc)
        message = "The server failed to handle this request; its log has the details."
        if _wants_page(request):
            return HTMLResponse(error_page(500, message), status_code=500)
        return _error_json(500, "internal", message)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None, None]:
        await manager.start()
        try:
            yield
        finally:
            await manager.close()

    routes = [
        Route("/", endpoint(index)),
        Route("/sessions", endpoint(start_form), methods=["POST"]),
        Route("/sessions/{id}", endpoint(session_view)),
        Route("/sessions/{id}/answer", endpoint(answer_form), methods=["POST"]),
        Route("/sessions/{id}/stop", endpoint(stop_form), methods=["POST"]),
        Route("/sessions/{id}/resume", endpoint(resume_form), methods=["POST"]),
        Route("/api/openapi.json", endpoint(api_openapi)),
        Route("/api/teams", endpoint(api_teams)),
        Route("/api/sessions", endpoint(api_sessions)),
        Route("/api/sessions", endpoint(api_create), methods=["POST"]),
        Route("/api/sessions/{id}", endpoint(api_session)),
        Route("/api/sessions/{id}/events", endpoint(api_events)),
        Route("/api/sessions/{id}/stream", endpoint(api_stream)),
        Route("/api/sessions/{id}/answer", endpoint(api_answer), methods=["POST"]),
        Route("/api/sessions/{id}/stop", endpoint(api_stop), methods=["POST"]),
        Route("/api/sessions/{id}/resume", endpoint(api_resume), methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ServeError: on_serve_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
    )
    app.state.manager = manager
    return app


def _example(model: type[BaseModel]) -> dict[str, str]:
    if model is CreateSessionRequest:
        return {"team": "assistant", "task": "Write a haiku."}
    return {"text": "Yes, go on."}
