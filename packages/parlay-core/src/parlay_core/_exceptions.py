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


# --- components and plugins ----------------------------------------------------------------------


class ComponentError(ParlayError, ValueError):
    """Base class for component configuration errors."""


class ComponentLoadError(ComponentError):
    """The component provider cannot be found or imported."""


class ComponentNotAllowedError(ComponentError):
    """The provider's import path lies outside Parlay and its registered plugin packages.

    Attributes:
        module: The module whose import was refused, when the refusal is about an import (so
            that another front end, such as the ``parlay`` command, can name its own fix).
    """

    def __init__(self, message: str, *, module: str | None = None) -> None:
        super().__init__(message)
        self.module = module


class ComponentPermissionError(ComponentNotAllowedError):
    """Loading the config would do what needs the caller's permission, which was not given.

    Raised, for example, when a config would execute code (``allow_code_execution``). The
    message says how to grant the permission in Python; the attributes let another front end
    (the ``parlay`` command) phrase the fix in its own terms.

    Attributes:
        permission: The keyword argument of ``load_component`` (and ``load_permissions``) that
            grants it, e.g. ``"allow_code_execution"``.
        reason: What loading would do, without the fix, e.g. ``"Loading this config would
            execute ..."``.
    """

    def __init__(self, message: str, *, permission: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.permission = permission
        self.reason = reason or message


class ComponentConfigError(ComponentError):
    """The component's config does not validate against its schema."""


class ComponentTypeError(ComponentError, TypeError):
    """The loaded component is not of the expected kind or class."""


class ComponentVersionError(ComponentConfigError, NotImplementedError):
    """The component class cannot read a config written by that ``component_version``.

    Also a ``NotImplementedError``, as AutoGen raises when ``_from_config_past_version`` is missing.
    """


class ComponentDefinitionError(ComponentTypeError, AttributeError):
    """The component class lacks a declaration it needs (``component_type``, its config schema).

    Also an ``AttributeError``, as AutoGen raises for a missing class variable.
    """


class PluginError(ParlayError):
    """Base class for entry-point plugin errors."""


class PluginNotFoundError(PluginError, LookupError):
    """No plugin is registered under that name in that group."""


class PluginConflictError(PluginError):
    """Two distributions register the same plugin name in one group."""


class PluginLoadError(PluginError):
    """A plugin's entry point failed to import or load."""


# --- tools, models, code execution --------------------------------------------------------------


class ToolError(ParlayError):
    """A tool call failed."""


class ToolArgumentsError(ToolError, ValueError):
    """The arguments given to a tool do not match its parameter schema."""


class ToolSchemaError(ToolError, ValueError):
    """A tool's schema cannot be built or is invalid (strict mode), or tool names clash."""


class SchemaConversionError(ToolSchemaError):
    """A JSON schema cannot be turned into a pydantic model (AutoGen's name for this error)."""


class ReferenceNotFoundError(SchemaConversionError):
    """A ``$ref`` names a definition the schema does not have."""


class FormatNotSupportedError(SchemaConversionError):
    """A string ``format`` is not one the schema converter knows."""


class UnsupportedKeywordError(SchemaConversionError):
    """A ``type`` is missing or unknown, or a keyword restricts values in a way not checked."""


class ToolServerError(ToolError):
    """A tool server (for example an MCP server) crashed, closed its session or did not answer.

    The workbench that raised it reconnects on its next call, so it stays usable.
    """


class HttpToolError(ToolError):
    """An HTTP tool's request failed: an error status, an unreadable body, a timeout or no answer.

    Attributes:
        status_code: The response's HTTP status, or ``None`` when no response arrived.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ToolException(ToolError):
    """A call handled by a tool agent failed; the caller can report it back to the model.

    Attributes:
        call_id: The id of the failed :class:`~parlay_core.FunctionCall`.
        content: A message for the model that says what went wrong.
        name: The name of the tool that was called.
    """

    def __init__(self, call_id: str, content: str, name: str) -> None:
        super().__init__(content)
        self.call_id = call_id
        self.content = content
        self.name = name


class ToolNotFoundException(ToolException):
    """The tool agent has no tool with the requested name."""


class InvalidToolArgumentsException(ToolException):
    """The call's arguments are not valid JSON or do not match the tool's schema."""


class ToolExecutionException(ToolException):
    """The tool raised an exception while running."""


class ModelClientError(ParlayError):
    """A model client failed."""


class ModelInfoError(ModelClientError, ValueError):
    """``model_info`` is missing or lacks required keys."""


class ModelAPIError(ModelClientError):
    """The model provider answered with an error.

    Attributes:
        status_code: The HTTP status code, when there was one.
        body: The provider's error body, when there was one.
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, body: object = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class ModelCapabilityError(ModelClientError, ValueError):
    """The request needs a capability that the model's ``model_info`` denies.

    For example images sent to a model without vision, or tools offered to a model without
    function calling. Also a ``ValueError``, which is what AutoGen raised.
    """


class ReplayExhaustedError(ModelClientError, ValueError):
    """A scripted replay client was asked for more responses than it was given.

    Also a ``ValueError``, which is what AutoGen's replay client raised.
    """


class CodeExecutionError(ParlayError):
    """A code executor could not run the code (not: the code ran and failed)."""


class FunctionSourceError(CodeExecutionError, ValueError):
    """A function offered to executed code cannot be written out as source.

    Its source is unavailable (defined in a REPL, built in, compiled), it is a lambda, or it
    uses variables of an enclosing function. Also a ``ValueError``, as in AutoGen.
    """


class ExecutorUnavailableError(CodeExecutionError):
    """The executor's backend is missing, unreachable or died: a Jupyter kernel, a Docker engine.

    The message says how to start or install it; a restarted executor is usable again.
    """


class ImageError(ParlayError, ValueError):
    """Image data is not valid base64, not a data URI, or not in a recognised image format."""


# --- browsers ----------------------------------------------------------------------------------


class BrowserError(ParlayError):
    """A web browser (the web surfer's Chromium) could not be started or driven."""


class BrowserNotFoundError(BrowserError, FileNotFoundError):
    """No Chromium executable was found; the message says how to install one or point to it."""


class BrowserCrashedError(BrowserError):
    """The browser process died or its connection closed while it was in use.

    The page and its history are gone; the agent that owned the browser starts a new one on its
    next turn.
    """


class BrowserActionError(BrowserError, ValueError):
    """A page action failed: no element has that id, a URL does not resolve, a page refused.

    AutoGen raised ``ValueError`` for an unknown element id, so this is one too.
    """


class BrowserTimeoutError(BrowserActionError, TimeoutError):
    """A page did not finish loading, or an element did not appear, within the time allowed."""


def __getattr__(name: str) -> Any:
    # ToolArgumentsValidationError subclasses pydantic's ValidationError, so it lives in its own
    # module: importing pydantic here would make every `import parlay_core` pay for it.
    if name == "ToolArgumentsValidationError":
        from parlay_core._validation_error import ToolArgumentsValidationError

        return ToolArgumentsValidationError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
