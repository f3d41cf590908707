"""The web stack of ``parlay serve``, imported in this one place: Starlette on uvicorn.

Starlette gives routing, streaming responses (server-sent events) and a lifespan without a
framework's weight; uvicorn serves it. Both come with ``pip install "parlay-agentchat[serve]"``.
"""

from __future__ import annotations

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import (
        HTMLResponse,
        JSONResponse,
        RedirectResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        f"parlay serve needs Starlette and uvicorn ({exc.name} is missing): pip install "
        '"parlay-agentchat[serve]"'
    ) from exc

__all__ = [
    "HTMLResponse",
    "HTTPException",
    "JSONResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "Route",
    "Starlette",
    "StreamingResponse",
    "uvicorn",
]
