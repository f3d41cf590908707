"""``parlay serve``: the command that serves team configs as a web app."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sys
from pathlib import Path

__all__ = ["EXAMPLE_TEAM", "add_serve_parser", "serve_command"]

# Inside the serve package (a data file), found by path so the command line does not import
# the web stack until serve runs.
EXAMPLE_TEAM = Path(__file__).parent.parent / "serve" / "examples" / "assistant.json"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def add_serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    """Register the ``serve`` subcommand."""
    serve = commands.add_parser(
        "serve",
        help="serve team configs as a web app (pip install 'parlay-agentchat[serve]')",
        description=(
            "Serve saved team configs as a web app and an HTTP API: start sessions, watch them "
            "live, answer when a team asks a person, stop and resume. Sessions are kept in a "
            "SQLite file and survive restarts. Without CONFIG, serves the example team (an "
            "assistant on the default model, which is the embedded offline one when parlay-ext "
            "is installed and no provider key is set, and you)."
        ),
    )
    serve.add_argument("config", nargs="*", help="JSON or YAML files holding dumped teams")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--store", default="sessions.db", help="SQLite file of sessions (default sessions.db)"
    )
    serve.add_argument(
        "--token",
        default=None,
        help=(
            "access token every request must carry (default: $PARLAY_SERVE_TOKEN; on a "
            "non-loopback address a random one is made and printed)"
        ),
    )
    serve.add_argument(
        "--allow-code-execution",
        action="store_true",
        help="let configs build what executes code or commands; only for files you trust",
    )
    serve.add_argument(
        "--allow-environment-keys",
        action="store_true",
        help="let model clients send your provider keys to a base_url a config chose",
    )
    serve.add_argument(
        "--allow-import",
        action="append",
        metavar="PACKAGE",
        help="let configs name classes from PACKAGE (repeatable); only for files you trust",
    )


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(args: argparse.Namespace) -> int:
    """Run ``parlay serve`` until interrupted; the exit status."""
    try:
        from parlay_agentchat.serve._app import create_app
        from parlay_agentchat.serve._teams import load_served_teams
        from parlay_agentchat.serve._web import uvicorn
    except ImportError as exc:
        print(f"parlay: error: {exc}", file=sys.stderr)
        return 2
    store_folder = Path(args.store).resolve().parent
    if not store_folder.is_dir():
        print(
            f"parlay: error: --store {args.store}: the folder {store_folder} does not exist; "
            "create it or name a file in an existing folder.",
            file=sys.stderr,
        )
        return 2
    paths = list(args.config) or [str(EXAMPLE_TEAM)]
    teams = load_served_teams(
        paths,
        allow_code_execution=args.allow_code_execution,
        allow_environment_keys=args.allow_environment_keys,
        allow_import=args.allow_import or (),
    )
    token = args.token or os.environ.get("PARLAY_SERVE_TOKEN") or None
    loopback = _is_loopback(args.host)
    if token is None and not loopback:
        token = secrets.token_urlsafe(18)
        print(f"parlay serve: access token (not loopback, so one is required): {token}")
    app = create_app(
        teams,
        args.store,
        token=token,
        allowed_hosts=[*_LOOPBACK_NAMES, "[::1]"] if loopback else None,
        allow_code_execution=args.allow_code_execution,
        allow_environment_keys=args.allow_environment_keys,
        allow_import=args.allow_import or (),
    )
    for team in teams.values():
        state = "ready" if team.error is None else f"cannot run: {team.error}"
        print(f"parlay serve: team {team.name!r} ({team.kind or 'unknown'}): {state}")
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"parlay serve: http://{shown}:{args.port}/ (sessions in {args.store})", flush=True)
    # A short graceful shutdown: open event streams end when the server says so.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
    return 0
