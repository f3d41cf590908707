"""Cooperative cancellation shared between a caller and the work it started."""

from __future__ import annotations

import asyncio
import sys
import threading
from asyncio import Future
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["CancelScope", "CancellationToken"]

# One lock for every token, because cancel() may be called from another thread (a UI, a signal
# handler). Held only to read and swap a token's callbacks, never while one runs, so tokens do
# not contend in practice; a lock per token cost every message an allocation.
_LOCK = threading.Lock()


class CancellationToken:
    """A token that cancels pending asynchronous work when :meth:`cancel` is called.

    Futures linked with :meth:`link_future` are cancelled together with the token, and callbacks
    added with :meth:`add_callback` run once. A token cannot be reset; make a new one.
    """

    __slots__ = ("_callbacks", "_cancelled")

    def __init__(self) -> None:
        self._cancelled = False
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        """Cancel every linked future and run every callback, once."""
        with _LOCK:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def is_cancelled(self) -> bool:
        """Return whether :meth:`cancel` has been called."""
        return self._cancelled

    def add_callback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on cancellation (at once if the token is already cancelled)."""
        with _LOCK:
            if not self._cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def remove_callback(self, callback: Callable[[], None]) -> None:
        """Forget a callback added with :meth:`add_callback`; nothing happens if it is not there.

        A runtime that links a token to one delivery removes its callback once the delivery is
        over, so a long-lived token does not keep every finished delivery alive.
        """
        with _LOCK:
            try:
                self._callbacks.remove(callback)
            except ValueError:
                pass

    def link_future(self, future: Future[Any]) -> Future[Any]:
        """Cancel ``future`` when the token is cancelled, and return it."""

        def cancel_future() -> None:
            future.cancel()

        self.add_callback(cancel_future)
        return future


class CancelScope:
    """While entered, cancelling ``token`` cancels the task that entered it.

    It lets a coroutine be awaited in the current task, instead of in a task of its own linked
    with :meth:`CancellationToken.link_future`, and still stop when the token is cancelled:
    one task less per awaited call. On leaving, a scope that cancelled the task withdraws its
    request (``Task.uncancel``), so an enclosing ``asyncio.timeout`` or ``TaskGroup`` sees the
    task as it was. ``token.cancel()`` may come from another thread.

    Args:
        token: The token to follow.
        what: What is being awaited, for the message of a token cancelled before entry.

    Raises:
        asyncio.CancelledError: On entry, when the token is already cancelled.
    """

    __slots__ = ("_armed", "_fired", "_loop", "_task", "_thread", "_token", "_what")

    def __init__(self, token: CancellationToken, what: str) -> None:
        self._token = token
        self._what = what
        self._armed = False
        self._fired = False

    def __enter__(self) -> None:
        if self._token.is_cancelled():
            raise asyncio.CancelledError(f"{self._what} was cancelled before it started.")
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("CancelScope must be entered inside an asyncio task.")
        self._task = task
        self._loop = task.get_loop()
        self._thread = threading.get_ident()
        self._armed = True
        self._token.add_callback(self._on_cancel)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._armed = False
        self._token.remove_callback(self._on_cancel)
        # Withdraw the request however the body ended (awaited code may swallow the error).
        if self._fired and sys.version_info >= (3, 11):
            self._task.uncancel()  # Python 3.10 keeps no count of cancel requests

    def _on_cancel(self) -> None:
        if threading.get_ident() != self._thread:
            self._loop.call_soon_threadsafe(self._fire)
        elif asyncio.current_task() is self._task:
            # Cancelled by the scope's own code: cancel where the task next waits. Cancelling a
            # running task instead leaves a request pending that outlives the scope if the body
            # ends without waiting again.
            self._loop.call_soon(self._fire)
        else:
            self._fire()

    def _fire(self) -> None:
        if self._armed:
            self._fired = True
            self._task.cancel(f"{self._what} was cancelled through its token.")
