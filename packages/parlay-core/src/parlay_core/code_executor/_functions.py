"""Functions that executed code may call, and writing them out as an importable module.

A code executor given functions writes their source into a module in its working directory, so
a code block can ``from functions import fetch_rows`` and call them. A function may declare the
packages it needs and the imports its body uses with :func:`with_requirements`.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, Union

from typing_extensions import ParamSpec

from parlay_core._exceptions import ComponentConfigError, FunctionSourceError
from parlay_core._import_statements import Import, import_to_str

__all__ = [
    "FUNCTIONS_PROMPT_TEMPLATE",
    "FunctionWithRequirements",
    "FunctionWithRequirementsStr",
    "build_python_functions_file",
    "format_functions_for_prompt",
    "function_name",
    "function_stub",
    "required_packages",
    "with_requirements",
]

P = ParamSpec("P")
T = TypeVar("T")

FUNCTIONS_PROMPT_TEMPLATE = """You can call these Python functions from your code. Import them \
from the module `$module_name`, for example `from $module_name import <name>`:

$functions"""
"""The default text of :func:`format_functions_for_prompt`; ``$module_name`` and
``$functions`` are replaced."""


@dataclass
class FunctionWithRequirements(Generic[T, P]):
    """A function for executed code, with the packages and imports its body needs.

    Calling it calls the function, so a decorated function still works in the host program.

    Attributes:
        func: The function; its source is what the executed code gets.
        python_packages: Packages to install before the code runs (``pip`` requirement
            strings such as ``"pandas>=2"``).
        global_imports: Imports written at the top of the module, before the function.
    """

    func: Callable[P, T]
    python_packages: list[str] = field(default_factory=list[str])
    global_imports: list[Import] = field(default_factory=list[Import])

    @classmethod
    def from_callable(
        cls,
        func: Callable[P, T],
        python_packages: Sequence[str] = (),
        global_imports: Sequence[Import] = (),
    ) -> FunctionWithRequirements[T, P]:
        """Wrap ``func`` with its requirements (AutoGen's constructor of the same name)."""
        return cls(func, list(python_packages), list(global_imports))

    @staticmethod
    def from_str(
        func: str, python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
    ) -> FunctionWithRequirementsStr:
        """Wrap a function given as source text; see :class:`FunctionWithRequirementsStr`."""
        return FunctionWithRequirementsStr(func, list(python_packages), list(global_imports))

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.func(*args, **kwargs)


@dataclass
class FunctionWithRequirementsStr:
    """A function given as source text (one ``def``), with its requirements.

    Attributes:
        func: The source of exactly one top-level function definition.
        python_packages: Packages to install before the code runs.
        global_imports: Imports written at the top of the module.

    Raises:
        FunctionSourceError: ``func`` is not valid Python or not exactly one function.
    """

    func: str
    python_packages: list[str] = field(default_factory=list[str])
    global_imports: list[Import] = field(default_factory=list[Import])

    def __post_init__(self) -> None:
        self.func = textwrap.dedent(self.func).strip() + "\n"
        self._node = _only_function(self.func, "the given source")

    @property
    def name(self) -> str:
        """The function's name."""
        return self._node.name


def with_requirements(
    python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
) -> Callable[[Callable[P, T]], FunctionWithRequirements[T, P]]:
    """Decorate a function with the packages and imports it needs when executed code calls it.

    Args:
        python_packages: ``pip`` requirement strings installed before the code runs.
        global_imports: Imports the function's body uses: module names (``"os"``),
            :class:`~parlay_core.code_executor.ImportFromModule` or
            :class:`~parlay_core.code_executor.Alias`.

    Example:
        >>> from math import sqrt  # for calls in this program; executed code gets the import
        >>> from parlay_core.code_executor import ImportFromModule
        >>> @with_requirements(global_imports=[ImportFromModule("math", ["sqrt"])])
        ... def hypotenuse(a: float, b: float) -> float:
        ...     "The hypotenuse of a right triangle."
        ...     return sqrt(a * a + b * b)
        >>> hypotenuse(3, 4)
        5.0
    """

    def wrap(func: Callable[P, T]) -> FunctionWithRequirements[T, P]:
        wrapped: FunctionWithRequirements[T, P] = FunctionWithRequirements(
            func, list(python_packages), list(global_imports)
        )
        functools.update_wrapper(wrapped, func)
        return wrapped

    return wrap


AnyFunction = Union[
    FunctionWithRequirements[Any, ...], FunctionWithRequirementsStr, Callable[..., Any]
]


def _only_function(source: str, what: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise FunctionSourceError(f"The source of {what} is not valid Python: {exc}.") from exc
    defs = [n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(module.body) != 1 or len(defs) != 1:
        raise FunctionSourceError(
            f"The source of {what} must be exactly one function definition (def or async def)."
        )
    return defs[0]


def _is_requirements_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    return name == "with_requirements"


def _plain_function(entry: AnyFunction) -> Callable[..., Any]:
    if isinstance(entry, FunctionWithRequirements):
        return entry.func
    assert not isinstance(entry, FunctionWithRequirementsStr)
    return entry


def function_name(entry: AnyFunction) -> str:
    """The name executed code imports ``entry`` by."""
    if isinstance(entry, FunctionWithRequirementsStr):
        return entry.name
    return str(getattr(_plain_function(entry), "__name__", repr(entry)))


def _definition(entry: AnyFunction) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Return the source of ``entry``'s ``def`` (without ``with_requirements``) and its node."""
    if isinstance(entry, FunctionWithRequirementsStr):
        return entry.func, _only_function(entry.func, f"function {entry.name!r}")
    func = inspect.unwrap(_plain_function(entry))
    name = getattr(func, "__name__", None)
    if not inspect.isfunction(func) or name is None:
        raise FunctionSourceError(
            f"{func!r} is not a Python function defined with def; executed code can only be "
            "given functions whose source Parlay can read (wrap a built-in in a def)."
        )
    if name == "<lambda>":
        raise FunctionSourceError(
            f"{func!r} is a lambda; executed code imports functions by name, so define it with def."
        )
    if func.__code__.co_freevars:
        raise FunctionSourceError(
            f"Function {name!r} uses variables of an enclosing function "
            f"({', '.join(func.__code__.co_freevars)}), which do not exist in executed code. "
            "Define it at module level."
        )
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as exc:
        raise FunctionSourceError(
            f"The source of function {name!r} cannot be read ({exc}); functions defined in an "
            "interactive session or with exec() have none. Define it in a file, or pass its "
            "source with FunctionWithRequirements.from_str()."
        ) from exc
    node = _only_function(source, f"function {name!r}")
    if node.name != name:
        raise FunctionSourceError(
            f"The source found for function {name!r} defines {node.name!r} instead."
        )
    kept = [d for d in node.decorator_list if not _is_requirements_decorator(d)]
    if len(kept) != len(node.decorator_list):
        # Keep the other decorators (their imports are the caller's business) and the def.
        lines = source.splitlines(keepends=True)
        decorators = "".join("".join(lines[d.lineno - 1 : d.end_lineno or d.lineno]) for d in kept)
        source = decorators + "".join(lines[node.lineno - 1 :])
        node = _only_function(source, f"function {name!r}")
    return source, node


def _requirements(entry: AnyFunction) -> tuple[list[str], list[Import]]:
    if isinstance(entry, (FunctionWithRequirements, FunctionWithRequirementsStr)):
        return entry.python_packages, entry.global_imports
    return [], []


def required_packages(functions: Sequence[AnyFunction]) -> list[str]:
    """The ``pip`` requirements of ``functions``, each once, in first-seen order."""
    seen: dict[str, None] = {}
    for entry in functions:
        for package in _requirements(entry)[0]:
            seen.setdefault(package.strip(), None)
    return list(seen)


def build_python_functions_file(functions: Sequence[AnyFunction]) -> str:
    """Write ``functions`` and the imports they declare as the source of one module.

    Raises:
        FunctionSourceError: A function's source cannot be obtained, or two share a name.
        ComponentConfigError: A declared import is not a valid module or attribute name.
    """
    imports: dict[str, None] = {}
    bodies: list[str] = []
    names: set[str] = set()
    for entry in functions:
        source, node = _definition(entry)
        if node.name in names:
            raise FunctionSourceError(
                f"Two functions are named {node.name!r}; executed code imports them by name."
            )
        names.add(node.name)
        for item in _requirements(entry)[1]:
            try:
                imports.setdefault(import_to_str(item), None)
            except ComponentConfigError as exc:
                raise ComponentConfigError(
                    f"Function {node.name!r} declares an invalid import: {exc}"
                ) from exc
        bodies.append(source.rstrip() + "\n")
    head = "".join(f"{line}\n" for line in imports)
    parts = [head] if head else []
    return "\n\n".join([*parts, *bodies])


def function_stub(entry: AnyFunction) -> str:
    """The function's signature and docstring, with ``...`` for a body.

    Raises:
        FunctionSourceError: The function's source cannot be obtained.
    """
    _, node = _definition(entry)
    doc = ast.get_docstring(node, clean=True)
    stub = copy.copy(node)
    stub.decorator_list = []
    stub.body = [ast.Expr(ast.Constant(...))]
    header = ast.unparse(ast.fix_missing_locations(stub)).rsplit("\n", 1)[0]
    if not doc:
        return f"{header}\n    ..."
    doc = doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if "\n" in doc:
        doc = textwrap.indent(doc, "    ").lstrip() + "\n    "
    return f'{header}\n    """{doc}"""\n    ...'


def format_functions_for_prompt(
    functions: Sequence[AnyFunction],
    module_name: str,
    prompt_template: str = FUNCTIONS_PROMPT_TEMPLATE,
) -> str:
    """Describe ``functions`` for a model: each signature and docstring, and where to import.

    Args:
        functions: The functions offered to executed code.
        module_name: The module they are written to.
        prompt_template: Text in which ``$module_name`` and ``$functions`` are replaced.
    """
    from string import Template

    stubs = "\n\n".join(function_stub(entry) for entry in functions)
    return Template(prompt_template).safe_substitute(module_name=module_name, functions=stubs)
