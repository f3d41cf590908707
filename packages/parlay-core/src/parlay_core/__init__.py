"""Parlay core: agents, the agent runtime, subscriptions, serialization and interventions.

The names follow AutoGen 0.4's ``autogen_core``, so AutoGen code runs after renaming imports.

The runtime's names are imported eagerly. Names that need pydantic (component configuration,
images, cache stores), and the few that hosting agents does not need (``ClosureAgent``,
``AgentProxy``, ``FunctionCall``), load on first use, so ``import parlay_core`` stays cheap for
processes that only host agents.
"""

import importlib
from typing import TYPE_CHECKING

from parlay_core._agent import Agent
from parlay_core._agent_id import AgentId, AgentType, TopicId
from parlay_core._agent_metadata import AgentMetadata
from parlay_core._agent_runtime import AgentRuntime
from parlay_core._base_agent import BaseAgent
from parlay_core._cancellation_token import CancellationToken
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
    DataclassJsonMessageSerializer,
    MessageSerializer,
    ProtobufMessageSerializer,
    PydanticJsonMessageSerializer,
    SerializationRegistry,
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
from parlay_core._telemetry import (
    current_tracer,
    trace_create_agent_span,
    trace_invoke_agent_span,
    trace_tool_span,
)

if TYPE_CHECKING:
    from parlay_core._agent_proxy import AgentProxy
    from parlay_core._cache_store import CacheStore, InMemoryStore
    from parlay_core._closure_agent import ClosureAgent, ClosureContext
    from parlay_core._component_config import (
        Component,
        ComponentBase,
        ComponentFromConfig,
        ComponentLoader,
        ComponentModel,
        ComponentSchemaType,
        ComponentToConfig,
        ComponentType,
        is_component_class,
        is_component_instance,
    )
    from parlay_core._component_loading import load_component
    from parlay_core._component_providers import (
        are_environment_keys_allowed,
        is_code_execution_allowed,
        load_permissions,
        require_code_execution,
    )
    from parlay_core._component_trust import trust_component_modules
    from parlay_core._image import Image
    from parlay_core._types import FunctionCall

__version__ = "0.1.0"

_LAZY = {
    # Not needed to host agents (a hello world uses none of them): loaded on first use.
    "AgentProxy": "parlay_core._agent_proxy",
    "ClosureAgent": "parlay_core._closure_agent",
    "ClosureContext": "parlay_core._closure_agent",
    "FunctionCall": "parlay_core._types",
    # Need pydantic.
    "CacheStore": "parlay_core._cache_store",
    "Component": "parlay_core._component_config",
    "ComponentBase": "parlay_core._component_config",
    "ComponentFromConfig": "parlay_core._component_config",
    "ComponentLoader": "parlay_core._component_config",
    "ComponentModel": "parlay_core._component_config",
    "ComponentSchemaType": "parlay_core._component_config",
    "ComponentToConfig": "parlay_core._component_config",
    "ComponentType": "parlay_core._component_config",
    "Image": "parlay_core._image",
    "InMemoryStore": "parlay_core._cache_store",
    "are_environment_keys_allowed": "parlay_core._component_providers",
    "is_code_execution_allowed": "parlay_core._component_providers",
    "is_component_class": "parlay_core._component_config",
    "is_component_instance": "parlay_core._component_config",
    "load_component": "parlay_core._component_loading",
    "load_permissions": "parlay_core._component_providers",
    "require_code_execution": "parlay_core._component_providers",
    "trust_component_modules": "parlay_core._component_trust",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'parlay_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    "CacheStore",
    "CancellationToken",
    "CantHandleException",
    "ClosureAgent",
    "ClosureContext",
    "Component",
    "ComponentBase",
    "ComponentFromConfig",
    "ComponentLoader",
    "ComponentModel",
    "ComponentSchemaType",
    "ComponentToConfig",
    "ComponentType",
    "DataclassJsonMessageSerializer",
    "DefaultInterventionHandler",
    "DefaultSubscription",
    "DefaultTopicId",
    "DropMessage",
    "FunctionCall",
    "Image",
    "InMemoryStore",
    "InterventionHandler",
    "MessageContext",
    "MessageDroppedException",
    "MessageHandler",
    "MessageHandlerContext",
    "MessageSerializer",
    "NotAccessibleError",
    "ParlayError",
    "ProtobufMessageSerializer",
    "PydanticJsonMessageSerializer",
    "RoutedAgent",
    "SerializationRegistry",
    "SingleThreadedAgentRuntime",
    "Subscription",
    "SubscriptionInstantiationContext",
    "TopicId",
    "TypePrefixSubscription",
    "TypeSubscription",
    "UndeliverableException",
    "UnknownPayload",
    "are_environment_keys_allowed",
    "current_tracer",
    "default_subscription",
    "event",
    "is_code_execution_allowed",
    "is_component_class",
    "is_component_instance",
    "load_component",
    "load_permissions",
    "message_handler",
    "require_code_execution",
    "rpc",
    "trace_create_agent_span",
    "trace_invoke_agent_span",
    "trace_tool_span",
    "trust_component_modules",
    "try_get_known_serializers_for_type",
    "type_subscription",
]
