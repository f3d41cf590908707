"""The ``parlay`` command: run a team saved as a component config, streamed in the Console."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, cast

from parlay_agentchat.base import ChatAgent, TaskRunner, Team
from parlay_agentchat.cli._serve import add_serve_parser, serve_command
from parlay_agentchat.ui import Console
from parlay_core import load_permissions
from parlay_core.exceptions import (
    ComponentNotAllowedError,
    ComponentPermissionError,
    ParlayError,
)

__all__ = ["main"]

_EPILOG = """\
example:
  # in Python: save a team's config
  #   Path("team.json").write_text(team.dump_component().model_dump_json(indent=2))
  parlay run team.json --task "Write a haiku about tea."

exit status: 0 after a run, 1 when the run fails, 2 when the file cannot be used.
"""

_RUNNABLE = ("team", "agent")

_DISTRIBUTIONS = ("parlay-core", "parlay-agentchat", "parlay-ext")

_CONFIG_HELP = "a JSON or YAML file holding a dumped team or agent component"


def _versions() -> str:
    lines: list[str] = []
    for name in _DISTRIBUTIONS:
        try:
            lines.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name} (not installed)")
    return "\n".join(lines)


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


_TOO_DEEP = (
    "{path}: too deeply nested to load (lists or objects inside each other beyond Python's "
    "recursion limit); a config written by dump_component() is never like this, so the file "
    "is damaged or not a config."
)


class _UsageError(Exception):
    """The file cannot be used: said on one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parlay",
        description=(
            "Run Parlay AgentChat teams saved as declarative configs (JSON written by "
            "dump_component()), streaming every message to the terminal."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=_versions(),
        help="print the versions of parlay-core, parlay-agentchat and parlay-ext",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a team (or agent) config on a task and stream it",
        description="Load a team (or agent) config and run it on a task, streamed in the Console.",
    )
    run.add_argument("config", help=_CONFIG_HELP)
    run.add_argument("--task", required=True, help="what the team should do")
    run.add_argument(
        "--allow-code-execution",
        action="store_true",
        help=(
            "let the config build what executes code or commands (code executors, the "
            "code-execution tool, MCP stdio servers, FunctionTool source); only for files you "
            "trust"
        ),
    )
    run.add_argument(
        "--allow-environment-keys",
        action="store_true",
        help=(
            "let model clients send your OPENAI_API_KEY / ANTHROPIC_API_KEY to a base_url the "
            "config chose; only for files you trust"
        ),
    )
    run.add_argument("--no-stats", action="store_true", help="leave out the summary at the end")
    run.add_argument(
        "--autogen-output",
        action="store_true",
        help="print the run as AutoGen's Console does (a header before every message)",
    )
    check = commands.add_parser(
        "check",
        help="load a team (or agent) config without running it",
        description="Load a config and say what it holds; exit 2 if it cannot be loaded.",
    )
    check.add_argument("config", help=_CONFIG_HELP)
    check.add_argument("--allow-code-execution", action="store_true", help="as for run")
    check.add_argument("--allow-environment-keys", action="store_true", help="as for run")
    for command in (run, check):
        command.add_argument(
            "--allow-import",
            action="append",
            metavar="PACKAGE",
            help=(
                "let the config name classes from PACKAGE (repeatable); importing a package runs "
                "its code, so only for files you trust"
            ),
        )
    add_serve_parser(commands)
    return parser


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


# The command-line flag that grants each load permission a refusal can name.
_FLAGS = {
    "allow_code_execution": "--allow-code-execution",
    "allow_environment_keys": "--allow-environment-keys",
}


def _refusal(error: BaseException) -> ComponentPermissionError | None:
    # A component may wrap the refusal of a component nested in it.
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ComponentPermissionError) and seen.permission in _FLAGS:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _load(path_text: str, allow_code_execution: bool, allow_environment_keys: bool) -> TaskRunner:
    path = Path(path_text)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _UsageError(
            f"{path_text}: no such file; give the path of a saved team config."
        ) from None
    except OSError as exc:
        raise _UsageError(f"{path_text}: cannot be read ({exc.strerror}).") from None
    try:
        data: object = _parse(path_text, raw)
    except json.JSONDecodeError as exc:
        raise _UsageError(
            f"{path_text}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "write it with team.dump_component().model_dump_json()."
        ) from None
    except RecursionError:
        raise _UsageError(_TOO_DEEP.format(path=path_text)) from None
    config = cast("dict[str, Any]", data) if isinstance(data, dict) else None
    if config is None or "provider" not in config:
        raise _UsageError(
            f"{path_text}: not a component config (a JSON object with 'provider' and 'config'); "
            "write it with team.dump_component().model_dump_json()."
        )
    kind = config.get("component_type")
    if kind is not None and kind not in _RUNNABLE:
        raise _UsageError(
            f"{path_text}: holds {_a(str(kind))} component, not a team or agent; parlay run needs a "
            "team (or agent) config."
        )
    loader: type[Team] | type[ChatAgent] = ChatAgent if kind == "agent" else Team
    try:
        runner: TaskRunner = loader.load_component(
            config,
            allow_code_execution=allow_code_execution,
            allow_environment_keys=allow_environment_keys,
        )
    except ParlayError as exc:
        refused = _refused_import(exc)
        if refused is not None:
            # The error's own fix is Python's (allow_import_paths=[...]); say the flag instead.
            top = refused.split(".")[0]
            raise _UsageError(
                f"{path_text}: the config names a class in {refused!r}, which is neither part of "
                "Parlay nor of an installed Parlay plugin, and importing it runs its code. If "
                f"you trust this file, run again with --allow-import {top}."
            ) from None
        refusal = _refusal(exc)
        if refusal is not None:
            # The error's own fix is Python's (allow_code_execution=True); say the flag instead.
            raise _UsageError(
                f"{path_text}: {_one_line(refusal.reason)} If you trust this file, run again "
                f"with {_FLAGS[refusal.permission]}."
            ) from None
        raise _UsageError(f"{path_text}: {_one_line(str(exc))}") from None
    except RecursionError:  # a nesting the parser accepted but a component's code did not
        raise _UsageError(_TOO_DEEP.format(path=path_text)) from None
    return runner


def _parse(path_text: str, raw: str) -> object:
    if Path(path_text).suffix.lower() not in (".yaml", ".yml"):
        return json.loads(raw)
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]  # the yaml extra; no stubs needed
    except ImportError:
        raise _UsageError(
            f'{path_text}: reading YAML needs PyYAML: pip install "parlay-agentchat[yaml]" '
            "(or save the config as JSON)."
        ) from None
    try:
        # safe_load builds plain data only: a tag such as !!python/object is refused, since a
        # config file must not be able to construct arbitrary objects.
        return yaml.safe_load(raw)
    except yaml.constructor.ConstructorError as exc:
        raise _UsageError(
            f"{path_text}: uses a YAML tag that would construct an object "
            f"({_one_line(str(exc.problem))}); a config holds plain data only."
        ) from None
    except yaml.YAMLError as exc:
        raise _UsageError(f"{path_text}: not valid YAML ({_one_line(str(exc))}).") from None


def _refused_import(error: BaseException) -> str | None:
    # A component may wrap the refusal of a component nested in it.
    seen: BaseException | None = error
    while seen is not None:
        module = getattr(seen, "module", None)
        if isinstance(seen, ComponentNotAllowedError) and isinstance(module, str):
            return module
        seen = seen.__cause__ or seen.__context__
    return None


async def _run(runner: TaskRunner, task: str, stats: bool, autogen_output: bool = False) -> None:
    if autogen_output:
        await Console(runner.run_stream(task=task), output_stats=stats, output_format="autogen")
    else:
        await Console(runner.run_stream(task=task), output_stats=stats)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``parlay`` command line.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 after a run, 1 when the run failed, 2 when the config cannot be used.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "serve":
        return serve_command(args)
    try:
        with load_permissions(allow_import_paths=args.allow_import or ()):
            runner = _load(args.config, args.allow_code_execution, args.allow_environment_keys)
    except _UsageError as exc:
        print(f"parlay: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        kind = "team" if isinstance(runner, Team) else "agent"
        print(f"{args.config}: {_a(kind)}, {type(runner).__name__}; it loads.")
        return 0
    try:
        asyncio.run(_run(runner, args.task, not args.no_stats, args.autogen_output))
    except KeyboardInterrupt:
        print("parlay: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the person at the terminal, not a traceback
        print(
            f"parlay: error: the run failed: {_one_line(str(exc)) or type(exc).__name__}",
            file=sys.stderr,
        )
        return 1
    return 0
