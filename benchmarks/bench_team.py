"""Team overhead per chat message: Parlay AgentChat vs AutoGen AgentChat vs a bare-asyncio loop.

A ``RoundRobinGroupChat`` of three ``AssistantAgent``s runs a task for ``max_turns=200`` turns
(200 agent messages; 20 with ``--quick``). The same code runs on ``parlay_agentchat`` and
``autogen_agentchat`` (only the modules differ). Every run builds fresh agents, model clients and
team, so no conversation grows from run to run. Two tables:

* **Bare model client**: a minimal client that answers ``"ok"`` at once and counts no tokens, so
  what is measured is the team machinery per chat message alone: the manager choosing the
  speaker, the turn request, the agent's model-context bookkeeping, the response broadcast to
  the group and forwarded to the caller, the termination check.
* **Replay client**: each framework's own ``ReplayChatCompletionClient`` (``<fw>_ext.models.
  replay``) scripted with ``"ok"``, what users' test suites run teams on. Besides the machinery,
  it estimates the prompt's tokens on every call, and the prompt is the whole conversation so
  far, so a client that re-counts everything grows quadratically with the conversation.

Bare-asyncio baseline, the practical ceiling: a manager coroutine and three agent tasks, each
with an ``asyncio.Queue``; for each turn the manager hands the new messages to the next agent,
which adds them to its context list, awaits the scripted model and answers through a future;
the manager appends the answer to the thread and the others' buffers.

The figure is chat messages per second (its inverse is the overhead per message); the target,
Parlay's overhead at most 1/10 of AutoGen's, is the throughput ratio ``>= 10x``.

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import _harness as h
import _peers

AGENTS = 3


def _scripted_client_class(models: Any) -> type[Any]:
    """A model client of framework ``models`` (``<fw>_core.models``) that always answers "ok"."""

    info = {
        "vision": False,
        "function_calling": False,
        "json_output": False,
        "family": "unknown",
        "structured_output": False,
    }

    class ScriptedClient(models.ChatCompletionClient):  # type: ignore[misc]
        def __init__(self) -> None:
            self._usage = models.RequestUsage(prompt_tokens=0, completion_tokens=0)

        async def create(self, messages: Sequence[Any], **kwargs: Any) -> Any:
            return models.CreateResult(
                finish_reason="stop", content="ok", usage=self._usage, cached=False
            )

        async def create_stream(
            self, messages: Sequence[Any], **kwargs: Any
        ) -> AsyncGenerator[Any, None]:
            yield await self.create(messages)

        async def close(self) -> None:
            return None

        def actual_usage(self) -> Any:
            return self._usage

        def total_usage(self) -> Any:
            return self._usage

        def count_tokens(self, messages: Sequence[Any], **kwargs: Any) -> int:
            return 0

        def remaining_tokens(self, messages: Sequence[Any], **kwargs: Any) -> int:
            return 1_000_000

        @property
        def capabilities(self) -> Any:
            return info

        @property
        def model_info(self) -> Any:
            return info

    return ScriptedClient


def _agentchat_module(fw: h.Framework) -> str:
    return fw.module_name.replace("_core", "_agentchat")


def _replay_module(fw: h.Framework) -> str:
    return fw.module_name.replace("_core", "_ext") + ".models.replay"


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # the parent package is missing
        return False


def _client_factory(fw: h.Framework, replay: bool, messages: int) -> Callable[[], Any]:
    if replay:
        replay_cls = importlib.import_module(_replay_module(fw)).ReplayChatCompletionClient
        # Each agent speaks every third turn; script one answer per turn to be safe.
        return lambda: replay_cls(["ok"] * messages)
    return _scripted_client_class(importlib.import_module(f"{fw.module_name}.models"))


async def framework_team(
    fw: h.Framework, messages: int, settings: h.Settings, *, replay: bool = False
) -> h.Measurement:
    agents_mod = importlib.import_module(f"{_agentchat_module(fw)}.agents")
    teams_mod = importlib.import_module(f"{_agentchat_module(fw)}.teams")
    new_client = _client_factory(fw, replay, messages)

    async def one_run() -> None:
        agents = [agents_mod.AssistantAgent(f"agent{i}", new_client()) for i in range(AGENTS)]
        team = teams_mod.RoundRobinGroupChat(agents, max_turns=messages)
        result = await team.run(task="Take turns.")
        # The task message plus one message per turn: a check that the whole run happened.
        assert len(result.messages) == messages + 1, len(result.messages)

    async def batch(n: int) -> None:
        for _ in range(n):
            await one_run()

    return await h.measure_throughput(
        fw.label, batch, settings, key=fw.key, ops_per_unit=messages, start_n=1
    )


# --- bare asyncio --------------------------------------------------------------------------


@dataclass
class _Message:
    source: str
    content: str


@dataclass
class _Agent:
    name: str
    queue: asyncio.Queue[tuple[list[_Message], asyncio.Future[_Message]]]
    context: list[_Message] = field(default_factory=list[_Message])


async def _model(context: Sequence[_Message]) -> str:
    return "ok"


async def _serve(agent: _Agent) -> None:
    while True:
        delta, reply = await agent.queue.get()
        agent.context.extend(delta)
        answer = _Message(agent.name, await _model(agent.context))
        agent.context.append(answer)
        reply.set_result(answer)


async def _asyncio_run(messages: int) -> None:
    agents = [_Agent(f"agent{i}", asyncio.Queue()) for i in range(AGENTS)]
    tasks = [asyncio.create_task(_serve(agent)) for agent in agents]
    thread = [_Message("user", "Take turns.")]
    buffers: Mapping[str, list[_Message]] = {agent.name: list(thread) for agent in agents}
    loop = asyncio.get_running_loop()
    for turn in range(messages):
        agent = agents[turn % AGENTS]
        delta = list(buffers[agent.name])
        buffers[agent.name].clear()
        reply: asyncio.Future[_Message] = loop.create_future()
        await agent.queue.put((delta, reply))
        answer = await reply
        thread.append(answer)
        for other in agents:
            if other is not agent:
                buffers[other.name].append(answer)
    for task in tasks:
        task.cancel()
    assert len(thread) == messages + 1


async def asyncio_team(messages: int, settings: h.Settings) -> h.Measurement:
    async def batch(n: int) -> None:
        for _ in range(n):
            await _asyncio_run(messages)

    return await h.measure_throughput(
        h.ASYNCIO, batch, settings, key="asyncio", ops_per_unit=messages, start_n=1
    )


# --- peers ---------------------------------------------------------------------------------


async def peer_team(peer: _peers.Peer, messages: int, settings: h.Settings) -> h.Measurement:
    run = peer.make_run()

    async def batch(n: int) -> None:
        for _ in range(n):
            produced = await run(messages)
            # A check that the whole conversation happened, as for Parlay and AutoGen.
            assert produced == messages, (peer.name, produced)

    return await h.measure_throughput(
        peer.label, batch, settings, key=peer.key, ops_per_unit=messages, start_n=1
    )


def peer_table(
    title: str, ours: Sequence[h.Measurement], peers: Sequence[h.Measurement]
) -> h.Summary:
    """One table: Parlay, AutoGen and every installed peer, in ms per message, with how many
    times faster Parlay is than each (from the best repeats of this one run)."""
    parlay = next(m for m in ours if m.key == "parlay")
    rows = sorted([*ours, *peers], key=lambda m: m.best / m.ops)
    table = [
        [
            m.name,
            f"{m.best / m.ops * 1e3:.3f}",
            f"{m.median / m.ops * 1e3:.3f}",
            "-" if m is parlay else h.fmt_ratio(h.ratio(parlay.best_rate, m.best_rate)),
        ]
        for m in rows
    ]
    ratios = [
        h.Ratio(
            f"Parlay/{m.name.rsplit(' ', 1)[0]} throughput",
            h.ratio(parlay.best_rate, m.best_rate),
            True,
        )
        for m in peers
    ]
    h.print_table(
        title,
        ["framework", "ms/msg best", "ms/msg median", "Parlay faster by"],
        table,
        [
            "(lower ms/msg is better; 'Parlay faster by' is the other's best time over Parlay's)",
            "(every framework: 3 agents in turn, a scripted model answering 'ok' at once)",
        ],
    )
    return h.Summary(title, ratios)


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    messages = 20 if settings.quick else 200
    fws = [fw for fw in h.frameworks() if _has_module(_agentchat_module(fw))]
    if not any(fw.key == "autogen" for fw in fws):
        print(
            f"note: autogen_agentchat is not importable, so the AutoGen rows are skipped. Install "
            f"autogen-agentchat=={h.AUTOGEN_VERSION} to compare."
        )
    baseline = h.run_async(functools.partial(asyncio_team, messages, settings))
    title = f"round robin of {AGENTS} AssistantAgents, {messages} messages per run"
    notes = ["(us/msg is the overhead per chat message; Parlay/AutoGen >= 10x means <= 1/10)"]

    bare = [h.run_async(functools.partial(framework_team, fw, messages, settings)) for fw in fws]
    summary = h.throughput_table(
        f"Team overhead, bare model client ({title})",
        "msg",
        [*bare, baseline],
        target_vs_autogen=10.0,
        notes=notes,
    )
    h.emit_summary(settings, summary)

    replay_fws = [fw for fw in fws if _has_module(_replay_module(fw))]
    if not any(fw.key == "autogen" for fw in replay_fws):
        print(
            f"note: autogen_ext is not importable, so the AutoGen replay-client row is skipped. "
            f"Install autogen-ext=={h.AUTOGEN_VERSION} to compare."
        )
    replayed = [
        h.run_async(functools.partial(framework_team, fw, messages, settings, replay=True))
        for fw in replay_fws
    ]
    summary = h.throughput_table(
        f"Team overhead, replay client ({title}; each client estimates prompt tokens)",
        "msg",
        [*replayed, baseline],
        target_vs_autogen=10.0,
        notes=notes,
    )
    h.emit_summary(settings, summary)

    installed = [peer for peer in _peers.PEERS if peer.installed()]
    missing = [peer.name for peer in _peers.PEERS if not peer.installed()]
    if missing:
        print(
            f"note: not installed, so not in the peer table: {', '.join(missing)} (the "
            "benchmarks nox session installs them)."
        )
    peers = [
        h.run_async(functools.partial(peer_team, peer, messages, settings)) for peer in installed
    ]
    summary = peer_table(
        f"Team with peers ({AGENTS} agents in turn, {messages} messages per run)",
        bare,
        peers,
    )
    h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
