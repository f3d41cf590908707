"""Logger names."""

ROOT_LOGGER_NAME = "parlay_core"
"""The logger for human-readable diagnostics."""

EVENT_LOGGER_NAME = "parlay_core.events"
"""The logger for structured events (message deliveries, model calls, tool calls)."""

TRACE_LOGGER_NAME = "parlay_core.trace"
"""The logger for developer tracing of the runtime's internals."""
