"""Every error Parlay raises on purpose derives from :class:`ParlayError`.

Where AutoGen raised a built-in exception (``ValueError``, ``LookupError``, ``RuntimeError``,
``TypeError``), Parlay's error also derives from that built-in, so ``except ValueError`` written
for AutoGen keeps working while ``except ParlayError`` catches everything Parlay raises::

    ParlayError
    ├── CantHandleException                 no handler accepts the message
    ├── UndeliverableException              the recipient does not exist (LookupError)
    │   ├── AgentTypeNotFoundError          no factory for that agent type
    │   ├── AgentInstanceNotFoundError      an instance-only type has no agent of that key (RuntimeError)
    │   └── WorkerUnavailableError          no live worker serves the agent, or it died mid-call
    ├── RemoteHandlerError                  a handler in another process raised (+ the builtin class)
    ├── RequestTimeoutError                 no response within the call's deadline (TimeoutError)
    ├── TransportError                      the message transport failed (ConnectionError)
    │   └── TransportAuthError              the transport refused the credentials
    ├── MessageDroppedException             an intervention handler dropped the message
    ├── NotAccessibleError                  the agent is remote and cannot be reached directly
    ├── AgentRegistrationError              a bad registration (ValueError)
    ├── AgentInstantiationError             a factory raised or built the wrong thing (TypeError)
    ├── AgentClassMismatchError             the agent is not of the class asked for (TypeError)
    ├── RuntimeStateError                   started twice, used after close (RuntimeError)
    ├── SubscriptionNotFoundError           removing an unknown subscription (LookupError)
    ├── HandlerReturnTypeError              a handler returned an undeclared type (ValueError)
    ├── SerializationError                  a payload cannot be (de)serialized (ValueError)
    │   ├── UnknownMessageTypeError         no serializer is registered for a type
    │   └── PayloadTooLargeError            a serialized message exceeds the transport's limit
    ├── StateError                          saving or loading agent state failed (ValueError)
    │   └── StateConflictError              a compare-and-set write met a newer revision
    ├── ComponentError                      component configuration (ValueError)
    │   ├── ComponentLoadError              the provider cannot be found or imported
    │   ├── ComponentNotAllowedError        the provider lies outside the trusted packages
    │   │   └── ComponentPermissionError    loading would run code or send a key; needs an allow_* flag
    │   ├── ComponentConfigError            the config does not validate against the schema
    │   │   └── ComponentVersionError       the class cannot read the config's version (NotImplementedError)
    │   └── ComponentTypeError              the loaded component is of the wrong kind (TypeError)
    │       └── ComponentDefinitionError    the class lacks component_type or its schema (AttributeError)
    ├── PluginError                         entry-point plugins
    │   ├── PluginNotFoundError             nothing is registered under that name (LookupError)
    │   ├── PluginConflictError             two distributions claim one name
    │   └── PluginLoadError                 a plugin's module fails to import
    ├── ToolError                           a tool call failed
    │   ├── ToolArgumentsError              the arguments do not match the tool's schema (ValueError)
    │   │   └── ToolArgumentsValidationError  ... as found by pydantic (also its ValidationError)
    │   ├── ToolSchemaError                 a bad tool schema or clashing tool names (ValueError)
    │   │   └── SchemaConversionError       a JSON schema cannot be turned into a pydantic model
    │   │       ├── ReferenceNotFoundError  a $ref names a definition the schema lacks
    │   │       ├── FormatNotSupportedError a string format is unknown
    │   │       └── UnsupportedKeywordError a type or keyword cannot be checked
    │   ├── ToolServerError                 a tool server (MCP) crashed, hung up or did not answer
    │   ├── HttpToolError                   an HTTP tool's request failed (status, body, timeout)
    │   └── ToolException                   a tool agent's call failed (call_id, name, content)
    │       ├── ToolNotFoundException       the tool agent has no tool of that name
    │       ├── InvalidToolArgumentsException  the call's arguments are not valid
    │       └── ToolExecutionException      the tool raised while running
    ├── ModelClientError                    a model client failed
    │   ├── ModelInfoError                  model_info is missing or incomplete (ValueError)
    │   ├── ModelAPIError                   the provider answered with an error
    │   ├── ModelCapabilityError            the request needs what the model lacks (ValueError)
    │   └── ReplayExhaustedError            a scripted client ran out of responses (ValueError)
    ├── CodeExecutionError                  a code executor could not run the code
    │   ├── FunctionSourceError             a function for executed code has no usable source (ValueError)
    │   └── ExecutorUnavailableError        the executor's backend (kernel, engine) is absent or died
    ├── ImageError                          image data is not valid base64 or a known format (ValueError)
    └── BrowserError                        a web browser could not be started or driven
        ├── BrowserNotFoundError            no Chromium on this machine (FileNotFoundError)
        ├── BrowserCrashedError             the browser process died or its connection closed
        └── BrowserActionError              a page action failed: no such element, a bad URL (ValueError)
            └── BrowserTimeoutError         a page did not load within the time allowed (TimeoutError)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parlay_core._exceptions_more import (
        BrowserActionError,
        BrowserCrashedError,
        BrowserError,
        BrowserNotFoundError,
        BrowserTimeoutError,
        CodeExecutionError,
        ComponentConfigError,
        ComponentDefinitionError,
        ComponentError,
        ComponentLoadError,
        ComponentNotAllowedError,
        ComponentPermissionError,
        ComponentTypeError,
        ComponentVersionError,
        ExecutorUnavailableError,
        FormatNotSupportedError,
        FunctionSourceError,
        HttpToolError,
        ImageError,
        InvalidToolArgumentsException,
        ModelAPIError,
        ModelCapabilityError,
        ModelClientError,
        ModelInfoError,
        PluginConflictError,
        PluginError,
        PluginLoadError,
        PluginNotFoundError,
        ReferenceNotFoundError,
        ReplayExhaustedError,
        SchemaConversionError,
        ToolArgumentsError,
        ToolError,
        ToolException,
        ToolExecutionException,
        ToolNotFoundException,
        ToolSchemaError,
        ToolServerError,
        UnsupportedKeywordError,
    )
    from parlay_core._validation_error import ToolArgumentsValidationError

__all__ = [
    "AgentClassMismatchError",
    "AgentInstanceNotFoundError",
    "AgentInstantiationError",
    "AgentRegistrationError",
    "AgentTypeNotFoundError",
    "BrowserActionError",
    "BrowserCrashedError",
    "BrowserError",
    "BrowserNotFoundError",
    "BrowserTimeoutError",
    "CantHandleException",
    "CodeExecutionError",
    "ComponentConfigError",
    "ComponentDefinitionError",
    "ComponentError",
    "ComponentLoadError",
    "ComponentNotAllowedError",
    "ComponentPermissionError",
    "ComponentTypeError",
    "ComponentVersionError",
    "ExecutorUnavailableError",
    "FormatNotSupportedError",
    "FunctionSourceError",
    "HandlerReturnTypeError",
    "HttpToolError",
    "ImageError",
    "InvalidToolArgumentsException",
    "MessageDroppedException",
    "ModelAPIError",
    "ModelCapabilityError",
    "ModelClientError",
    "ModelInfoError",
    "NotAccessibleError",
    "ParlayError",
    "PayloadTooLargeError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "PluginNotFoundError",
    "ReferenceNotFoundError",
    "RemoteHandlerError",
    "ReplayExhaustedError",
    "RequestTimeoutError",
    "RuntimeStateError",
    "SchemaConversionError",
    "SerializationError",
    "StateConflictError",
    "StateError",
    "SubscriptionNotFoundError",
    "ToolArgumentsError",
    "ToolArgumentsValidationError",
    "ToolError",
    "ToolException",
    "ToolExecutionException",
    "ToolNotFoundException",
    "ToolSchemaError",
    "ToolServerError",
    "TransportAuthError",
    "TransportError",
    "UndeliverableException",
    "UnknownMessageTypeError",
    "UnsupportedKeywordError",
    "WorkerUnavailableError",
]


class ParlayError(Exception):
    """Base class of every error Parlay raises on purpose."""


# --- runtime -----------------------------------------------------------------------------------


class CantHandleException(ParlayError):
    """The recipient has no handler that accepts this message (type and ``match=`` predicates)."""


class UndeliverableException(ParlayError, LookupError):
    """The message cannot be delivered: its recipient does not exist or is unreachable."""


class AgentTypeNotFoundError(UndeliverableException):
    """No factory or instance is registered for the recipient's agent type."""


class AgentInstanceNotFoundError(UndeliverableException, RuntimeError):
    """The recipient's type has pre-registered instances only, none of them with that key.

    AutoGen raises ``RuntimeError`` here (no factory can create the agent), so this is one too.
    """


class WorkerUnavailableError(UndeliverableException):
    """No live worker serves the recipient, or the worker handling a call died before answering.

    In the second case the handler may have run (in part): the call is not retried for you.
    """


class RemoteHandlerError(ParlayError):
    """A handler running in another process raised an exception.

    A remote builtin exception (``ValueError``, ``KeyError``, ...) arrives as a subclass of both
    this class and that builtin, so ``except ValueError`` keeps working across processes.

    Attributes:
        remote_type: The name of the exception class raised remotely.
        agent_id: The agent whose handler raised, as ``"type/key"``.
    """

    def __init__(self, message: str, *, remote_type: str = "", agent_id: str = "") -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.agent_id = agent_id


class RequestTimeoutError(ParlayError, TimeoutError):
    """A remote call got no response within its deadline; the handler may or may not have run."""


class TransportError(ParlayError, ConnectionError):
    """The message transport (for example the NATS connection) failed or is unreachable."""


class TransportAuthError(TransportError):
    """The transport refused the connection's credentials (user, token, NKey or creds file)."""


class MessageDroppedException(ParlayError):
    """An intervention handler dropped the message (it returned ``DropMessage``)."""


class NotAccessibleError(ParlayError):
    """The agent lives elsewhere (another process or worker) and its object cannot be returned."""


class AgentRegistrationError(ParlayError, ValueError):
    """A registration was refused, for example an agent type registered twice."""


class AgentInstantiationError(ParlayError, TypeError):
    """An agent factory raised, or returned something that is not the registered agent."""


class AgentClassMismatchError(ParlayError, TypeError):
    """The agent found is not an instance of the class the caller asked for."""


class RuntimeStateError(ParlayError, RuntimeError):
    """The runtime is in the wrong state for the call (already started, closed, ...)."""


class SubscriptionNotFoundError(ParlayError, LookupError):
    """``remove_subscription`` was given an id that is not subscribed."""


class HandlerReturnTypeError(ParlayError, ValueError):
    """A strict handler returned a value whose type its return annotation does not declare."""


class SerializationError(ParlayError, ValueError):
    """A message could not be serialized or deserialized."""


class UnknownMessageTypeError(SerializationError):
    """No serializer is registered for the message type (or type name) at hand."""


class PayloadTooLargeError(SerializationError):
    """A serialized message is larger than the transport accepts (NATS ``max_payload``)."""


class StateError(ParlayError, ValueError):
    """Saving or loading agent state failed."""


class StateConflictError(StateError):
    """A state write expected one revision of a key and found another.

    Raised by a state store's compare-and-set ``put`` or ``delete``: somebody else (another
    process, or a newer owner of the agent) wrote the key since the writer last read it.

    Attributes:
        key: The key written.
        expected_revision: The revision the writer expected (0: the key must not exist).
        actual_revision: The revision found (0: the key does not exist), when the store knows it.
    """

    def __init__(
        self, key: str, expected_revision: int, actual_revision: int | None = None
    ) -> None:
        found = "unknown" if actual_revision is None else str(actual_revision)
        super().__init__(
            f"State conflict on {key!r}: expected revision {expected_revision}, found {found}. "
            "Another writer changed it; read it again before writing."
        )
        self.key = key
        self.expected_revision = expected_revision
        self.actual_revision = actual_revision


def __getattr__(name: str) -> Any:
    # Two groups of errors load on first use. The errors of components, plugins, tools, models,
    # code execution, images and browsers live in _exceptions_more: hosting agents raises none
    # of them, and creating their classes here would make every `import parlay_core` pay for
    # them. ToolArgumentsValidationError subclasses pydantic's ValidationError, so it lives in
    # its own module: importing pydantic here would cost every `import parlay_core` far more.
    if name == "ToolArgumentsValidationError":
        from parlay_core._validation_error import ToolArgumentsValidationError

        return ToolArgumentsValidationError
    if not name.startswith("_"):
        from parlay_core import _exceptions_more

        if name in _exceptions_more.__all__:
            value = getattr(_exceptions_more, name)
            globals()[name] = value  # later lookups skip this function
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
