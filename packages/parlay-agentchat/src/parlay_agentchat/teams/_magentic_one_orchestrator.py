"""MagenticOneOrchestrator: the manager that plans, tracks progress and directs each turn.

Outer loop: write down the facts and a plan (the task ledger), reset the participants and
broadcast the ledger. Inner loop, one step per turn: ask the model for the progress ledger
(JSON: is the request satisfied, is the team looping, is it progressing, who speaks next
and with which instruction), broadcast the instruction and hand that participant the turn.
A step without progress (or in a loop) counts as a stall; ``max_stalls`` stalls update the
facts and the plan and restart the outer loop. A satisfied request, or ``max_turns`` steps,
ends the run with a final answer written by the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from parlay_agentchat._exceptions import InvalidTaskError, ProgressLedgerError
from parlay_agentchat.base import Response
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    SelectSpeakerEvent,
    StopMessage,
    TextMessage,
)
from parlay_agentchat.state import MagenticOneOrchestratorState
from parlay_agentchat.teams._events import (
    GroupChatAgentResponse,
    GroupChatRequestPublish,
    GroupChatReset,
    GroupChatStart,
)
from parlay_agentchat.teams._magentic_one_ledger import (
    LedgerFormatError,
    ProgressLedger,
    ledger_schema,
    parse_ledger,
)
from parlay_agentchat.teams._magentic_one_prompts import (
    FACTS_PROMPT,
    FACTS_UPDATE_PROMPT,
    PLAN_PROMPT,
    PLAN_UPDATE_PROMPT,
    PROGRESS_LEDGER_PROMPT,
    TASK_LEDGER_PROMPT,
)
from parlay_agentchat.teams._manager import BaseGroupChatManager
from parlay_core import AgentId, CancellationToken, TopicId
from parlay_core.models import AssistantMessage, ChatCompletionClient, LLMMessage, UserMessage

__all__ = ["MAX_JSON_RETRIES", "MagenticOneOrchestrator"]

Message = BaseAgentEvent | BaseChatMessage

MAX_JSON_RETRIES = 10
"""Model calls per step for a readable progress ledger before the run fails."""


class MagenticOneOrchestrator(BaseGroupChatManager):
    """Directs a Magentic-One team (see the module description for the loops).

    Args:
        model_client: The model that plans and writes the ledgers and the final answer.
        max_stalls: Stalled steps before re-planning.
        final_answer_prompt: The prompt for the final answer (``{task}`` is filled in).
        **kwargs: The arguments of :class:`BaseGroupChatManager`.
    """

    def __init__(
        self,
        *,
        model_client: ChatCompletionClient,
        max_stalls: int,
        final_answer_prompt: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._model_client = model_client
        self._max_stalls = max_stalls
        self._final_answer_prompt = final_answer_prompt
        self._team = "\n".join(
            f"{n}: {d}"
            for n, d in zip(self._participant_names, self._participant_descriptions, strict=True)
        )
        self._task = ""
        self._facts = ""
        self._plan = ""
        self._n_rounds = 0
        self._n_stalls = 0
        self._ledger_schema: type[BaseModel] | None = None

    async def select_speaker(self, thread: Sequence[Message]) -> list[str]:
        """Unused: the progress ledger names each speaker."""
        return []

    # --- the loops -----------------------------------------------------------------------------

    async def _start(self, message: GroupChatStart, token: CancellationToken) -> None:
        self._active_speakers.clear()
        if not message.messages:
            if not self._task:
                raise InvalidTaskError(
                    "A Magentic-One team needs a task to start; pass task=... to run()."
                )
            await self._step(token)  # continue where the last run stopped
            return
        if message.output_task_messages:
            for task_message in message.messages:
                self._emit(task_message)
        # The task is not relayed: the outer loop resets the participants anyway, and they
        # get the task inside the task ledger.
        await self.update_message_thread(message.messages)
        if await self._check_termination(message.messages, count_turn=False):
            return
        self._task = "\n".join(m.to_text() for m in message.messages)
        self._n_rounds = 0
        self._n_stalls = 0
        conversation: list[LLMMessage] = [
            UserMessage(content=FACTS_PROMPT.format(task=self._task), source=self._name)
        ]
        self._facts = await self._ask(conversation, token)
        conversation += [
            AssistantMessage(content=self._facts, source=self._name),
            UserMessage(content=PLAN_PROMPT.format(team=self._team), source=self._name),
        ]
        self._plan = await self._ask(conversation, token)
        await self._outer_loop(token)

    async def _after_turn(self, name: str, delta: list[Message], token: CancellationToken) -> None:
        try:
            await self.update_message_thread(delta)
            if name in self._active_speakers:
                self._active_speakers.remove(name)
            # Steps are counted as rounds below, not as the base class's turns.
            if await self._check_termination(delta, count_turn=False):
                return
            await self._step(token)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._fail(error, f"group chat manager {self._name!r}")

    async def _outer_loop(self, token: CancellationToken) -> None:
        key = self.id.key
        for name in self._participant_names:
            await self.send_message(
                GroupChatReset(), AgentId(self._topic_by_name[name], key), cancellation_token=token
            )
        self._n_stalls = 0
        self._message_thread.clear()
        ledger = TASK_LEDGER_PROMPT.format(
            task=self._task, team=self._team, facts=self._facts, plan=self._plan
        )
        await self._broadcast(TextMessage(content=ledger, source=self._name), token)
        await self._step(token)

    async def _step(self, token: CancellationToken) -> None:
        self._n_rounds += 1
        if self._max_turns is not None and self._n_rounds > self._max_turns:
            await self._final_answer("Max rounds reached.", token)
            return
        ledger = await self._progress_ledger(token)
        if ledger.is_request_satisfied:
            reason = ledger.reasons.get("is_request_satisfied") or "The request is satisfied."
            await self._final_answer(reason, token)
            return
        if ledger.is_in_loop or not ledger.is_progress_being_made:
            self._n_stalls += 1
        else:
            self._n_stalls = max(0, self._n_stalls - 1)
        if self._n_stalls >= self._max_stalls:
            await self._replan(token)
            await self._outer_loop(token)
            return
        await self._broadcast(TextMessage(content=ledger.instruction, source=self._name), token)
        speaker = ledger.next_speaker
        if self._emit_team_events:
            self._emit(SelectSpeakerEvent(content=[speaker], source=self._name))
        self._active_speakers = [speaker]
        await self.publish_message(
            GroupChatRequestPublish(),
            TopicId(self._topic_by_name[speaker], self.id.key),
            cancellation_token=token,
        )

    async def _replan(self, token: CancellationToken) -> None:
        conversation = self._context()
        conversation.append(
            UserMessage(
                content=FACTS_UPDATE_PROMPT.format(task=self._task, facts=self._facts),
                source=self._name,
            )
        )
        self._facts = await self._ask(conversation, token)
        conversation += [
            AssistantMessage(content=self._facts, source=self._name),
            UserMessage(content=PLAN_UPDATE_PROMPT.format(team=self._team), source=self._name),
        ]
        self._plan = await self._ask(conversation, token)

    async def _final_answer(self, reason: str, token: CancellationToken) -> None:
        conversation = self._context()
        prompt = self._final_answer_prompt.format(task=self._task)
        conversation.append(UserMessage(content=prompt, source=self._name))
        answer = await self._ask(conversation, token)
        await self._broadcast(TextMessage(content=answer, source=self._name), token)
        await self._terminate(StopMessage(content=reason, source=self._name))

    # --- model calls ---------------------------------------------------------------------------

    async def _progress_ledger(self, token: CancellationToken) -> ProgressLedger:
        names = self._participant_names
        prompt = PROGRESS_LEDGER_PROMPT.format(
            task=self._task, team=self._team, names=", ".join(names)
        )
        conversation = self._context()
        conversation.append(UserMessage(content=prompt, source=self._name))
        problem = ""
        for _ in range(MAX_JSON_RETRIES):
            reply = await self._ask(conversation, token, json_output=self._ledger_format())
            try:
                return parse_ledger(reply, names)
            except LedgerFormatError as error:
                problem = str(error)
            # Tell the model what was wrong, so the next attempt can differ.
            conversation += [
                AssistantMessage(content=reply, source=self._name),
                UserMessage(
                    content=f"{problem} Reply again with only the JSON object, in the "
                    "requested shape.",
                    source=self._name,
                ),
            ]
        raise ProgressLedgerError(
            f"The orchestrator's model gave no usable progress ledger in {MAX_JSON_RETRIES} "
            f"attempts (last problem: {problem}). Use a model that follows JSON instructions."
        )

    def _ledger_format(self) -> bool | type[BaseModel] | None:
        """How to ask for the progress ledger: its schema, plain JSON mode, or in words only.

        A client with structured output gets the ledger's shape, which constrains even a small
        local model's reply to it; otherwise JSON mode when the client has it (AutoGen's
        request), and the reply is parsed (and corrected, if need be) either way.
        """
        info = self._model_client.model_info
        if info.get("structured_output"):
            if self._ledger_schema is None:
                self._ledger_schema = ledger_schema(self._participant_names)
            return self._ledger_schema
        return True if info["json_output"] else None

    async def _ask(
        self,
        conversation: Sequence[LLMMessage],
        token: CancellationToken,
        json_output: bool | type[BaseModel] | None = None,
    ) -> str:
        result = await self._model_client.create(
            conversation, json_output=json_output, cancellation_token=token
        )
        content = result.content
        return content if isinstance(content, str) else str(content)

    def _context(self) -> list[LLMMessage]:
        context: list[LLMMessage] = []
        for message in self._message_thread:
            if not isinstance(message, BaseChatMessage):
                continue
            if message.source == self._name:
                context.append(AssistantMessage(content=message.to_model_text(), source=self._name))
            else:
                context.append(message.to_model_message())
        return context

    async def _broadcast(self, message: TextMessage, token: CancellationToken) -> None:
        await self.update_message_thread([message])
        self._emit(message)
        await self.publish_message(
            GroupChatAgentResponse(Response(chat_message=message), self._name),
            TopicId(self._group_topic_type, self.id.key),
            cancellation_token=token,
        )

    # --- state ---------------------------------------------------------------------------------

    async def reset(self) -> None:
        """Forget the task, the ledgers and the counters."""
        self._task = self._facts = self._plan = ""
        self._n_rounds = 0
        self._n_stalls = 0

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``MagenticOneOrchestratorState``."""
        return MagenticOneOrchestratorState(
            message_thread=self._dump_thread(),
            current_turn=self._current_turn,
            task=self._task,
            facts=self._facts,
            plan=self._plan,
            n_rounds=self._n_rounds,
            n_stalls=self._n_stalls,
        ).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a ``MagenticOneOrchestratorState``."""
        loaded = MagenticOneOrchestratorState.model_validate(dict(state))
        self._load_thread(loaded.message_thread)
        self._current_turn = loaded.current_turn
        self._task = loaded.task
        self._facts = loaded.facts
        self._plan = loaded.plan
        self._n_rounds = loaded.n_rounds
        self._n_stalls = loaded.n_stalls
