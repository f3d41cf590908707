"""A process that runs a two-agent round robin and checkpoints the team after every message.

``python -m tests.agentchat._team_resume_child DB TURNS``: loads the team's state from the
SQLite store at ``DB`` if there is one (and continues the conversation with ``task=None``), else
starts it with the task ``"go"``. Each ``run()`` is one turn (``max_turns=1``); after it the
team's state is written to the store, then ``saved <source> <content>`` is printed. With
``TURNS`` 0 it goes on until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from parlay_agentchat.agents import BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.messages import BaseChatMessage, TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import CancellationToken
from parlay_core.state import SQLiteStateStore

TEAM_KEY = "team/demo"


class TurnAgent(BaseChatAgent):
    """Answers ``<name>-<n>`` on its n-th turn; ``n`` is its state."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "Speaks in turn.")
        self.turns = 0

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        await asyncio.sleep(0.01)  # a turn takes a moment, so a kill lands inside a run
        self.turns += 1
        return Response(
            chat_message=TextMessage(content=f"{self.name}-{self.turns}", source=self.name)
        )

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.turns = 0

    async def save_state(self) -> Mapping[str, Any]:
        return {"turns": self.turns}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.turns = int(state["turns"])


async def main(path: str, turns: int) -> None:
    store = SQLiteStateStore(path)
    team = RoundRobinGroupChat([TurnAgent("a"), TurnAgent("b")], max_turns=1)
    entry = await store.get(TEAM_KEY)
    task: str | None = "go"
    if entry is not None:
        await team.load_state(entry.value)
        task = None
    done = 0
    while turns == 0 or done < turns:
        result = await team.run(task=task, output_task_messages=False)
        task = None
        await store.put(TEAM_KEY, await team.save_state())
        for message in result.messages:
            if isinstance(message, TextMessage):
                print(f"saved {message.source} {message.content}", flush=True)
        done += 1
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
