"""Built-in termination conditions, with AutoGen's names, stop texts and config shapes.

Combine them with ``|`` and ``&``::

    stop = MaxMessageTermination(10) | TextMentionTermination("TERMINATE")
"""

from parlay_agentchat.conditions._counting import (
    ExternalTermination,
    ExternalTerminationConfig,
    FunctionalTermination,
    FunctionalTerminationConfig,
    MaxMessageTermination,
    MaxMessageTerminationConfig,
    TimeoutTermination,
    TimeoutTerminationConfig,
    TokenUsageTermination,
    TokenUsageTerminationConfig,
)
from parlay_agentchat.conditions._matching import (
    FunctionCallTermination,
    FunctionCallTerminationConfig,
    HandoffTermination,
    HandoffTerminationConfig,
    SourceMatchTermination,
    SourceMatchTerminationConfig,
    StopMessageTermination,
    StopMessageTerminationConfig,
    TextMentionTermination,
    TextMentionTerminationConfig,
    TextMessageTermination,
    TextMessageTerminationConfig,
)

__all__ = [
    "ExternalTermination",
    "ExternalTerminationConfig",
    "FunctionCallTermination",
    "FunctionCallTerminationConfig",
    "FunctionalTermination",
    "FunctionalTerminationConfig",
    "HandoffTermination",
    "HandoffTerminationConfig",
    "MaxMessageTermination",
    "MaxMessageTerminationConfig",
    "SourceMatchTermination",
    "SourceMatchTerminationConfig",
    "StopMessageTermination",
    "StopMessageTerminationConfig",
    "TextMentionTermination",
    "TextMentionTerminationConfig",
    "TextMessageTermination",
    "TextMessageTerminationConfig",
    "TimeoutTermination",
    "TimeoutTerminationConfig",
    "TokenUsageTermination",
    "TokenUsageTerminationConfig",
]
