"""The tool protocols and the base classes that validate arguments against a pydantic model."""

from __future__ import annotations

import copy
import json
import logging
import typing
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ValidationError

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import ComponentBase
from parlay_core._constants import EVENT_LOGGER_NAME
from parlay_core._exceptions import ToolArgumentsError, ToolError, ToolSchemaError
from parlay_core._telemetry import trace_tool_span
from parlay_core._validation_error import ToolArgumentsValidationError
from parlay_core.logging import ToolCallEvent
from parlay_core.tools._schema import ToolSchema, parameters_schema

__all__ = [
    "BaseStreamTool",
    "BaseTool",
    "BaseToolWithState",
    "StreamTool",
    "Tool",
    "format_validation_errors",
]

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)

ArgsT = TypeVar("ArgsT", bound=BaseModel)
ReturnT = TypeVar("ReturnT")
StateT = TypeVar("StateT", bound=BaseModel)
StreamT = TypeVar("StreamT")


@runtime_checkable
class Tool(Protocol):
    """Anything a model can call: a name, a description, a schema and ``run_json``."""

    @property
    def name(self) -> str:
        """The name the model calls the tool by."""
        ...

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    @property
    def schema(self) -> ToolSchema:
        """The function-calling definition sent to the model."""
        ...

    def args_type(self) -> type[BaseModel]:
        """The pydantic model that validates the arguments."""
        ...

    def return_type(self) -> type[Any]:
        """The type the tool returns."""
        ...

    def state_type(self) -> type[BaseModel] | None:
        """The pydantic model of the tool's state, or ``None`` for a stateless tool."""
        ...

    def return_value_as_string(self, value: Any) -> str:
        """Render a return value as the text the model reads."""
        ...

    async def run_json(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> Any:
        """Validate ``args`` and run the tool.

        Args:
            args: The arguments as decoded from the model's JSON.
            cancellation_token: Cancels the running call.
            call_id: The model's id of this call, for tracing.
        """
        ...

    async def save_state_json(self) -> Mapping[str, Any]:
        """Return the tool's state as JSON-compatible data."""
        ...

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Restore a state produced by :meth:`save_state_json`."""
        ...


@runtime_checkable
class StreamTool(Tool, Protocol):
    """A tool that reports progress: it yields items while running, then its result last."""

    def run_json_stream(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any, None]:
        """Validate ``args``, run the tool and yield its progress items, then its result."""
        ...


def format_validation_errors(error: ValidationError) -> str:
    """Describe each field error of a validation error on one line, for a model to read."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "arguments"
        line = f"{location}: {item['msg']}"
        if item["type"] != "missing":
            line += f" (got {item['input']!r})"
        lines.append(line)
    return "; ".join(lines)


class BaseTool(ABC, Tool, Generic[ArgsT, ReturnT], ComponentBase[BaseModel]):
    """A tool whose arguments are validated by a pydantic model before :meth:`run` is called.

    Subclasses implement :meth:`run`. The schema is derived from ``args_type`` once, at
    construction, so a strict tool with an invalid model fails early.

    Args:
        args_type: The model that validates the arguments.
        return_type: The type :meth:`run` returns.
        name: The tool name the model uses.
        description: What the tool does, for the model.
        strict: Ask the provider to follow the schema exactly. Every argument must then be
            required and no extra argument is accepted.

    Raises:
        ToolSchemaError: ``strict`` is set but an argument has a default or extras are allowed.
    """

    component_type = "tool"

    def __init__(
        self,
        args_type: type[ArgsT],
        return_type: type[ReturnT],
        name: str,
        description: str,
        strict: bool = False,
    ) -> None:
        self._args_type = args_type
        # Annotated[T, "what it is"] documents the result; the type a caller checks against is T.
        self._return_type: type[ReturnT] = (
            typing.get_args(return_type)[0]
            if typing.get_origin(return_type) is Annotated
            else return_type
        )
        self._name = name
        self._description = description
        self._strict = strict
        self._schema = self._build_schema()

    def _build_schema(self) -> ToolSchema:
        try:
            parameters = parameters_schema(self._args_type)
        except ToolSchemaError:
            raise
        except Exception as exc:
            raise ToolSchemaError(
                f"Cannot build the JSON schema of tool {self._name!r}: {exc}. Use "
                "JSON-compatible argument types."
            ) from exc
        if self._strict:
            optional = sorted(set(parameters["properties"]) - set(parameters.get("required", [])))
            if optional:
                raise ToolSchemaError(
                    f"Strict mode is enabled, but the arguments {optional} of tool "
                    f"{self._name!r} have default values. Strict mode requires every argument: "
                    "remove the defaults or pass strict=False."
                )
            if parameters.get("additionalProperties", False):
                raise ToolSchemaError(
                    f"Strict mode is enabled, but the argument model of tool {self._name!r} "
                    "accepts extra arguments. Remove extra='allow' from the model or pass "
                    "strict=False."
                )
        return ToolSchema(
            name=self._name,
            description=self._description,
            parameters=parameters,
            strict=self._strict,
        )

    @property
    def name(self) -> str:
        """The name the model calls the tool by."""
        return self._name

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        return self._description

    @property
    def schema(self) -> ToolSchema:
        """The function-calling definition sent to the model (a fresh copy on each access)."""
        return copy.deepcopy(self._schema)

    def args_type(self) -> type[BaseModel]:
        """The pydantic model that validates the arguments."""
        return self._args_type

    def return_type(self) -> type[Any]:
        """The type :meth:`run` returns."""
        return self._return_type

    def state_type(self) -> type[BaseModel] | None:
        """``None``: a plain tool has no state. See :class:`BaseToolWithState`."""
        return None

    def return_value_as_string(self, value: Any) -> str:
        """Render a return value for the model: pydantic models as JSON, the rest with ``str``."""
        if isinstance(value, BaseModel):
            dumped: Any = value.model_dump()
            return json.dumps(dumped) if isinstance(dumped, dict) else str(dumped)
        return str(value)

    def validate_args(self, args: Mapping[str, Any]) -> ArgsT:
        """Validate raw arguments against ``args_type``.

        Raises:
            ToolArgumentsError: The arguments are missing, of the wrong type or (for a strict
                tool) unexpected. The message lists every field error. When the argument
                model refused them, it is a :class:`ToolArgumentsValidationError`, which is
                also pydantic's ``ValidationError`` (what AutoGen raises).
        """
        if not isinstance(args, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ToolArgumentsError(
                f"Tool {self._name!r} takes its arguments as a JSON object, not "
                f"{type(args).__name__}. Pass an object with the fields of its schema."
            )
        if self._strict:
            accepted = {
                key
                for name, field in self._args_type.model_fields.items()
                for key in (name, field.alias)
                if key is not None
            }
            unexpected = sorted(set(args) - accepted)
            if unexpected:
                raise ToolArgumentsError(
                    f"Invalid arguments for tool {self._name!r}: unexpected {unexpected}. It "
                    f"accepts only {sorted(self._args_type.model_fields)}."
                )
        try:
            return self._args_type.model_validate(dict(args))
        except ValidationError as exc:
            raise ToolArgumentsValidationError.from_validation_error(
                f"Invalid arguments for tool {self._name!r}: {format_validation_errors(exc)}. "
                "Call it again with arguments that match its schema.",
                exc,
            ) from exc

    @abstractmethod
    async def run(self, args: ArgsT, cancellation_token: CancellationToken) -> ReturnT:
        """Run the tool on validated arguments.

        Args:
            args: The validated arguments.
            cancellation_token: Cancels the running call.
        """

    async def run_json(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> Any:
        """Validate ``args`` and run the tool.

        Args:
            args: The arguments as decoded from the model's JSON.
            cancellation_token: Cancels the running call.
            call_id: The model's id of this call.

        Raises:
            ToolArgumentsError: The arguments do not match the schema.
        """
        with trace_tool_span(self._name, tool_description=self._description, tool_call_id=call_id):
            result = await self.run(self.validate_args(args), cancellation_token)
        self._log_call(args, result)
        return result

    def _log_call(self, args: Mapping[str, Any], result: Any) -> None:
        # Rendering the result costs a str() or a JSON dump; do it only when someone listens.
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                ToolCallEvent(
                    tool_name=self._name,
                    arguments=dict(args),
                    result=self.return_value_as_string(result),
                )
            )

    async def save_state_json(self) -> Mapping[str, Any]:
        """Return ``{}``: a plain tool has no state."""
        return {}

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Do nothing: a plain tool has no state."""


class BaseToolWithState(BaseTool[ArgsT, ReturnT], ABC, Generic[ArgsT, ReturnT, StateT]):
    """A tool that keeps state between calls, saved and loaded as a pydantic model.

    Args:
        args_type: The model that validates the arguments.
        return_type: The type :meth:`run` returns.
        state_type: The model of the state.
        name: The tool name the model uses.
        description: What the tool does, for the model.
        strict: See :class:`BaseTool`.
    """

    def __init__(
        self,
        args_type: type[ArgsT],
        return_type: type[ReturnT],
        state_type: type[StateT],
        name: str,
        description: str,
        strict: bool = False,
    ) -> None:
        super().__init__(args_type, return_type, name, description, strict)
        self._state_type = state_type

    def state_type(self) -> type[BaseModel] | None:
        """The model of the tool's state."""
        return self._state_type

    @abstractmethod
    def save_state(self) -> StateT:
        """Return the current state."""

    @abstractmethod
    def load_state(self, state: StateT) -> None:
        """Replace the current state."""

    async def save_state_json(self) -> Mapping[str, Any]:
        """Return the state as JSON-compatible data."""
        return self.save_state().model_dump(mode="json")

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Validate ``state`` against the state model and load it."""
        self.load_state(self._state_type.model_validate(dict(state)))


class BaseStreamTool(BaseTool[ArgsT, ReturnT], StreamTool, ABC, Generic[ArgsT, StreamT, ReturnT]):
    """A tool that yields progress items while running and its result as the last item.

    Subclasses implement :meth:`run_stream`; :meth:`run` consumes the stream and returns the
    last item, so a stream tool also works where a plain tool is expected.
    """

    @abstractmethod
    def run_stream(
        self, args: ArgsT, cancellation_token: CancellationToken
    ) -> AsyncGenerator[StreamT | ReturnT, None]:
        """Yield progress items, then the result, for validated arguments."""

    async def run(self, args: ArgsT, cancellation_token: CancellationToken) -> ReturnT:
        """Consume :meth:`run_stream` and return its last item."""
        last: Any = _NOTHING
        async for item in self.run_stream(args, cancellation_token):
            last = item
        return self._final(last)

    async def run_json_stream(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any, None]:
        """Validate ``args``, then yield every item of :meth:`run_stream`; the last is the result.

        Raises:
            ToolArgumentsError: The arguments do not match the schema.
            ToolError: The stream ended without yielding anything.
        """
        last: Any = _NOTHING
        with trace_tool_span(self._name, tool_description=self._description, tool_call_id=call_id):
            validated = self.validate_args(args)
            async for item in self.run_stream(validated, cancellation_token):
                last = item
                yield item
        self._log_call(args, self._final(last))

    def _final(self, last: Any) -> ReturnT:
        if last is _NOTHING:
            raise ToolError(
                f"Stream tool {self._name!r} finished without yielding anything. run_stream "
                "must yield its result as the last item."
            )
        result: ReturnT = last
        return result


_NOTHING: Any = object()
