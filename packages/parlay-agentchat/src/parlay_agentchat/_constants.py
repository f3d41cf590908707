"""Logger names of parlay-agentchat."""

EVENT_LOGGER_NAME = "parlay_agentchat.events"
"""The logger for structured events: every message a team or agent produces."""

TRACE_LOGGER_NAME = "parlay_agentchat.trace"
"""The logger for developer tracing of agents and teams."""
