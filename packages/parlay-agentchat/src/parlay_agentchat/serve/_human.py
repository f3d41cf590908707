"""Human turns in a served team: a run that reaches one ends, and the answer starts the next run.

No task waits on a person. A :class:`~parlay_agentchat.agents.UserProxyAgent` in a served team is
loaded as :class:`PausingUserProxyAgent`, whose input function records the request and raises;
the run ends there and the session saves the team's state and waits. A handoff to someone who is
not a participant (a Swarm's ``HandoffTermination(target="user")``) ends the run normally and
waits the same way. The person's answer becomes the task of the next run: a message from the
user proxy (round-robin and selector teams go on with the next speaker) or a handoff back to the
agent that handed off (a Swarm goes on with that agent).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from typing_extensions import Self

from parlay_agentchat.agents import UserProxyAgent, UserProxyAgentConfig
from parlay_agentchat.base import TaskResult
from parlay_agentchat.messages import BaseChatMessage, HandoffMessage, TextMessage
from parlay_core import CancellationToken

__all__ = [
    "PausingUserProxyAgent",
    "answer_message",
    "handoff_pending",
    "participant_names",
    "rewrite_user_proxies",
    "run_input_message",
]

_PAUSING_PROVIDER = "parlay_agentchat.serve._human.PausingUserProxyAgent"
_USER_PROXY_PROVIDERS = {
    "parlay_agentchat.agents.UserProxyAgent",
    "parlay_agentchat.agents._user_proxy_agent.UserProxyAgent",
    "autogen_agentchat.agents.UserProxyAgent",
    "UserProxyAgent",
}

# The proxies built while one team config loads: loading is synchronous code of ours, so a
# context variable set around it collects them without reaching into the team.
_loading: ContextVar[list[PausingUserProxyAgent] | None] = ContextVar(
    "parlay_serve_loading_proxies", default=None
)


class HumanTurn(Exception):
    """Raised by a pausing proxy's input function: the run stops for a person's answer."""


class PausingUserProxyAgent(UserProxyAgent):
    """A user proxy whose turn pauses the run instead of waiting for input.

    Its input function records the prompt (see :attr:`requested`) and raises, so the team run
    ends with an error the session recognises as a pause.
    """

    def __init__(self, name: str, *, description: str = "A human user") -> None:
        super().__init__(name, description=description, input_func=self._pause)
        self.requested: dict[str, Any] | None = None
        collected = _loading.get()
        if collected is not None:
            collected.append(self)

    async def _pause(self, prompt: str, cancellation_token: CancellationToken | None) -> str:
        self.requested = {
            "prompt": prompt,
            "request_id": UserProxyAgent.InputRequestContext.request_id(),
        }
        raise HumanTurn(f"{self.name!r} waits for a person's answer")

    @classmethod
    def _from_config(cls, config: UserProxyAgentConfig) -> Self:
        return cls(config.name, description=config.description)


def rewrite_user_proxies(config: Any) -> Any:
    """A copy of a component config with every UserProxyAgent loaded as a pausing proxy."""
    if isinstance(config, list):
        return [rewrite_user_proxies(item) for item in cast("list[object]", config)]
    if not isinstance(config, dict):
        return config
    data = cast("dict[str, Any]", config)
    copied = {key: rewrite_user_proxies(value) for key, value in data.items()}
    if data.get("provider") in _USER_PROXY_PROVIDERS:
        copied["provider"] = _PAUSING_PROVIDER
    return copied


@contextmanager
def collecting_proxies() -> Generator[list[PausingUserProxyAgent], None, None]:
    """Collect the pausing proxies built inside the block (while a config loads)."""
    proxies: list[PausingUserProxyAgent] = []
    token = _loading.set(proxies)
    try:
        yield proxies
    finally:
        _loading.reset(token)


def participant_names(config: Mapping[str, Any]) -> set[str]:
    """The names of a team config's direct participants (or the agent's own name)."""
    inner = cast("Mapping[str, Any]", config.get("config") or {})
    participants = cast("Sequence[Any]", inner.get("participants") or ())
    names: set[str] = set()
    for participant in participants:
        if isinstance(participant, dict):
            entry = cast("Mapping[str, Any]", participant)
            names.add(str(cast("Mapping[str, Any]", entry.get("config") or {}).get("name")))
    if not participants and "name" in inner:
        names.add(str(inner["name"]))
    return names


def handoff_pending(result: TaskResult, participants: set[str]) -> dict[str, Any] | None:
    """If the run ended by handing off to someone outside the team, what the person is asked."""
    chat = [m for m in result.messages if isinstance(m, BaseChatMessage)]
    if not chat:
        return None
    last = chat[-1]
    if not isinstance(last, HandoffMessage) or last.target in participants:
        return None
    return {
        "kind": "handoff",
        "agent": last.target,
        "to": last.source,
        "prompt": last.content or f"{last.source} hands off to {last.target}.",
        "request_id": None,
    }


def answer_message(pending: Mapping[str, Any], text: str, swarm: bool) -> dict[str, Any]:
    """The run input that carries a person's answer to the team."""
    if pending.get("kind") == "handoff" and swarm:
        return {
            "type": "handoff",
            "source": pending["agent"],
            "target": pending["to"],
            "content": text,
        }
    if pending.get("kind") == "user_proxy" and pending.get("to"):
        # The proxy was handed the turn: its answer hands it back, as its own turn would have.
        return {
            "type": "handoff",
            "source": pending["agent"],
            "target": pending["to"],
            "content": text,
        }
    return {"type": "text", "source": pending.get("agent") or "user", "content": text}


def run_input_message(run_input: Mapping[str, Any]) -> str | BaseChatMessage:
    """The task to pass to ``run_stream`` for a stored run input."""
    kind = run_input.get("type")
    if kind == "handoff":
        return HandoffMessage(
            source=str(run_input["source"]),
            target=str(run_input["target"]),
            content=str(run_input["content"]),
        )
    if kind == "text":
        return TextMessage(source=str(run_input["source"]), content=str(run_input["content"]))
    return str(run_input.get("text", ""))
