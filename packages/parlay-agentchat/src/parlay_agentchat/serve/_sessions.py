"""Sessions of ``parlay serve``: runs as background tasks, human pauses, stop and resume.

A session is a conversation with one served team. Each *run* (the first task, or a person's
answer) is one asyncio task that streams the team's messages into the store and to whoever
listens; it ends when the team finishes, needs a person, fails or is stopped. Nothing waits on a
person: a waiting session is a row in the store with the team's saved state, and its answer
starts the next run. The team of a session stays in memory between runs while the process
lives; after a restart (or a stop) it is rebuilt from its config and the saved state.

The model clients a team builds from its config belong to the session: they are closed once the
team is let go (its run finished, failed or was cut short, or it was dropped from memory while
waiting, or the server shut down), so no connection is left for the garbage collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from parlay_agentchat.base import ChatAgent, TaskResult, Team
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
)
from parlay_agentchat.serve._errors import (
    SessionStateError,
    TeamUnavailableError,
    UnknownSessionError,
    UnknownTeamError,
)
from parlay_agentchat.serve._human import (
    PausingUserProxyAgent,
    answer_message,
    collecting_proxies,
    handoff_pending,
    participant_names,
    rewrite_user_proxies,
    run_input_message,
)
from parlay_agentchat.serve._store import SessionRecord, SessionStore, StoredEvent
from parlay_agentchat.serve._streams import Broadcaster
from parlay_agentchat.serve._teams import ServedTeam, one_line
from parlay_agentchat.teams import Swarm
from parlay_core import CancellationToken, load_permissions
from parlay_core.models import ChatCompletionClient

__all__ = ["SessionManager"]

# Statuses a session can be resumed from: its last run did not end on its own.
RESUMABLE = ("stopped", "interrupted", "failed")
# Teams of waiting sessions kept in memory (so an answer needs no rebuild); beyond this many,
# the least recently paused is dropped and rebuilt from its saved state when answered.
_LIVE_TEAMS = 256

_log = logging.getLogger("parlay_agentchat.serve")

# Values that never hold a model client, so the search below does not look inside them.
_LEAVES = (str, bytes, int, float, complex, bool, type(None), type, ModuleType, BaseModel)


def _model_clients(root: object) -> list[ChatCompletionClient]:
    """Every model client reachable from a freshly loaded team or agent.

    Teams and agents keep their model clients in attributes of their own choosing (an agent's
    client, a selector's, an orchestrator's, a memory's), so the search follows instance
    attributes and containers rather than any one class's layout. It runs right after loading,
    before any message exists, so the graph it walks is the team's configuration.
    """
    found: list[ChatCompletionClient] = []
    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ChatCompletionClient):
            found.append(item)  # a wrapping client closes what it wraps
            continue
        if isinstance(item, _LEAVES):
            continue
        if isinstance(item, dict):
            stack.extend(item.values())  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)  # pyright: ignore[reportUnknownArgumentType]
        else:
            attributes = getattr(item, "__dict__", None)
            if isinstance(attributes, dict):
                stack.extend(attributes.values())  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
            for cls in type(item).__mro__:
                slots: Any = cls.__dict__.get("__slots__", ())
                for slot in (slots,) if isinstance(slots, str) else slots:
                    stack.append(getattr(item, slot, None))
    return found


def _message_body(item: BaseAgentEvent | BaseChatMessage) -> tuple[dict[str, Any], tuple[int, int]]:
    usage = item.models_usage
    counted = (usage.prompt_tokens, usage.completion_tokens) if usage is not None else (0, 0)
    body: dict[str, Any] = {
        "kind": "message",
        "type": type(item).__name__,
        "chat": isinstance(item, BaseChatMessage),
        "source": item.source,
        "text": item.to_text(),
        "usage": None
        if usage is None
        else {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens},
        "message": json.loads(json.dumps(item.dump(), default=str)),
    }
    return body, counted


@dataclass
class _Live:
    runner: Team | ChatAgent
    proxies: list[PausingUserProxyAgent]
    model_clients: list[ChatCompletionClient]

    async def close(self) -> None:
        """Close the model clients the team was built with (each once, failures logged)."""
        clients, self.model_clients = self.model_clients, []
        for client in clients:
            try:
                await client.close()
            except Exception:
                _log.warning("Closing the model client %r failed", client, exc_info=True)


@dataclass
class _Run:
    task: asyncio.Task[None]
    token: CancellationToken


class SessionManager:
    """Creates sessions, runs them in background tasks and routes answers, stops and resumes.

    Args:
        store: Where sessions and events are kept.
        teams: The served teams by name.
        allow_code_execution: Let configs build what executes code.
        allow_environment_keys: Let model clients send environment API keys to a config's
            ``base_url``.
        allow_import: Packages whose classes configs may name.
    """

    def __init__(
        self,
        store: SessionStore,
        teams: Mapping[str, ServedTeam],
        *,
        allow_code_execution: bool = False,
        allow_environment_keys: bool = False,
        allow_import: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.teams = dict(teams)
        self._allow_code_execution = allow_code_execution
        self._allow_environment_keys = allow_environment_keys
        self._allow_import = tuple(allow_import)
        self._runs: dict[str, _Run] = {}
        self._live: OrderedDict[str, _Live] = OrderedDict()
        self.streams = Broadcaster()

    async def start(self) -> None:
        """Open the store and mark the runs a killed server left behind as interrupted."""
        await self.store.open()
        for session_id in await self.store.running():
            await self.store.transition(
                session_id,
                ("running",),
                "interrupted",
                {"detail": "The server stopped during this run; resume to run it again."},
            )

    async def close(self) -> None:
        """Cut every run short (marking it interrupted), end the streams, close the store."""
        for session_id, run in list(self._runs.items()):
            run.token.cancel()
            run.task.cancel()
            with contextlib.suppress(BaseException):
                await run.task
            await self.store.transition(
                session_id,
                ("running",),
                "interrupted",
                {"detail": "The server shut down during this run; resume to run it again."},
            )
        while self._live:
            _, live = self._live.popitem()
            await live.close()
        self.streams.end_all()
        await self.store.close()

    # -- queries ------------------------------------------------------------------------------

    async def get(self, session_id: str) -> SessionRecord:
        """The session.

        Raises:
            UnknownSessionError: There is none with this id.
        """
        record = await self.store.get(session_id)
        if record is None:
            raise UnknownSessionError(
                f"No session has the id {session_id!r}; list them with GET /api/sessions."
            )
        return record

    def team(self, name: str) -> ServedTeam:
        """The served team.

        Raises:
            UnknownTeamError: No served team has this name.
        """
        team = self.teams.get(name)
        if team is None:
            known = ", ".join(sorted(self.teams)) or "none"
            raise UnknownTeamError(f"No served team is called {name!r}; the teams are: {known}.")
        return team

    # -- actions ------------------------------------------------------------------------------

    async def create(self, team_name: str, task: str) -> SessionRecord:
        """Start a session of a team on a task.

        Raises:
            UnknownTeamError: No served team has this name.
            TeamUnavailableError: The team's config failed to load.
        """
        team = self.team(team_name)
        if team.error is not None:
            raise TeamUnavailableError(f"The team {team.name!r} cannot run: {team.error}")
        session_id = uuid.uuid4().hex
        title = one_line(task)[:120] or "(empty task)"
        run_input = {"type": "task", "text": task}
        record = await self.store.create(session_id, team.name, title, run_input)
        await self._publish(
            await self.store.append(
                session_id,
                {"kind": "status", "status": "running", "detail": "Run started on the task."},
            )
        )
        self._start_run(session_id, team, run_input, None)
        return record

    async def answer(self, session_id: str, text: str, request_id: str | None = None) -> None:
        """Give a waiting session the person's answer; it runs on from its saved state.

        Raises:
            UnknownSessionError: There is no such session.
            SessionStateError: The session is not waiting for an answer (or the answer is to
                an earlier request, or another answer came first).
        """
        record = await self.get(session_id)
        pending = record.pending
        if record.status != "waiting" or pending is None:
            raise SessionStateError(
                f"Session {session_id} is {record.status}, not waiting for an answer; answer "
                "only when its status is 'waiting'."
            )
        if request_id is not None and pending.get("request_id") not in (None, request_id):
            raise SessionStateError(
                f"The answer is to request {request_id!r}, but session {session_id} now waits "
                f"on request {pending.get('request_id')!r}; reload and answer that one."
            )
        team = self.team(record.team)
        run_input = answer_message(pending, text, swarm=self._is_swarm(team))
        event = await self.store.transition(
            session_id,
            ("waiting",),
            "running",
            {
                "detail": f"{pending.get('agent') or 'user'} answered; the run goes on.",
                "answer": text,
            },
            expected_pending=pending,
            run_input=run_input,
            pending=None,
        )
        if event is None:
            raise SessionStateError(
                f"Session {session_id} is no longer waiting on this request: another answer "
                "came first."
            )
        await self._publish(event)
        self._start_run(session_id, team, run_input, record.checkpoint)

    async def stop(self, session_id: str) -> None:
        """Cut the session's run short; resume runs it again from the state saved before it.

        Raises:
            UnknownSessionError: There is no such session.
            SessionStateError: No run of this session is in progress.
        """
        await self.get(session_id)
        run = self._runs.get(session_id)
        event = await self.store.transition(
            session_id,
            ("running",),
            "stopped",
            {"detail": "Stopped by request; resume to run this step again."},
        )
        if event is None:
            record = await self.get(session_id)
            raise SessionStateError(
                f"Session {session_id} is {record.status}: there is no run to stop."
            )
        if run is not None:
            run.token.cancel()
            run.task.cancel()
            with contextlib.suppress(BaseException):
                await run.task
        await self._publish(event)

    async def resume(self, session_id: str) -> None:
        """Run a stopped, interrupted or failed session's last step again from its saved state.

        Raises:
            UnknownSessionError: There is no such session.
            SessionStateError: The session is not stopped, interrupted or failed.
        """
        record = await self.get(session_id)
        team = self.team(record.team)
        if team.error is not None:
            raise TeamUnavailableError(f"The team {team.name!r} cannot run: {team.error}")
        if record.status not in RESUMABLE or record.run_input is None:
            raise SessionStateError(
                f"Session {session_id} is {record.status}; only a stopped, interrupted or failed "
                "session can be resumed (a waiting one needs an answer)."
            )
        event = await self.store.transition(
            session_id,
            RESUMABLE,
            "running",
            {
                "detail": "Resumed: the cut-off step runs again from the state saved before it.",
                "resumed": True,
            },
            error=None,
        )
        if event is None:
            raise SessionStateError(f"Session {session_id} was resumed by another request.")
        await self._publish(event)
        # The team in memory saw the cut-off run; rebuild it from the saved state.
        stale = self._live.pop(session_id, None)
        if stale is not None:
            await stale.close()
        self._start_run(session_id, team, record.run_input, record.checkpoint)

    async def _publish(self, event: StoredEvent | dict[str, Any]) -> None:
        self.streams.publish(event)

    # -- runs ---------------------------------------------------------------------------------

    def _is_swarm(self, team: ServedTeam) -> bool:
        return team.kind == Swarm.__name__

    def _build(self, team: ServedTeam) -> _Live:
        assert team.config is not None
        config = rewrite_user_proxies(team.config)
        with (
            load_permissions(
                allow_import_paths=self._allow_import,
                allow_code_execution=self._allow_code_execution,
                allow_environment_keys=self._allow_environment_keys,
            ),
            collecting_proxies() as proxies,
        ):
            loader: type[Team] | type[ChatAgent] = (
                ChatAgent if config.get("component_type") == "agent" else Team
            )
            runner: Team | ChatAgent = loader.load_component(config)
        return _Live(runner, proxies, _model_clients(runner))

    def _start_run(
        self,
        session_id: str,
        team: ServedTeam,
        run_input: Mapping[str, Any],
        checkpoint: Mapping[str, Any] | None,
    ) -> None:
        token = CancellationToken()
        task = asyncio.ensure_future(self._run(session_id, team, run_input, checkpoint, token))
        self._runs[session_id] = _Run(task, token)
        task.add_done_callback(lambda _: self._forget_run(session_id, task))

    def _forget_run(self, session_id: str, task: asyncio.Task[None]) -> None:
        run = self._runs.get(session_id)
        if run is not None and run.task is task:
            del self._runs[session_id]

    async def _run(
        self,
        session_id: str,
        team: ServedTeam,
        run_input: Mapping[str, Any],
        checkpoint: Mapping[str, Any] | None,
        token: CancellationToken,
    ) -> None:
        live = self._live.pop(session_id, None)
        fresh = live is None
        if live is None:
            try:
                live = self._build(team)
            except Exception as error:
                await self._after_error(session_id, None, None, error)
                return
        try:
            await self._run_team(
                session_id, team, live, run_input, checkpoint if fresh else None, token
            )
        finally:
            # A team kept for the person's answer keeps its clients; any other is let go.
            if self._live.get(session_id) is not live:
                await live.close()

    async def _run_team(
        self,
        session_id: str,
        team: ServedTeam,
        live: _Live,
        run_input: Mapping[str, Any],
        checkpoint: Mapping[str, Any] | None,
        token: CancellationToken,
    ) -> None:
        """Run the team once; ``checkpoint`` is the state to load into it first, if any."""
        last_chat: BaseChatMessage | None = None
        try:
            if checkpoint is not None:
                await live.runner.load_state(checkpoint)
            result: TaskResult | None = None
            task = run_input_message(run_input)
            async for item in live.runner.run_stream(task=task, cancellation_token=token):
                if isinstance(item, TaskResult):
                    result = item
                elif isinstance(item, ModelClientStreamingChunkEvent):
                    # Tokens are a live preview only: the whole message follows as an event.
                    await self._publish(
                        {
                            "session": session_id,
                            "kind": "chunk",
                            "source": item.source,
                            "text": item.content,
                        }
                    )
                else:
                    body, usage = _message_body(item)
                    await self._publish(await self.store.append(session_id, body, usage))
                    if isinstance(item, BaseChatMessage):
                        last_chat = item
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._after_error(session_id, live, last_chat, error)
            return
        assert result is not None
        await self._after_result(session_id, team, live, result)

    async def _after_result(
        self, session_id: str, team: ServedTeam, live: _Live, result: TaskResult
    ) -> None:
        state: dict[str, Any] = dict(await live.runner.save_state())
        assert team.config is not None
        pending = handoff_pending(result, participant_names(team.config))
        if pending is not None:
            event = await self.store.transition(
                session_id,
                ("running",),
                "waiting",
                {
                    "detail": f"Handed off to {pending['agent']}: waiting for an answer.",
                    "pending": pending,
                },
                checkpoint=state,
                pending=pending,
            )
        else:
            event = await self.store.transition(
                session_id,
                ("running",),
                "finished",
                {
                    "detail": f"Finished: {result.stop_reason or 'the team stopped'}.",
                    "stop_reason": result.stop_reason,
                },
                checkpoint=state,
            )
        if event is not None:
            if pending is not None:
                await self._keep(session_id, live)
            await self._publish(event)

    async def _keep(self, session_id: str, live: _Live) -> None:
        self._live[session_id] = live
        while len(self._live) > _LIVE_TEAMS:
            _, dropped = self._live.popitem(last=False)
            await dropped.close()  # rebuilt from its saved state when answered

    async def _after_error(
        self,
        session_id: str,
        live: _Live | None,
        last_chat: BaseChatMessage | None,
        error: Exception,
    ) -> None:
        asked = next((p for p in (live.proxies if live else ()) if p.requested), None)
        if live is not None and asked is not None:
            request = asked.requested or {}
            asked.requested = None
            handed = (
                last_chat.source
                if isinstance(last_chat, HandoffMessage) and last_chat.target == asked.name
                else None
            )
            pending = {"kind": "user_proxy", "agent": asked.name, "to": handed, **request}
            state: dict[str, Any] = dict(await live.runner.save_state())
            event = await self.store.transition(
                session_id,
                ("running",),
                "waiting",
                {
                    "detail": f"{asked.name} is asked for input: waiting for an answer.",
                    "pending": pending,
                },
                checkpoint=state,
                pending=pending,
            )
            if event is not None:
                await self._keep(session_id, live)
                await self._publish(event)
            return
        message = one_line(str(error)) or type(error).__name__
        event = await self.store.transition(
            session_id,
            ("running",),
            "failed",
            {"detail": f"The run failed: {message}", "error": message},
            error=message,
        )
        if event is not None:
            await self._publish(event)
