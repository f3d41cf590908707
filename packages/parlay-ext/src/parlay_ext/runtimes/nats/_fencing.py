"""A lease check before every step of a delivery: the fence a stall cannot slip past.

The cluster's fence is a timer callback that cancels the handlers of a partition whose lease ran
out. After a stall it runs in the event loop's first pass, before the timers and I/O that were
waiting resume their tasks, but not before the task steps that were *already queued* when the
process froze (a handler whose ``sleep`` ended just then): those run first, and such a step may
finish the handler while the partition's next holder runs the same agent. So the runtime also
checks before each step it passes to a handler: a :class:`Fence` stands between the task and the
handler's awaitable, and every time the task resumes it, asks :meth:`Fence.may_step` first. When
the lease is no longer proven, ``CancelledError`` is thrown into the handler instead of resuming
it, so it takes no further step.

A fence also tells when its delivery first waits (:meth:`Fence.on_wait`): only from then on can
anything else run while the handler is in progress (the cluster's fence timer, a cancellation, a
hand-over), so that is when a delivery needs to be found; most handlers answer in their first
step and never are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["Fence"]


class Fence(Generator[Any, Any, Any]):
    """A delivery's awaitable, awaited with :meth:`may_step` asked before each of its steps.

    Await the fence itself (``await fence``), once. A subclass says whether the delivery may go
    on (:meth:`may_step`, also asked before the first step) and learns when it first waits
    (:meth:`on_wait`); :attr:`waited` tells afterwards whether it ever did.

    Args:
        work: The delivery (a handler's coroutine: driven as it is, without an ``__await__``
            wrapper).
    """

    __slots__ = ("_inner", "waited")

    def __init__(self, work: Coroutine[Any, Any, Any]) -> None:
        self._inner = work
        self.waited = False

    def __await__(self) -> Generator[Any, Any, Any]:
        return self

    def may_step(self) -> bool:
        """Whether the delivery may take its next step; if not, it gets ``CancelledError``."""
        raise NotImplementedError

    def on_wait(self) -> None:
        """Called once, when the delivery first waits (the task is about to suspend)."""

    def __next__(self) -> Any:
        # A task's first step, and every step after an awaited future without a result, comes
        # here (send(None) is next()): written out, not forwarded to send(), since it is the
        # one step of most deliveries.
        if not self.may_step():
            return self._inner.throw(asyncio.CancelledError())
        signal = self._inner.send(None)
        if not self.waited:
            self.waited = True
            self.on_wait()
        return signal

    def send(self, value: Any) -> Any:
        if not self.may_step():
            return self._inner.throw(asyncio.CancelledError())
        signal = self._inner.send(value)
        if not self.waited:
            self.waited = True
            self.on_wait()
        return signal

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        # A cancellation or error thrown in by the task goes to the handler as it is.
        if val is None and tb is None:
            return self._inner.throw(typ)
        return self._inner.throw(typ, val, tb)

    def close(self) -> None:
        self._inner.close()
