"""Parlay core: agents, the agent runtime, subscriptions, serialization and interventions.

The names follow AutoGen 0.4's ``autogen_core``, so AutoGen code runs after renaming imports.
"""

from parlay_core._agent import Agent
from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._agent_proxy import AgentProxy
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._base_agent import BaseAgent
from parlay_core._cancellation_token import CancellationToken
from parlay_core._closure_agent import ClosureAgent, ClosureContext
from parlay_core._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME, TRACE_LOGGER_NAME
from parlay_core._contexts import (
    AgentInstantiationContext,
    MessageHandlerContext,
    SubscriptionInstantiationContext,
)
from parlay_core._exceptions import (
    CantHandleException,
    MessageDroppedException,
    NotAccessibleError,
    ParlayError,
    UndeliverableException,
)
from parlay_core._intervention import DefaultInterventionHandler, DropMessage, InterventionHandler
from parlay_core._message_context import MessageContext
from parlay_core._routed_agent import MessageHandler, RoutedAgent, event, message_handler, rpc
from parlay_core._serialization import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    MessageSerializer,
    UnknownPayload,
    try_get_known_serializers_for_type,
)
from parlay_core._single_threaded_agent_runtime import SingleThreadedAgentRuntime
from parlay_core._subscription import (
    DefaultSubscription,
    DefaultTopicId,
    Subscription,
    TypePrefixSubscription,
    TypeSubscription,
    default_subscription,
    type_subscription,
)
from parlay_core._types import FunctionCall

__version__ = "0.1.0"

__all__ = [
    "EVENT_LOGGER_NAME",
    "JSON_DATA_CONTENT_TYPE",
    "PROTOBUF_DATA_CONTENT_TYPE",
    "ROOT_LOGGER_NAME",
    "TRACE_LOGGER_NAME",
    "Agent",
    "AgentId",
    "AgentInstantiationContext",
    "AgentMetadata",
    "AgentProxy",
    "AgentRuntime",
    "AgentType",
    "BaseAgent",
    "CancellationToken",
    "CantHandleException",
    "ClosureAgent",
    "ClosureContext",
    "DefaultInterventionHandler",
    "DefaultSubscription",
    "DefaultTopicId",
    "DropMessage",
    "FunctionCall",
    "InterventionHandler",
    "MessageContext",
    "MessageDroppedException",
    "MessageHandler",
    "MessageHandlerContext",
    "MessageSerializer",
    "NotAccessibleError",
    "ParlayError",
    "RoutedAgent",
    "SingleThreadedAgentRuntime",
    "Subscription",
    "SubscriptionInstantiationContext",
    "TopicId",
    "TypePrefixSubscription",
    "TypeSubscription",
    "UndeliverableException",
    "UnknownPayload",
    "default_subscription",
    "event",
    "message_handler",
    "rpc",
    "try_get_known_serializers_for_type",
    "type_subscription",
]
