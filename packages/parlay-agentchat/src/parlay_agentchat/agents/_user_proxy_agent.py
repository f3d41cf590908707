"""UserProxyAgent: a person's seat in a team; it asks for input through a function."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Union, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import HandoffTargetError, UserInputError
from parlay_agentchat.agents._base_chat_agent import BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    TextMessage,
    UserInputRequestedEvent,
)
from parlay_core import CancellationToken, Component

__all__ = ["UserProxyAgent", "UserProxyAgentConfig"]

SyncInputFunc = Callable[[str], str]
AsyncInputFunc = Callable[[str, Union[CancellationToken, None]], Awaitable[str]]
InputFuncType = Union[SyncInputFunc, AsyncInputFunc]

_request_id: ContextVar[str] = ContextVar("parlay_user_input_request_id")


class UserProxyAgentConfig(BaseModel):
    """The component config of :class:`UserProxyAgent` (the input function is not saved).

    Attributes:
        name: The agent's name.
        description: What the agent stands for.
        input_func: Always ``None``: functions are not saved in configs.
    """

    name: str
    description: str = "A human user"
    input_func: str | None = None


class UserProxyAgent(BaseChatAgent, Component[UserProxyAgentConfig]):
    """Stands for a person: on its turn it asks for input and answers with it.

    It first yields a :class:`UserInputRequestedEvent` (so a UI can show a prompt), then calls
    the input function. If the last new message is a :class:`HandoffMessage` to this agent, the
    answer is a handoff back to the sender; otherwise it is a :class:`TextMessage`.

    Args:
        name: The agent's name.
        description: What the agent stands for.
        input_func: ``(prompt) -> str`` (run in a worker thread, so the event loop stays free)
            or ``async (prompt, cancellation_token) -> str``. Defaults to :func:`input`.

    Raises:
        UserInputError: (from a turn) the input function raised.
        HandoffTargetError: (from a turn) the last message hands off to another agent.
    """

    component_config_schema = UserProxyAgentConfig
    component_provider_override = "parlay_agentchat.agents.UserProxyAgent"

    class InputRequestContext:
        """Inside an input function: the ``request_id`` of the current input request."""

        def __init__(self) -> None:
            raise TypeError("InputRequestContext is used through its class methods only.")

        @classmethod
        @contextmanager
        def populate_context(cls, request_id: str) -> Generator[None, None, None]:
            """Set the current request id for the duration of the block."""
            token = _request_id.set(request_id)
            try:
                yield
            finally:
                _request_id.reset(token)

        @classmethod
        def request_id(cls) -> str:
            """The id of the input request being answered.

            Raises:
                RuntimeError: Called outside an input function.
            """
            try:
                return _request_id.get()
            except LookupError as exc:
                raise RuntimeError(
                    "InputRequestContext.request_id() is only available inside the input "
                    "function of a UserProxyAgent."
                ) from exc

    def __init__(
        self,
        name: str,
        *,
        description: str = "A human user",
        input_func: InputFuncType | None = None,
    ) -> None:
        super().__init__(name=name, description=description)
        self._input_func: InputFuncType = input_func or input
        self._is_async = inspect.iscoroutinefunction(self._input_func)

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """TextMessage and HandoffMessage."""
        return (TextMessage, HandoffMessage)

    def _handoff_to_me(self, messages: Sequence[BaseChatMessage]) -> HandoffMessage | None:
        if messages:
            last = messages[-1]
            if isinstance(last, HandoffMessage):
                if last.target != self.name:
                    # Answering would hand the turn back to the wrong agent.
                    raise HandoffTargetError(
                        f"The last message hands off from {last.source!r} to {last.target!r}, "
                        f"but this is {self.name!r}: the handoff message target does not match "
                        "the agent name."
                    )
                return last
        return None

    async def _ask(self, prompt: str, token: CancellationToken) -> str:
        if self._is_async:
            async_func = cast(AsyncInputFunc, self._input_func)
            pending = asyncio.ensure_future(async_func(prompt, token))
        else:
            sync_func = cast(SyncInputFunc, self._input_func)
            pending = asyncio.ensure_future(asyncio.to_thread(sync_func, prompt))
        token.link_future(pending)
        return await pending

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Ask for input and answer with it."""
        async for item in self.on_messages_stream(messages, cancellation_token):
            if isinstance(item, Response):
                return item
        raise AssertionError("on_messages_stream always ends with a Response")

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Yield a :class:`UserInputRequestedEvent`, ask for input, then yield the response.

        Raises:
            UserInputError: The input function raised.
            HandoffTargetError: The last message is a handoff to another agent.
            asyncio.CancelledError: The token was cancelled while waiting for input.
        """
        handoff = self._handoff_to_me(messages)
        prompt = "Enter your response: "
        if handoff is not None:
            prompt = f"Handoff received from {handoff.source}. Enter your response: "
        request_id = str(uuid.uuid4())
        yield UserInputRequestedEvent(request_id=request_id, source=self.name)
        try:
            with UserProxyAgent.InputRequestContext.populate_context(request_id):
                text = await self._ask(prompt, cancellation_token)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise UserInputError(f"Failed to get user input: {type(exc).__name__}: {exc}") from exc
        if handoff is not None:
            yield Response(
                chat_message=HandoffMessage(content=text, target=handoff.source, source=self.name)
            )
        else:
            yield Response(chat_message=TextMessage(content=text, source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Nothing to forget."""

    def _to_config(self) -> UserProxyAgentConfig:
        return UserProxyAgentConfig(name=self.name, description=self.description)

    @classmethod
    def _from_config(cls, config: UserProxyAgentConfig) -> Self:
        return cls(name=config.name, description=config.description)
