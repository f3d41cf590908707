"""OpenTelemetry spans, only when a tracer provider is configured.

Nothing here is imported or called on the hot path unless tracing is on: a runtime asks for a
tracer once, and skips every span when it gets ``None``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_tracer", "span_attributes"]


def get_tracer(tracer_provider: Any | None) -> Any | None:
    """Return a tracer from ``tracer_provider``, or from a configured global provider, else None.

    The global provider counts only if an application installed a real one: the API's default
    proxy provider records nothing, so using it would be cost without benefit.
    """
    if tracer_provider is not None:
        return tracer_provider.get_tracer("parlay_core")
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    provider = trace.get_tracer_provider()
    if type(provider).__name__ in {"ProxyTracerProvider", "NoOpTracerProvider"}:
        return None
    return provider.get_tracer("parlay_core")


def span_attributes(
    agent_type: str, agent_id: str, message: Any, is_rpc: bool, message_id: str
) -> dict[str, Any]:
    """Attributes of an agent invocation span, following the GenAI semantic conventions."""
    return {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent_type,
        "gen_ai.agent.id": agent_id,
        "messaging.message.id": message_id,
        "messaging.operation.type": "process",
        "parlay.message.type": type(message).__name__,
        "parlay.message.rpc": is_rpc,
    }
