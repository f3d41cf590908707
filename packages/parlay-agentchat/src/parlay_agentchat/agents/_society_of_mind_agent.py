"""SocietyOfMindAgent: an inner team works on the messages; a model sums its work up."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat.agents._base_chat_agent import BaseChatAgent
from parlay_agentchat.base import Response, TaskResult, Team
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
)
from parlay_agentchat.state import SocietyOfMindAgentState
from parlay_core import CancellationToken, Component, ComponentModel
from parlay_core.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from parlay_core.models import (
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

__all__ = ["SocietyOfMindAgent", "SocietyOfMindAgentConfig"]

DEFAULT_INSTRUCTION = (
    "Earlier you were asked to fulfill a request. You and your team worked diligently to "
    "address that request. Here is a transcript of that conversation:"
)
DEFAULT_RESPONSE_PROMPT = (
    "Output a standalone response to the original request, without mentioning any of the "
    "intermediate discussion."
)
DEFAULT_DESCRIPTION = "An agent that uses an inner team of agents to generate responses."


class SocietyOfMindAgentConfig(BaseModel):
    """The component config of :class:`SocietyOfMindAgent`."""

    name: str
    team: ComponentModel
    model_client: ComponentModel
    description: str | None = None
    instruction: str | None = None
    response_prompt: str | None = None
    model_context: ComponentModel | None = None


class SocietyOfMindAgent(BaseChatAgent, Component[SocietyOfMindAgentConfig]):
    """Runs an inner team on the new messages, then answers with a model's summary of its work.

    The inner team's messages and events are streamed by :meth:`on_messages_stream`, but the
    response carries none of them as inner messages: the agent's output is its answer, so
    ``run()`` returns the task and the answer only (``run_stream`` shows the inner work). The
    inner team is reset after every turn and is given the earlier turns' messages as the
    context of a ``HandoffMessage``. If the inner team produced nothing, the answer is
    ``"No response."``.

    Args:
        name: The agent's name.
        team: The inner team.
        model_client: The model that writes the answer.
        description: What the agent does.
        instruction: Put before the transcript of the inner team's work.
        response_prompt: Put after it, asking for the answer.
        model_context: Keeps the outer conversation (an unbounded context by default).
    """

    component_config_schema = SocietyOfMindAgentConfig
    component_provider_override = "parlay_agentchat.agents.SocietyOfMindAgent"

    def __init__(
        self,
        name: str,
        team: Team,
        model_client: ChatCompletionClient,
        *,
        description: str = DEFAULT_DESCRIPTION,
        instruction: str = DEFAULT_INSTRUCTION,
        response_prompt: str = DEFAULT_RESPONSE_PROMPT,
        model_context: ChatCompletionContext | None = None,
    ) -> None:
        super().__init__(name=name, description=description)
        self._team = team
        self._model_client = model_client
        self._instruction = instruction
        self._response_prompt = response_prompt
        self._model_context = model_context or UnboundedChatCompletionContext()

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """TextMessage."""
        return (TextMessage,)

    @property
    def model_context(self) -> ChatCompletionContext:
        """The outer conversation."""
        return self._model_context

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Run the inner team and answer."""
        async for item in self.on_messages_stream(messages, cancellation_token):
            if isinstance(item, Response):
                return item
        raise AssertionError("on_messages_stream always ends with a Response")

    def _instruction_message(self, text: str) -> LLMMessage:
        # Models that accept one system message only get the later ones as user messages.
        if self._model_client.model_info.get("multiple_system_messages", False):
            return SystemMessage(content=text)
        return UserMessage(content=text, source="user")

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Yield the inner team's messages and events, then the :class:`Response`.

        The inner team starts each turn afresh; the messages of earlier turns reach it as the
        context of a first ``HandoffMessage`` ("relevant previous messages"). The response has
        no inner messages: the inner team's work is streamed, but the agent's output to the
        outer conversation is its answer alone (so ``run()`` returns the task and the answer).
        """
        task: list[BaseChatMessage] = list(messages)
        previous = await self._model_context.get_messages()
        if previous:
            task.insert(
                0,
                HandoffMessage(
                    content="relevant previous messages",
                    source=self.name,
                    target="",
                    context=list(previous),
                ),
            )
        produced: list[BaseChatMessage] = []
        worked = False
        async for item in self._team.run_stream(
            task=task or None,
            cancellation_token=cancellation_token,
            output_task_messages=False,
        ):
            if isinstance(item, TaskResult):
                continue
            yield item
            if isinstance(item, ModelClientStreamingChunkEvent):
                continue
            worked = True
            if isinstance(item, BaseChatMessage):
                produced.append(item)
        if not worked:
            answer = TextMessage(content="No response.", source=self.name)
        else:
            # The request itself comes first in the transcript (the earlier turns' and this
            # turn's messages): the inner team's output leaves out its task, and the response
            # prompt asks the model to answer "the original request".
            prompt: list[LLMMessage] = [
                self._instruction_message(self._instruction),
                *previous,
                *(m.to_model_message() for m in messages),
                *(m.to_model_message() for m in produced),
                self._instruction_message(self._response_prompt),
            ]
            result = await self._model_client.create(prompt, cancellation_token=cancellation_token)
            content = result.content if isinstance(result.content, str) else str(result.content)
            answer = TextMessage(content=content, source=self.name, models_usage=result.usage)
        # Only the incoming messages are kept: they are what the next turn's team must know.
        for message in messages:
            if isinstance(message, HandoffMessage):
                for passed in message.context:
                    await self._model_context.add_message(passed)
            await self._model_context.add_message(message.to_model_message())
        # Reset before the response: a consumer may stop reading at the response.
        await self._team.reset()
        yield Response(chat_message=answer, inner_messages=[])

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Reset the inner team and forget the outer conversation."""
        await self._team.reset()
        await self._model_context.clear()

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "SocietyOfMindAgentState", ..., "inner_team_state": ...}``."""
        return SocietyOfMindAgentState(inner_team_state=await self._team.save_state()).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore the inner team's state."""
        loaded = SocietyOfMindAgentState.model_validate(dict(state))
        await self._team.load_state(loaded.inner_team_state)

    def _to_config(self) -> SocietyOfMindAgentConfig:
        return SocietyOfMindAgentConfig(
            name=self.name,
            team=self._team.dump_component(),
            model_client=self._model_client.dump_component(),
            description=self.description,
            instruction=self._instruction,
            response_prompt=self._response_prompt,
            model_context=self._model_context.dump_component(),
        )

    @classmethod
    def _from_config(cls, config: SocietyOfMindAgentConfig) -> Self:
        return cls(
            name=config.name,
            team=Team.load_component(config.team),
            model_client=ChatCompletionClient.load_component(config.model_client),
            description=config.description or DEFAULT_DESCRIPTION,
            instruction=config.instruction or DEFAULT_INSTRUCTION,
            response_prompt=config.response_prompt or DEFAULT_RESPONSE_PROMPT,
            model_context=ChatCompletionContext.load_component(config.model_context)
            if config.model_context is not None
            else None,
        )
