"""OpenTelemetry spans, only when a tracer provider is configured.

Nothing here runs on the hot path unless tracing is on: a runtime asks for a tracer once and
skips every span when it gets ``None``; the GenAI span helpers check for a configured provider
and otherwise yield a span that records nothing.

Span names and attributes follow AutoGen's, including the literal ``"autogen"`` prefix of the
runtime's messaging spans (``autogen publish default.(default)-T``): traces are an interface
that dashboards, alerts and trace queries are written against, and code migrated from AutoGen
should keep them. The instrumentation scope (tracer name) is ``parlay_core``, which tells the
two apart where that matters.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from parlay_core._agent_id import AgentId, TopicId
from parlay_core._contexts import AgentInstantiationContext

if TYPE_CHECKING:
    from parlay_core._message_context import MessageContext

__all__ = [
    "SPAN_NAMESPACE",
    "current_tracer",
    "get_tracer",
    "message_span",
    "process_span_attributes",
    "trace_create_agent_span",
    "trace_invoke_agent_span",
    "trace_tool_span",
]

SPAN_NAMESPACE = "autogen"
"""The first word of every runtime messaging span's name (AutoGen's, kept for dashboards)."""

_TRACER_NAME = "parlay_core"
# Either turns a runtime's messaging spans off even with a provider configured; AutoGen's name is
# honoured too, since renaming imports leaves deployment settings as they were.
DISABLE_RUNTIME_TRACING_ENV_VARS = (
    "PARLAY_DISABLE_RUNTIME_TRACING",
    "AUTOGEN_DISABLE_RUNTIME_TRACING",
)
_GENAI_SYSTEM = "autogen"

# opentelemetry is optional: None until first looked up, then the ``opentelemetry.trace``
# module or False. A failed import is not cached by Python, so it is remembered here.
_trace_api: Any = None


def _otel() -> Any:
    global _trace_api
    if _trace_api is None:
        try:
            from opentelemetry import trace
        except ImportError:
            _trace_api = False
        else:
            _trace_api = trace
    return _trace_api or None


# OpenTelemetry's variable naming a tracer provider to load when the global one is first read.
_PROVIDER_ENV_VAR = "OTEL_PYTHON_TRACER_PROVIDER"


def _otel_if_in_use() -> Any:
    """``opentelemetry.trace`` if the process could have a tracer provider, else None.

    A provider is installed by code that imported ``opentelemetry.trace``, or named by
    ``OTEL_PYTHON_TRACER_PROVIDER``. Otherwise importing the package (a quarter of a hello
    world's start-up) could only find that there is none. Not cached: it may be imported later.
    """
    if _trace_api is None and (
        "opentelemetry.trace" not in sys.modules and _PROVIDER_ENV_VAR not in os.environ
    ):
        return None
    return _otel()


def _global_tracer() -> Any | None:
    trace = _otel_if_in_use()
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    # The API's default proxy provider records nothing: using it would be cost without benefit.
    if type(provider).__name__ in {"ProxyTracerProvider", "NoOpTracerProvider"}:
        return None
    return provider.get_tracer(_TRACER_NAME)


def runtime_tracing_disabled() -> bool:
    """Whether ``PARLAY_DISABLE_RUNTIME_TRACING`` (or AutoGen's variable) is ``true``/``1``/``yes``."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
        for name in DISABLE_RUNTIME_TRACING_ENV_VARS
    )


def get_tracer(tracer_provider: Any | None) -> Any | None:
    """Return a tracer for a runtime's messaging spans, or None when there is nothing to record.

    The tracer comes from ``tracer_provider``, else from a global provider an application really
    installed. Runtime tracing can be switched off with ``PARLAY_DISABLE_RUNTIME_TRACING=true``
    (AutoGen's ``AUTOGEN_DISABLE_RUNTIME_TRACING`` works too); it is read when a runtime is made.
    """
    if runtime_tracing_disabled():
        return None
    if tracer_provider is not None:
        return tracer_provider.get_tracer(_TRACER_NAME)
    return _global_tracer()


# --- the runtime's messaging spans ------------------------------------------------------------

_PRODUCER_OPERATIONS = frozenset({"create", "send", "publish"})
_OPERATION_TYPES = {
    "create": "create",
    "send": "publish",
    "publish": "publish",
    "receive": "receive",
    "intercept": "receive",
    "ack": "receive",
    "process": "process",
}


def _destination(destination: AgentId | TopicId | str | None) -> str:
    if isinstance(destination, AgentId):
        return f"{destination.type}.({destination.key})-A"
    if isinstance(destination, TopicId):
        return f"{destination.type}.({destination.source})-T"
    return destination or ""


def message_span(
    tracer: Any,
    operation: str,
    destination: AgentId | TopicId | str | None,
    *,
    message: Any = None,
    attributes: dict[str, Any] | None = None,
) -> AbstractContextManager[Any]:
    """Start a runtime messaging span, named and attributed as AutoGen names them.

    Args:
        tracer: The runtime's tracer (never None: callers check first).
        operation: ``create``, ``send``, ``publish``, ``intercept``, ``process`` or ``ack``.
        destination: The agent, topic or intervention handler name the operation is about.
        message: The message, whose type is recorded when given.
        attributes: More attributes for the span.
    """
    kinds = _otel().SpanKind
    where = _destination(destination)
    span_attributes: dict[str, Any] = {
        "messaging.operation": _OPERATION_TYPES.get(operation, "Unknown"),
        "messaging.destination": where,
    }
    if message is not None:
        span_attributes["messaging.message.type"] = type(message).__name__
    if attributes:
        span_attributes.update(attributes)
    name = f"{SPAN_NAMESPACE} {operation} {where}" if where else f"{SPAN_NAMESPACE} {operation}"
    kind = kinds.PRODUCER if operation in _PRODUCER_OPERATIONS else kinds.CONSUMER
    span: AbstractContextManager[Any] = tracer.start_as_current_span(
        name, kind=kind, attributes=span_attributes
    )
    return span


def process_span_attributes(
    agent_id: AgentId,
    agent: Any,
    sender_class: str | None,
    message: Any,
    ctx: MessageContext,
    payload: str,
) -> dict[str, Any]:
    """The attributes of a ``process`` span: who handles what, from whom, in which context."""
    # Only traced runs write JSON here: ``import parlay_core`` does not pay for the json package.
    import json

    attributes: dict[str, Any] = {
        "recipient_agent_type": agent_id.type,
        "recipient_agent_class": type(agent).__name__,
        "message_context": json.dumps(
            {
                "sender": str(ctx.sender),
                "topic_id": str(ctx.topic_id),
                "is_rpc": ctx.is_rpc,
                "message_id": ctx.message_id,
            }
        ),
        "message": payload,
        "messaging.message.id": ctx.message_id,
        "messaging.message.type": type(message).__name__,
    }
    if ctx.sender is not None:
        attributes["sender_agent_type"] = ctx.sender.type
        if sender_class is not None:
            attributes["sender_agent_class"] = sender_class
    return attributes


# --- GenAI agent and tool spans ---------------------------------------------------------------


class _NoSpan:
    """Stands in for a span when opentelemetry is not installed: every call does nothing."""

    def __getattr__(self, name: str) -> Any:
        return _ignore

    def is_recording(self) -> bool:
        return False


def _ignore(*args: Any, **kwargs: Any) -> None:
    return None


def _idle_span() -> Any:
    trace = _otel_if_in_use()
    return trace.INVALID_SPAN if trace is not None else _NoSpan()


def _tracer_or_none(tracer: Any | None) -> Any | None:
    return tracer if tracer is not None else _global_tracer()


def current_tracer(tracer: Any | None = None) -> Any | None:
    """The tracer the ``trace_*_span`` functions record with, or None if they record nothing.

    That is ``tracer`` if given, else the tracer of the global OpenTelemetry provider, if an
    application installed one. Each span function looks the global provider up when called
    (OpenTelemetry reads the environment on every look-up: a few microseconds). Code that opens
    a span for many small steps can look it up once, pass the result as ``tracer=`` and skip
    the span when it is None: a team does so once per run for its agents' turns, so a provider
    installed during a run is used from the next run on.

    Args:
        tracer: A tracer to use instead of the global provider's.
    """
    return _tracer_or_none(tracer)


def _idle() -> AbstractContextManager[Any]:
    # Nobody listens: no span, no attributes, just a placeholder for the caller.
    return nullcontext(_idle_span())


@contextmanager
def _genai_span(
    tracer: Any, name: str, kind: str, attributes: dict[str, Any], parent: Any | None
) -> Generator[Any, None, None]:
    trace = _otel()
    context = trace.set_span_in_context(parent) if parent is not None else None
    with tracer.start_as_current_span(
        name,
        context=context,
        kind=getattr(trace.SpanKind, kind),
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except Exception as e:
            span.record_exception(e)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(e)))
            span.set_attribute("error.type", type(e).__name__)
            raise


def _agent_attributes(
    operation: str, agent_name: str, agent_id: str | None, agent_description: str | None
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.system": _GENAI_SYSTEM,
        "gen_ai.agent.name": agent_name,
    }
    if agent_id is not None:
        attributes["gen_ai.agent.id"] = agent_id
    if agent_description is not None:
        attributes["gen_ai.agent.description"] = agent_description
    return attributes


def trace_tool_span(
    tool_name: str,
    *,
    tracer: Any | None = None,
    parent: Any | None = None,
    tool_description: str | None = None,
    tool_call_id: str | None = None,
) -> AbstractContextManager[Any]:
    """A span ``execute_tool <tool_name>`` around a tool call (GenAI semantic conventions).

    Without ``tracer``, the global tracer provider is used if an application configured one;
    otherwise nothing is recorded and the span yielded does nothing. An exception raised inside
    is recorded on the span (with ``error.type``) and re-raised.

    Args:
        tool_name: The tool's name.
        tracer: The tracer to use instead of the global provider's.
        parent: A span to make the parent instead of the current one.
        tool_description: The tool's description.
        tool_call_id: The id of the model's tool call.
    """
    tracer = _tracer_or_none(tracer)
    if tracer is None:
        return _idle()
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.system": _GENAI_SYSTEM,
        "gen_ai.tool.name": tool_name,
    }
    if tool_description is not None:
        attributes["gen_ai.tool.description"] = tool_description
    if tool_call_id is not None:
        attributes["gen_ai.tool.call.id"] = tool_call_id
    return _genai_span(tracer, f"execute_tool {tool_name}", "INTERNAL", attributes, parent)


def trace_create_agent_span(
    agent_name: str,
    *,
    tracer: Any | None = None,
    parent: Any | None = None,
    agent_id: str | None = None,
    agent_description: str | None = None,
) -> AbstractContextManager[Any]:
    """A span ``create_agent <agent_name>`` around creating an agent (GenAI semantic conventions).

    Without ``agent_id``, the id of the agent being instantiated by a runtime is used, if any.
    See :func:`trace_tool_span` for the tracer and error handling.

    Args:
        agent_name: The agent's name.
        tracer: The tracer to use instead of the global provider's.
        parent: A span to make the parent instead of the current one.
        agent_id: The agent's id.
        agent_description: The agent's description.
    """
    tracer = _tracer_or_none(tracer)
    if tracer is None:
        return _idle()
    if agent_id is None:
        try:
            agent_id = str(AgentInstantiationContext.current_agent_id())
        except RuntimeError:
            agent_id = None
    attributes = _agent_attributes("create_agent", agent_name, agent_id, agent_description)
    return _genai_span(tracer, f"create_agent {agent_name}", "CLIENT", attributes, parent)


def trace_invoke_agent_span(
    agent_name: str,
    *,
    tracer: Any | None = None,
    parent: Any | None = None,
    agent_id: str | None = None,
    agent_description: str | None = None,
) -> AbstractContextManager[Any]:
    """A span ``invoke_agent <agent_name>`` around running an agent (GenAI semantic conventions).

    See :func:`trace_tool_span` for the tracer and error handling.

    Args:
        agent_name: The agent's name.
        tracer: The tracer to use instead of the global provider's.
        parent: A span to make the parent instead of the current one.
        agent_id: The agent's id.
        agent_description: The agent's description.
    """
    tracer = _tracer_or_none(tracer)
    if tracer is None:
        return _idle()
    attributes = _agent_attributes("invoke_agent", agent_name, agent_id, agent_description)
    return _genai_span(tracer, f"invoke_agent {agent_name}", "CLIENT", attributes, parent)
