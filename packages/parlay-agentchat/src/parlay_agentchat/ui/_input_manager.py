"""UserInputManager: holds a user proxy's input prompt back until the UI has shown the request."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import cast

from parlay_agentchat.agents import UserProxyAgent
from parlay_core import CancellationToken

__all__ = ["AsyncInputFunc", "InputFuncType", "SyncInputFunc", "UserInputManager"]

SyncInputFunc = Callable[[str], str]
AsyncInputFunc = Callable[[str, CancellationToken | None], Awaitable[str]]
InputFuncType = SyncInputFunc | AsyncInputFunc


class UserInputManager:
    """Makes a :class:`UserProxyAgent`'s input function wait until the console is ready.

    A team streams a ``UserInputRequestedEvent`` just before its user proxy asks for input. If
    the input function prompted at once, the prompt could appear before the console had printed
    the messages that led to it. Wrap the input function with :meth:`get_wrapped_callback` and
    pass the manager to :func:`Console` (``user_input_manager=``): the wrapped function waits
    until the console reports, through :meth:`notify_event_received`, that it has shown the
    request with the same ``request_id``.

    Example::

        manager = UserInputManager(callback=input)
        user = UserProxyAgent("user", input_func=manager.get_wrapped_callback())
        await Console(team.run_stream(task="..."), user_input_manager=manager)

    Args:
        callback: The real input function: ``input``-like ``(prompt) -> str``, or an async
            ``(prompt, cancellation_token) -> str``.
    """

    def __init__(self, callback: InputFuncType) -> None:
        self.input_events: dict[str, asyncio.Event] = {}
        self.callback = callback

    def _event(self, request_id: str) -> asyncio.Event:
        # Either side may come first: the console's notice or the agent's request.
        event = self.input_events.get(request_id)
        if event is None:
            event = self.input_events[request_id] = asyncio.Event()
        return event

    def get_wrapped_callback(self) -> AsyncInputFunc:
        """Return an input function for ``UserProxyAgent(input_func=...)`` that waits its turn.

        Returns:
            An async ``(prompt, cancellation_token) -> str`` that waits for
            :meth:`notify_event_received` with the current request's id, then calls the
            callback (a sync callback runs in a worker thread so the event loop keeps going).
        """

        async def wrapped(prompt: str, cancellation_token: CancellationToken | None) -> str:
            request_id = UserProxyAgent.InputRequestContext.request_id()
            await self._event(request_id).wait()
            del self.input_events[request_id]
            if inspect.iscoroutinefunction(self.callback):
                async_callback = cast(AsyncInputFunc, self.callback)
                return await async_callback(prompt, cancellation_token)
            sync_callback = cast(SyncInputFunc, self.callback)
            return await asyncio.to_thread(sync_callback, prompt)

        return wrapped

    def notify_event_received(self, request_id: str) -> None:
        """Let the input request with this id go ahead (the UI has shown it).

        Args:
            request_id: The ``request_id`` of the ``UserInputRequestedEvent`` that was shown.
        """
        self._event(request_id).set()
