"""A lease check before every step of a delivery: the fence a stall cannot slip past.

The cluster's fence is a timer callback that cancels the handlers of a partition whose lease ran
out. After a stall it runs in the event loop's first pass, before the timers and I/O that were
waiting resume their tasks, but not before the task steps that were *already queued* when the
process froze (a handler whose ``sleep`` ended just then): those run first, and such a step may
finish the handler while the partition's next holder runs the same agent. So the runtime also
checks before each step it passes to a handler: :func:`fenced` wraps the handler's awaitable, and
every time the task resumes it, asks ``may_step()`` first. When the lease is no longer proven,
``CancelledError`` is thrown into the handler instead of resuming it, so it takes no further step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

__all__ = ["fenced"]

T = TypeVar("T")


class _Fenced(Generator[Any, Any, T]):
    """The iterator that stands between a task and its handler: see :func:`fenced`."""

    __slots__ = ("_inner", "_may_step")

    def __init__(self, inner: Generator[Any, Any, T], may_step: Callable[[], bool]) -> None:
        self._inner = inner
        self._may_step = may_step

    def send(self, value: Any) -> Any:
        if self._may_step():
            return self._inner.send(value)
        return self._inner.throw(asyncio.CancelledError())

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        # A cancellation or error thrown in by the task goes to the handler as it is.
        if val is None and tb is None:
            return self._inner.throw(typ)
        return self._inner.throw(typ, val, tb)

    def close(self) -> None:
        self._inner.close()


class _Awaitable(Awaitable[T]):
    __slots__ = ("_may_step", "_work")

    def __init__(self, work: Awaitable[T], may_step: Callable[[], bool]) -> None:
        self._work = work
        self._may_step = may_step

    def __await__(self) -> Generator[Any, Any, T]:
        return _Fenced(self._work.__await__(), self._may_step)


def fenced(work: Awaitable[T], may_step: Callable[[], bool]) -> Awaitable[T]:
    """``work``, awaited with ``may_step()`` asked before each of its steps.

    Args:
        work: A handler's delivery (a coroutine).
        may_step: Whether the handler may go on now; when it returns False, the handler gets
            ``CancelledError`` at the point where it waits, and never takes that step. It is
            also asked before the first step.
    """
    return _Awaitable(work, may_step)
