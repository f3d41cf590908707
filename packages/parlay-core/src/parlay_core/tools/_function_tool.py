"""FunctionTool: a plain Python function offered to a model as a tool."""

from __future__ import annotations

import ast
import asyncio
import functools
import inspect
import textwrap
import typing
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core._cancellation_token import CancellationToken
from parlay_core._component_config import Component
from parlay_core._component_providers import require_code_execution
from parlay_core._exceptions import ComponentConfigError, ComponentError
from parlay_core._import_statements import Import, import_to_str
from parlay_core.tools._base import BaseTool
from parlay_core.tools._schema import (
    CANCELLATION_TOKEN_PARAMETER,
    args_model_from_function,
    typed_signature,
)

__all__ = ["FunctionTool", "FunctionToolConfig"]


class FunctionToolConfig(BaseModel):
    """The component config of a :class:`FunctionTool`: the function's source code.

    Loading this config executes ``source_code`` and the ``global_imports``, so it is refused
    unless the caller allowed code execution (see :class:`FunctionTool`).

    Attributes:
        source_code: The function's ``def`` (or ``async def``), without decorators.
        name: The tool name.
        description: The tool description.
        global_imports: Imports the function needs, executed before ``source_code``.
        has_cancellation_support: Whether the function takes a ``cancellation_token``.
        strict: Whether the tool is strict (an addition to AutoGen's config; defaults to false).
    """

    source_code: str
    name: str
    description: str
    global_imports: Sequence[Import]
    has_cancellation_support: bool
    strict: bool = False


def _is_async_callable(func: Callable[..., Any]) -> bool:
    target: Any = func
    while isinstance(target, functools.partial):
        target = typing.cast(Any, target.func)
    if inspect.iscoroutinefunction(target):
        return True
    # An object whose __call__ is "async def" is awaited too.
    instance: object = target
    return inspect.iscoroutinefunction(inspect.getattr_static(type(instance), "__call__", None))


class FunctionTool(BaseTool[BaseModel, Any], Component[FunctionToolConfig]):
    """Offer a Python function to a model as a tool.

    The argument schema is derived from the signature: each parameter becomes a property;
    ``Annotated[T, "text"]`` gives its description (otherwise the parameter name is used);
    parameters with defaults are optional. A parameter named ``cancellation_token`` is left out
    of the schema and receives the call's :class:`CancellationToken`.

    Synchronous functions run in a worker thread (``asyncio.to_thread``), so they never block
    the event loop; coroutine functions are awaited. Cancelling the token cancels the running
    call: an async function receives ``CancelledError`` at its next ``await``; a thread cannot
    be interrupted, so its result is discarded.

    Args:
        func: The function (sync or async, or a ``functools.partial`` of one).
        description: What the tool does, for the model.
        name: The tool name; defaults to the function's ``__name__``.
        global_imports: Imports the function's source needs, recorded in the component config.
        strict: Ask the provider to follow the schema exactly. All parameters must then be
            without defaults, and unknown arguments are rejected.

    Raises:
        ToolSchemaError: A parameter is unannotated, is ``*args``/``**kwargs``, has a type
            without a JSON schema, or has a default while ``strict`` is set.

    Example::

        async def add(a: Annotated[int, "first"], b: Annotated[int, "second"] = 1) -> int:
            return a + b

        tool = FunctionTool(add, description="Add two numbers.")
        await tool.run_json({"a": 2}, CancellationToken())  # 3
    """

    component_provider_override = "parlay_core.tools.FunctionTool"
    component_config_schema = FunctionToolConfig

    def __init__(
        self,
        func: Callable[..., Any],
        description: str,
        name: str | None = None,
        global_imports: Sequence[Import] = (),
        strict: bool = False,
    ) -> None:
        self._func = func
        self._source_code: str | None = None
        self._global_imports = list(global_imports)
        self._signature = typed_signature(func)
        target: Any = func
        while isinstance(target, functools.partial):
            target = typing.cast(Any, target.func)
        func_name = name or str(target.__name__)
        self._arg_names = [
            param for param in self._signature.parameters if param != CANCELLATION_TOKEN_PARAMETER
        ]
        self._has_cancellation_support = CANCELLATION_TOKEN_PARAMETER in self._signature.parameters
        self._is_async = _is_async_callable(func)
        args_model = args_model_from_function(func_name + "args", self._signature, strict=strict)
        return_type: Any = self._signature.return_annotation
        if return_type is inspect.Signature.empty:
            return_type = Any
        super().__init__(args_model, return_type, func_name, description, strict)

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        """Call the function with the validated arguments.

        Raises:
            asyncio.CancelledError: The token was cancelled before the function finished.
            Exception: Whatever the function raises, unchanged.
        """
        kwargs = {name: getattr(args, name) for name in self._arg_names}
        if self._has_cancellation_support:
            kwargs[CANCELLATION_TOKEN_PARAMETER] = cancellation_token
        if self._is_async:
            call: asyncio.Future[Any] = asyncio.ensure_future(self._func(**kwargs))
        else:
            call = asyncio.ensure_future(asyncio.to_thread(self._func, **kwargs))
        cancellation_token.link_future(call)
        return await call

    def _to_config(self) -> FunctionToolConfig:
        return FunctionToolConfig(
            source_code=self._source_code or _function_source(self._func),
            name=self.name,
            description=self.description,
            global_imports=self._global_imports,
            has_cancellation_support=self._has_cancellation_support,
            strict=self._strict,
        )

    @classmethod
    def _from_config(cls, config: FunctionToolConfig) -> Self:
        require_code_execution(f"the Python source code of FunctionTool {config.name!r}")
        namespace: dict[str, Any] = {"__name__": f"parlay_function_tool_{config.name}"}
        for item in config.global_imports:
            statement = import_to_str(item)
            try:
                exec(statement, namespace)
            except ImportError as exc:
                raise ComponentConfigError(
                    f"FunctionTool {config.name!r} needs `{statement}`, which failed: {exc}. "
                    "Install the missing package or fix global_imports."
                ) from exc
        func_name = _defined_function_name(config.source_code, config.name)
        try:
            exec(compile(config.source_code, f"<FunctionTool {config.name}>", "exec"), namespace)
        except Exception as exc:
            raise ComponentConfigError(
                f"The source code of FunctionTool {config.name!r} failed to run: {exc}. Add "
                "the imports it needs to global_imports."
            ) from exc
        tool = cls(
            namespace[func_name],
            description=config.description,
            name=config.name,
            global_imports=config.global_imports,
            strict=config.strict,
        )
        # Code run by exec() has no file, so inspect cannot find it again when the tool is dumped.
        tool._source_code = config.source_code
        return tool


def _function_source(func: Callable[..., Any]) -> str:
    """Return the ``def`` of ``func`` without decorators, dedented."""
    if isinstance(func, functools.partial) or inspect.ismethod(func):
        raise ComponentError(
            "Only a plain function defined with `def` can be dumped as a FunctionTool config, "
            "not a partial or a bound method. Wrap the call in a module-level function."
        )
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as exc:
        raise ComponentError(
            f"The source code of {func!r} is not available ({exc}), so the tool cannot be "
            "dumped. Define the function in a Python file."
        ) from exc
    tree = ast.parse(source)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ComponentError(
            f"{func!r} is not defined with `def`, so it cannot be dumped. Replace the lambda "
            "with a named function."
        )
    # Decorators would run again on load and need their own imports; the tool wraps the
    # undecorated function, so only the def itself is kept.
    lines = source.splitlines(keepends=True)
    return "".join(lines[node.lineno - 1 :])


def _defined_function_name(source_code: str, tool_name: str) -> str:
    try:
        tree = ast.parse(source_code)
    except SyntaxError as exc:
        raise ComponentConfigError(
            f"The source code of FunctionTool {tool_name!r} is not valid Python: {exc}."
        ) from exc
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node.name
    raise ComponentConfigError(
        f"The source code of FunctionTool {tool_name!r} defines no function. It must contain "
        "a `def` statement."
    )
