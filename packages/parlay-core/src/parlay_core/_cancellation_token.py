"""Cooperative cancellation shared between a caller and the work it started."""

from __future__ import annotations

import threading
from asyncio import Future
from collections.abc import Callable
from typing import Any

__all__ = ["CancellationToken"]


class CancellationToken:
    """A token that cancels pending asynchronous work when :meth:`cancel` is called.

    Futures linked with :meth:`link_future` are cancelled together with the token, and callbacks
    added with :meth:`add_callback` run once. A token cannot be reset; make a new one.
    """

    __slots__ = ("_callbacks", "_cancelled", "_lock")

    def __init__(self) -> None:
        self._cancelled = False
        # A lock, because cancel() may be called from another thread (a UI, a signal handler).
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        """Cancel every linked future and run every callback, once."""
        with self._lock:
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
        with self._lock:
            if not self._cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def _discard_callback(self, callback: Callable[[], None]) -> None:
        """Forget a callback added earlier (used by runtimes once a delivery is over)."""
        with self._lock:
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
