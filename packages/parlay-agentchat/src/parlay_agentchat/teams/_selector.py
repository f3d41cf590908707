"""SelectorGroupChat: a model (or your function) picks who speaks next."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Union, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._constants import TRACE_LOGGER_NAME
from parlay_agentchat._exceptions import AgentConfigurationError
from parlay_agentchat.base import ChatAgent, Team, TerminationCondition
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    MessageFactory,
    ModelClientStreamingChunkEvent,
    SelectorEvent,
)
from parlay_agentchat.state import SelectorManagerState
from parlay_agentchat.teams._base_group_chat import (
    BaseGroupChat,
    load_condition,
    load_participants,
)
from parlay_agentchat.teams._manager import BaseGroupChatManager, OutputChannel
from parlay_core import AgentRuntime, Component, ComponentModel
from parlay_core.model_context import ChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelFamily,
    SystemMessage,
    UserMessage,
)

__all__ = [
    "SelectorFuncType",
    "SelectorGroupChat",
    "SelectorGroupChatConfig",
    "SelectorGroupChatManager",
]

_trace = logging.getLogger(TRACE_LOGGER_NAME)

Thread = Sequence[Union[BaseAgentEvent, BaseChatMessage]]
SelectorFuncType = Union[
    Callable[[Thread], Union[str, None]], Callable[[Thread], Awaitable[Union[str, None]]]
]
"""``(thread) -> name | None``, sync or async; ``None`` lets the model choose."""
CandidateFuncType = Union[Callable[[Thread], list[str]], Callable[[Thread], Awaitable[list[str]]]]

DEFAULT_SELECTOR_PROMPT = """You are in a role play game. The following roles are available:
{roles}.
Read the following conversation. Then select the next role from {participants} to play. Only return the role.

{history}

Read the above conversation. Then select the next role from {participants} to play. Only return the role.
"""


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def mentioned_names(text: str, names: Sequence[str]) -> dict[str, int]:
    """Count whole-word mentions of each name in ``text`` (also written with ``\\_``)."""
    counts: dict[str, int] = {}
    for name in names:
        variants = {name, name.replace("_", " "), name.replace("_", r"\_")}
        pattern = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
        found = len(re.findall(rf"(?<![\w]){pattern}(?![\w])", text))
        if found:
            counts[name] = found
    return counts


class SelectorGroupChatManager(BaseGroupChatManager):
    """Picks each speaker with ``selector_func``, else by asking the model.

    The model sees the candidates' names and descriptions and the conversation, and must name
    exactly one candidate. A reply naming none, several, or (unless allowed) the previous
    speaker is answered with a correction, up to ``max_selector_attempts`` calls in all. If no
    valid name comes back, the previous speaker speaks again (or, on the first turn, the first
    candidate), as in AutoGen.

    The prompt goes to the model as a system message for OpenAI model families and as a user
    message for the others, many of which need a user turn to answer. With
    ``model_client_streaming`` and ``emit_team_events``, the reply is streamed out as
    ``ModelClientStreamingChunkEvent``s followed by a ``SelectorEvent`` with the whole reply.
    """

    def __init__(
        self,
        *,
        model_client: ChatCompletionClient,
        selector_prompt: str,
        allow_repeated_speaker: bool,
        selector_func: SelectorFuncType | None,
        candidate_func: CandidateFuncType | None,
        max_selector_attempts: int,
        model_client_streaming: bool,
        model_context: ChatCompletionContext | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._model_client = model_client
        self._selector_prompt = selector_prompt
        self._allow_repeated_speaker = allow_repeated_speaker
        self._selector_func = selector_func
        self._candidate_func = candidate_func
        self._max_selector_attempts = max_selector_attempts
        self._model_client_streaming = model_client_streaming
        self._model_context = model_context
        self._previous_speaker: str | None = None
        self._descriptions = dict(
            zip(self._participant_names, self._participant_descriptions, strict=True)
        )

    async def update_message_thread(
        self, messages: Sequence[BaseAgentEvent | BaseChatMessage]
    ) -> None:
        """Append to the thread, and feed chat messages to the selector's model context."""
        await super().update_message_thread(messages)
        if self._model_context is not None:
            for message in messages:
                if isinstance(message, BaseChatMessage):
                    await self._model_context.add_message(message.to_model_message())

    async def reset(self) -> None:
        """Forget the previous speaker and the selector's context."""
        self._previous_speaker = None
        if self._model_context is not None:
            await self._model_context.clear()

    async def select_speaker(self, thread: Thread) -> str:
        """Choose the next speaker (see the class description)."""
        if self._selector_func is not None:
            chosen = await _maybe_await(self._selector_func(thread))
            if chosen is not None:
                if chosen not in self._descriptions:
                    raise ValueError(
                        f"selector_func returned {chosen!r}, which is not a participant; "
                        f"participants are {self._participant_names}."
                    )
                self._previous_speaker = chosen
                return cast(str, chosen)
        candidates = await self._candidates(thread)
        if len(candidates) == 1:
            chosen = candidates[0]
        else:
            chosen = await self._ask_model(thread, candidates)
        self._previous_speaker = chosen
        return chosen

    async def _candidates(self, thread: Thread) -> list[str]:
        if self._candidate_func is not None:
            candidates = list(await _maybe_await(self._candidate_func(thread)))
            if not candidates:
                raise ValueError("candidate_func returned no candidates; return at least one name.")
            unknown = [c for c in candidates if c not in self._descriptions]
            if unknown:
                raise ValueError(
                    f"candidate_func returned {unknown}, which are not participants; "
                    f"participants are {self._participant_names}."
                )
            return candidates
        if self._previous_speaker is not None and not self._allow_repeated_speaker:
            return [n for n in self._participant_names if n != self._previous_speaker]
        return list(self._participant_names)

    async def _history(self, thread: Thread) -> str:
        if self._model_context is not None:
            lines: list[str] = []
            for message in await self._model_context.get_messages():
                if isinstance(message, (UserMessage, AssistantMessage)) and isinstance(
                    message.content, str
                ):
                    lines.append(f"{message.source}: {message.content}")
            return "\n".join(lines)
        return "\n".join(
            f"{m.source}: {m.to_model_text()}" for m in thread if isinstance(m, BaseChatMessage)
        )

    async def _ask_model(self, thread: Thread, candidates: list[str]) -> str:
        # One line per role, as the prompt promises, even for multi-line descriptions.
        roles = "\n".join(
            " ".join(f"{name}: {self._descriptions[name]}".split()) for name in candidates
        )
        prompt = self._selector_prompt.format(
            roles=roles, participants=str(candidates), history=await self._history(thread)
        )
        conversation: list[LLMMessage] = [
            SystemMessage(content=prompt)
            if ModelFamily.is_openai(self._model_client.model_info["family"])
            else UserMessage(content=prompt, source="user")
        ]
        for _ in range(self._max_selector_attempts):
            reply = await self._call_model(conversation)
            counts = mentioned_names(reply, self._participant_names)
            if len(counts) == 1:
                chosen = next(iter(counts))
                if chosen in candidates:
                    return chosen
                if chosen == self._previous_speaker:
                    feedback = (
                        "Repeated speaker is not allowed, please select a different name from: "
                        f"{candidates}."
                    )
                else:
                    feedback = f"{chosen} cannot speak now. Please select from: {candidates}."
            elif counts:
                feedback = (
                    f"Expected exactly one name to be mentioned, but got {sorted(counts)}. "
                    f"Please only mention one name from: {candidates}."
                )
            else:
                feedback = f"No valid name was mentioned. Please select from: {candidates}."
            conversation.append(AssistantMessage(content=reply, source="selector"))
            conversation.append(UserMessage(content=feedback, source="user"))
        fallback = self._fallback(candidates)
        _trace.warning(
            "The selector model named no valid speaker in %d attempts; falling back to %r.",
            self._max_selector_attempts,
            fallback,
        )
        return fallback

    def _fallback(self, candidates: list[str]) -> str:
        # AutoGen's documented fallback: the previous speaker, even when repeats are not allowed.
        if self._previous_speaker is not None:
            return self._previous_speaker
        return candidates[0]

    async def _call_model(self, conversation: list[LLMMessage]) -> str:
        token = self._turn_token
        if not self._model_client_streaming:
            call = asyncio.ensure_future(
                self._model_client.create(conversation, cancellation_token=token)
            )
            token.link_future(call)
            result = await call
        else:
            final: CreateResult | None = None
            emit = self._emit_team_events
            async for chunk in self._model_client.create_stream(
                conversation, cancellation_token=token
            ):
                if isinstance(chunk, CreateResult):
                    final = chunk
                elif chunk and emit:
                    self._emit(ModelClientStreamingChunkEvent(content=chunk, source=self._name))
            if final is None:
                raise ValueError("The selector model's stream ended without a CreateResult.")
            result = final
            if emit and isinstance(result.content, str):
                self._emit(SelectorEvent(content=result.content, source=self._name))
        if not isinstance(result.content, str):
            return ""  # a tool call is not a name; the model is asked again
        return result.content

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``SelectorManagerState``."""
        return SelectorManagerState(
            message_thread=self._dump_thread(),
            current_turn=self._current_turn,
            previous_speaker=self._previous_speaker,
        ).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a ``SelectorManagerState``."""
        loaded = SelectorManagerState.model_validate(dict(state))
        self._load_thread(loaded.message_thread)
        self._current_turn = loaded.current_turn
        self._previous_speaker = loaded.previous_speaker


class SelectorGroupChatConfig(BaseModel):
    """The component config of :class:`SelectorGroupChat` (functions are not saved)."""

    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    model_client: ComponentModel
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    selector_prompt: str
    allow_repeated_speaker: bool
    max_selector_attempts: int = 3
    emit_team_events: bool = False
    model_client_streaming: bool = False
    model_context: ComponentModel | None = None


class SelectorGroupChat(BaseGroupChat, Component[SelectorGroupChatConfig]):
    """A team in which a model picks the next speaker from the conversation.

    ``selector_func`` (if given and not returning ``None``) decides first; ``candidate_func``
    narrows the names the model may choose from. With a single candidate no model call is
    made. See :class:`SelectorGroupChatManager` for retries and the fallback.

    Args:
        participants: At least two agents (or teams); names must be unique.
        model_client: The model that selects speakers.
        termination_condition: Stops the run when it fires.
        max_turns: Stops the run after this many turns.
        runtime: A runtime to run on; by default an embedded one.
        selector_prompt: The prompt, with ``{roles}``, ``{participants}`` and ``{history}``.
        allow_repeated_speaker: Whether the same participant may speak twice in a row.
        max_selector_attempts: Model calls per selection before the fallback.
        selector_func: ``(thread) -> name | None``, sync or async.
        candidate_func: ``(thread) -> [names]``, sync or async.
        custom_message_types: Message classes beyond the built-in ones.
        emit_team_events: Report each selection as a ``SelectSpeakerEvent``.
        model_client_streaming: Stream the selector model's reply; with ``emit_team_events``
            it is reported as chunk events and a ``SelectorEvent``.
        model_context: Limits the history shown to the selector model.
        name: The team's name.
        description: What the team does.
        team_id: Names the team's agents and topics (random by default); see
            :class:`BaseGroupChat`.
        hosted: The participant names (and ``"SelectorGroupChatManager"``) this process hosts, for a
            team spread over the workers of a distributed runtime; by default all.

    Raises:
        AgentConfigurationError: Fewer than two participants, or ``max_selector_attempts``
            below 1.
    """

    component_config_schema = SelectorGroupChatConfig
    component_provider_override = "parlay_agentchat.teams.SelectorGroupChat"

    def __init__(
        self,
        participants: Sequence[ChatAgent | Team],
        model_client: ChatCompletionClient,
        *,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: AgentRuntime | None = None,
        selector_prompt: str = DEFAULT_SELECTOR_PROMPT,
        allow_repeated_speaker: bool = False,
        max_selector_attempts: int = 3,
        selector_func: SelectorFuncType | None = None,
        candidate_func: CandidateFuncType | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
        model_client_streaming: bool = False,
        model_context: ChatCompletionContext | None = None,
        name: str | None = None,
        description: str | None = None,
        team_id: str | None = None,
        hosted: Sequence[str] | None = None,
    ) -> None:
        if len(participants) < 2:
            raise AgentConfigurationError("SelectorGroupChat needs at least two participants.")
        if max_selector_attempts < 1:
            raise AgentConfigurationError("max_selector_attempts must be at least 1.")
        super().__init__(
            name=name or "SelectorGroupChat",
            description=description or "A team of agents.",
            participants=participants,
            group_chat_manager_name="SelectorGroupChatManager",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            emit_team_events=emit_team_events,
            team_id=team_id,
            hosted=hosted,
        )
        self._model_client = model_client
        self._selector_prompt = selector_prompt
        self._allow_repeated_speaker = allow_repeated_speaker
        self._max_selector_attempts = max_selector_attempts
        self._selector_func = selector_func
        self._candidate_func = candidate_func
        self._model_client_streaming = model_client_streaming
        self._model_context = model_context

    def _create_manager(
        self, output_channel: OutputChannel, message_factory: MessageFactory
    ) -> SelectorGroupChatManager:
        return SelectorGroupChatManager(
            model_client=self._model_client,
            selector_prompt=self._selector_prompt,
            allow_repeated_speaker=self._allow_repeated_speaker,
            selector_func=self._selector_func,
            candidate_func=self._candidate_func,
            max_selector_attempts=self._max_selector_attempts,
            model_client_streaming=self._model_client_streaming,
            model_context=self._model_context,
            **self._manager_args(output_channel, message_factory),
        )

    def _to_config(self) -> SelectorGroupChatConfig:
        if self._selector_func is not None or self._candidate_func is not None:
            warnings.warn(
                "selector_func and candidate_func are functions and are not saved in the "
                "component config; the loaded team selects with the model only.",
                UserWarning,
                stacklevel=3,
            )
        return SelectorGroupChatConfig(
            **self._config_fields(),
            model_client=self._model_client.dump_component(),
            selector_prompt=self._selector_prompt,
            allow_repeated_speaker=self._allow_repeated_speaker,
            max_selector_attempts=self._max_selector_attempts,
            emit_team_events=self._emit_team_events,
            model_client_streaming=self._model_client_streaming,
            model_context=self._model_context.dump_component() if self._model_context else None,
        )

    @classmethod
    def _from_config(cls, config: SelectorGroupChatConfig) -> Self:
        return cls(
            load_participants(config.participants),
            ChatCompletionClient.load_component(config.model_client),
            termination_condition=load_condition(config.termination_condition),
            max_turns=config.max_turns,
            selector_prompt=config.selector_prompt,
            allow_repeated_speaker=config.allow_repeated_speaker,
            max_selector_attempts=config.max_selector_attempts,
            emit_team_events=config.emit_team_events,
            model_client_streaming=config.model_client_streaming,
            model_context=ChatCompletionContext.load_component(config.model_context)
            if config.model_context is not None
            else None,
            name=config.name,
            description=config.description,
        )
