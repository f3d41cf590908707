"""RoutedAgent: dispatch messages to methods by their annotated message type.

Handlers are discovered once per class, when the class is created, and indexed by message type,
so creating an agent costs no reflection and dispatch is one dictionary lookup.
"""

from __future__ import annotations

import functools
import logging
import types
from collections.abc import Callable, Coroutine
from typing import (
    Any,
    ClassVar,
    Literal,
    Protocol,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
    overload,
    runtime_checkable,
)

from parlay_core._base_agent import BaseAgent
from parlay_core._constants import ROOT_LOGGER_NAME
from parlay_core._exceptions import CantHandleException, HandlerReturnTypeError
from parlay_core._message_context import MessageContext
from parlay_core._serialization import MessageSerializer, try_get_known_serializers_for_type

__all__ = ["MessageHandler", "RoutedAgent", "event", "message_handler", "rpc"]

logger = logging.getLogger(ROOT_LOGGER_NAME)

AgentT = TypeVar("AgentT", contravariant=True)
ReceivesT = TypeVar("ReceivesT", contravariant=True)
ProducesT = TypeVar("ProducesT", covariant=True)

HandlerKind = Literal["message", "event", "rpc"]
Router = Callable[[Any, MessageContext], bool]


@runtime_checkable
class MessageHandler(Protocol[AgentT, ReceivesT, ProducesT]):
    """A decorated handler method, with the routing data the decorators attach."""

    target_types: list[type[Any]]
    produces_types: list[type[Any]]
    is_message_handler: bool
    router: Router
    handler_kind: HandlerKind

    async def __call__(
        self, agent_instance: AgentT, message: ReceivesT, ctx: MessageContext
    ) -> ProducesT: ...


def _expand(annotation: Any) -> list[Any]:
    """The members of a union annotation (``A | B``, ``Union[A, B]``, ``Optional[A]``), else [annotation]."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _expand(arg)]
    if annotation is None:
        return [type(None)]
    return [annotation]


def _checkable(annotation: Any) -> type[Any] | None:
    """A class usable with isinstance for ``annotation``, or None if any value passes (Any, TypeVars)."""
    if annotation is Any or isinstance(annotation, TypeVar):
        return None
    origin = get_origin(annotation)
    if origin is not None:
        # list[str] checks as list; Literal/Annotated and friends are not checked.
        return origin if isinstance(origin, type) else None
    return annotation if isinstance(annotation, type) else None


def _make_handler(
    func: Callable[..., Coroutine[Any, Any, Any]],
    *,
    kind: HandlerKind,
    strict: bool,
    match: Router | None,
) -> MessageHandler[Any, Any, Any]:
    name = getattr(func, "__qualname__", repr(func))
    try:
        hints = get_type_hints(func)
    except NameError as e:
        raise TypeError(f"Cannot resolve the annotations of handler {name}: {e}.") from e
    if "message" not in hints:
        raise TypeError(
            f"Handler {name} needs a parameter named 'message' annotated with the message type "
            "(for example: async def handle(self, message: MyMessage, ctx: MessageContext) -> None)."
        )
    if "return" not in hints:
        raise TypeError(
            f"Handler {name} needs a return annotation ('-> None' if it returns nothing)."
        )
    target_types = cast(list[type[Any]], _expand(hints["message"]))
    produces_types = cast(list[type[Any]], _expand(hints["return"]))
    if kind == "event" and produces_types != [type(None)]:
        raise TypeError(
            f"Event handler {name} must be annotated '-> None': events have no response."
        )

    checks = [_checkable(t) for t in produces_types]
    return_check: tuple[type[Any], ...] | None = (
        None if any(c is None for c in checks) else tuple(cast(list[type[Any]], checks))
    )
    accepted = frozenset(target_types)

    def wrong_return(result: Any) -> HandlerReturnTypeError:
        return HandlerReturnTypeError(
            f"{name} returned {type(result).__name__}, but its annotation declares "
            f"{[getattr(t, '__name__', repr(t)) for t in produces_types]}. Return a declared type "
            "or widen the return annotation."
        )

    @functools.wraps(func)
    async def wrapper(self: Any, message: Any, ctx: MessageContext) -> Any:
        if strict and type(message) not in accepted:
            raise CantHandleException(
                f"{name} handles {[t.__name__ for t in target_types]}, not {type(message).__name__}."
            )
        result = await func(self, message, ctx)
        if strict and return_check is not None and not isinstance(result, return_check):
            raise wrong_return(result)
        return result

    handler = cast(MessageHandler[Any, Any, Any], wrapper)
    handler.target_types = target_types
    handler.produces_types = produces_types
    handler.is_message_handler = True
    handler.handler_kind = kind
    handler.router = match or _always
    # What RoutedAgent's dispatch calls instead of the wrapper (one coroutine less per message):
    # it picks the handler by the message's exact type, so only the return check is left.
    wrapper._parlay_direct = (  # type: ignore[attr-defined]
        wrapper,
        func,
        return_check if strict else None,
        wrong_return,
    )
    return handler


def _always(message: Any, ctx: MessageContext) -> bool:
    """The router of a handler without ``match=``: it accepts every message of its types."""
    return True


Func = Callable[[Any, Any, MessageContext], Coroutine[Any, Any, Any]]
# Per message type, in order: (router or None, the handler's function, the return types it
# must produce or None, the error for a wrong return).
_Route = tuple[Router | None, Func, tuple[type[Any], ...] | None, Callable[[Any], Exception]]
_Dispatch = dict[type[Any], tuple[_Route, ...]]


def _no_error(result: Any) -> Exception:
    raise AssertionError("a handler without a return check has no return error")


def _route(handler: MessageHandler[Any, Any, Any]) -> _Route:
    router = None if handler.router is _always else handler.router
    direct = getattr(handler, "_parlay_direct", None)
    # A handler built by other means, or wrapped again by another decorator (functools.wraps
    # copies the attribute to the outer function): call it as is, so that the outer layer runs.
    if direct is None or direct[0] is not handler:
        return (router, cast(Func, handler), None, _no_error)
    _, func, check, error = direct
    return (router, func, check, error)


def _dispatch(
    table: dict[type[Any], list[MessageHandler[Any, Any, Any]]], *, rpc: bool
) -> _Dispatch:
    """The handlers of ``table`` that take direct (``rpc``) or published messages, with routers."""
    excluded = "event" if rpc else "rpc"
    result: _Dispatch = {}
    for target, handlers in table.items():
        fitting = tuple(_route(h) for h in handlers if h.handler_kind != excluded)
        if fitting:
            result[target] = fitting
    return result


@overload
def message_handler(func: Func) -> MessageHandler[Any, Any, Any]: ...


@overload
def message_handler(
    func: None = None, *, strict: bool = ..., match: Router | None = ...
) -> Callable[[Func], MessageHandler[Any, Any, Any]]: ...


def message_handler(
    func: Func | None = None, *, strict: bool = True, match: Router | None = None
) -> MessageHandler[Any, Any, Any] | Callable[[Func], MessageHandler[Any, Any, Any]]:
    """Mark a method as the handler for its annotated message type, for RPCs and publishes alike.

    Args:
        func: The ``async def handler(self, message: T, ctx: MessageContext) -> R`` method.
        strict: Raise if the message or the return value is not of an annotated type.
        match: A secondary predicate ``(message, ctx) -> bool``; the first handler (in method-name
            order) whose predicate holds handles the message.
    """
    if func is None:
        return lambda f: _make_handler(f, kind="message", strict=strict, match=match)
    return _make_handler(func, kind="message", strict=strict, match=match)


@overload
def event(func: Func) -> MessageHandler[Any, Any, None]: ...


@overload
def event(
    func: None = None, *, strict: bool = ..., match: Router | None = ...
) -> Callable[[Func], MessageHandler[Any, Any, None]]: ...


def event(
    func: Func | None = None, *, strict: bool = True, match: Router | None = None
) -> MessageHandler[Any, Any, None] | Callable[[Func], MessageHandler[Any, Any, None]]:
    """Mark a method as a handler for published messages only (it must return ``None``)."""
    if func is None:
        return lambda f: _make_handler(f, kind="event", strict=strict, match=match)
    return _make_handler(func, kind="event", strict=strict, match=match)


@overload
def rpc(func: Func) -> MessageHandler[Any, Any, Any]: ...


@overload
def rpc(
    func: None = None, *, strict: bool = ..., match: Router | None = ...
) -> Callable[[Func], MessageHandler[Any, Any, Any]]: ...


def rpc(
    func: Func | None = None, *, strict: bool = True, match: Router | None = None
) -> MessageHandler[Any, Any, Any] | Callable[[Func], MessageHandler[Any, Any, Any]]:
    """Mark a method as a handler for direct messages (``send_message``) only."""
    if func is None:
        return lambda f: _make_handler(f, kind="rpc", strict=strict, match=match)
    return _make_handler(func, kind="rpc", strict=strict, match=match)


class RoutedAgent(BaseAgent):
    """An agent whose decorated methods handle messages by annotated type.

    Handlers are tried in alphabetical order of method name (as in AutoGen); the first whose
    ``match`` predicate holds, and whose kind fits (``@event`` only for publishes, ``@rpc`` only for
    direct messages), handles the message. Dispatch is on the exact message type, not subclasses.

    A direct message that no handler accepts raises :class:`CantHandleException` at the sender;
    an unhandled published message is logged. Override :meth:`on_unhandled_message` to change that.
    """

    _parlay_handlers: ClassVar[dict[type[Any], tuple[MessageHandler[Any, Any, Any], ...]]] = {}
    # Per message type, the handlers a published (event) or direct (rpc) message may go to, in
    # order, each with its router (None when it accepts everything: no call needed).
    _parlay_dispatch: ClassVar[tuple[_Dispatch, _Dispatch]] = ({}, {})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[type[Any], list[MessageHandler[Any, Any, Any]]] = {}
        for attr in dir(cls):  # dir() is sorted: this fixes the alphabetical order
            member = getattr(cls, attr, None)
            if callable(member) and getattr(member, "is_message_handler", False):
                handler = cast(MessageHandler[Any, Any, Any], member)
                for target in handler.target_types:
                    table.setdefault(target, []).append(handler)
        cls._parlay_handlers = {t: tuple(hs) for t, hs in table.items()}
        cls._parlay_dispatch = (_dispatch(table, rpc=False), _dispatch(table, rpc=True))

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        """Dispatch ``message`` to the first matching handler."""
        message_type = cast("type[object]", type(message))
        for router, func, check, error in self._parlay_dispatch[ctx.is_rpc].get(message_type, ()):
            if router is None or router(message, ctx):
                if check is None:
                    return await func(self, message, ctx)
                result = await func(self, message, ctx)
                if not isinstance(result, check):
                    raise error(result)
                return result
        return await self.on_unhandled_message(message, ctx)

    async def on_unhandled_message(self, message: Any, ctx: MessageContext) -> Any:
        """Called when no handler accepts ``message``.

        Raises:
            CantHandleException: For a direct message (RPC), so the sender learns at once.
        """
        if ctx.is_rpc:
            raise CantHandleException(self._cant_handle_text(message, ctx))
        if logger.isEnabledFor(logging.INFO):
            # AutoGen's wording first, so filters and tests that look for it keep working.
            logger.info("Unhandled message: %r. %s", message, self._cant_handle_text(message, ctx))
        return None

    def _cant_handle_text(self, message: Any, ctx: MessageContext) -> str:
        name = type(message).__name__
        candidates = self._parlay_handlers.get(cast("type[object]", type(message)), ())
        if not candidates:
            known = sorted({t.__name__ for t in self._parlay_handlers})
            return (
                f"Agent {self.id} has no handler for {name}; it handles {known or 'nothing'}. "
                "Add a @message_handler for that type, or send a message type it handles."
            )
        way = "a direct message (RPC)" if ctx.is_rpc else "a published message"
        return (
            f"Agent {self.id} has handlers for {name}, but none accepts it as {way} with the "
            "given content (check @event/@rpc kinds and match= predicates)."
        )

    @classmethod
    def _handles_types(cls) -> list[tuple[type[Any], list[MessageSerializer[Any]]]]:
        types_: list[tuple[type[Any], list[MessageSerializer[Any]]]] = [
            (t, try_get_known_serializers_for_type(t)) for t in cls._parlay_handlers
        ]
        return [*types_, *cls.internal_extra_handles_types]
