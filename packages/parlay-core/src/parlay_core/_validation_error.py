"""The tool-arguments error that is also pydantic's ``ValidationError``.

Kept apart from :mod:`parlay_core._exceptions` (which re-exports it lazily) because defining it
imports pydantic, which ``import parlay_core`` otherwise does not load.
"""

from __future__ import annotations

from pydantic_core import InitErrorDetails, ValidationError

from parlay_core._exceptions import ToolArgumentsError

__all__ = ["ToolArgumentsValidationError"]


class ToolArgumentsValidationError(ToolArgumentsError, ValidationError):
    """The tool's argument model refused the arguments.

    Also pydantic's ``ValidationError``, which AutoGen lets through from ``run_json``, so
    ``errors()`` lists every field error and ``except ValidationError`` keeps working. Its
    message is Parlay's, written for the model that made the call.
    """

    _message: str

    @classmethod
    def from_validation_error(cls, message: str, error: ValidationError) -> ToolArgumentsError:
        """Wrap ``error`` with ``message``.

        Returns:
            This class, or a plain :class:`ToolArgumentsError` when pydantic cannot rebuild the
            error details (custom error types defined by a validator).
        """
        try:
            wrapped = cls.from_exception_data(
                error.title,
                [
                    InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], ctx=e["ctx"])
                    if "ctx" in e
                    else InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"])
                    for e in error.errors(include_url=False)
                ],
            )
        except Exception:
            return ToolArgumentsError(message)
        wrapped._message = message
        return wrapped

    def __str__(self) -> str:
        return self._message
