"""The errors of components, plugins, tools, models, code execution, images and browsers.

Part of the tree rooted at :class:`~parlay_core.exceptions.ParlayError` (see
:mod:`parlay_core._exceptions`, which documents the whole tree and re-exports these names). They
live apart because creating some forty exception classes is a noticeable share of the time
``import parlay_core`` takes, and hosting agents raises none of them: ``_exceptions`` loads this
module the first time one of its names is looked up.
"""

from __future__ import annotations

from parlay_core._exceptions import ParlayError

__all__ = [
    "BrowserActionError",
    "BrowserCrashedError",
    "BrowserError",
    "BrowserNotFoundError",
    "BrowserTimeoutError",
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
    "HttpToolError",
    "ImageError",
    "InvalidToolArgumentsException",
    "ModelAPIError",
    "ModelCapabilityError",
    "ModelClientError",
    "ModelInfoError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "PluginNotFoundError",
    "ReferenceNotFoundError",
    "ReplayExhaustedError",
    "SchemaConversionError",
    "ToolArgumentsError",
    "ToolError",
    "ToolException",
    "ToolExecutionException",
    "ToolNotFoundException",
    "ToolSchemaError",
    "ToolServerError",
    "UnsupportedKeywordError",
]


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
