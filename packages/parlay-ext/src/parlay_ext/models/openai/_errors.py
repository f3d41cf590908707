"""Turning ``openai`` SDK failures into Parlay's error tree."""

from __future__ import annotations

from parlay_core.exceptions import ModelAPIError, ModelClientError, ParlayError
from parlay_ext.models._common import http_advice
from parlay_ext.models.openai._sdk import openai

__all__ = ["broken_stream", "map_error"]


def map_error(error: Exception, where: str) -> ParlayError:
    """Return the Parlay error for a failure raised by the SDK.

    Args:
        error: What the SDK raised.
        where: Which server was called, for the message (model and base URL).
    """
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        advice = http_advice(status)
        return ModelAPIError(
            f"{where} answered HTTP {status}: {error.message} {advice}".strip(),
            status_code=status,
            body=error.body,
        )
    if isinstance(error, openai.APITimeoutError):
        return ModelAPIError(
            f"{where} did not answer in time. Raise timeout=..., or check that the server is "
            "up and not overloaded."
        )
    if isinstance(error, openai.APIConnectionError):
        return ModelAPIError(
            f"Could not connect to {where}: {error.__cause__ or error}. Check base_url and "
            "that the server is running."
        )
    if isinstance(error, openai.APIError):
        return ModelAPIError(f"{where} returned an error: {error.message}", body=error.body)
    return ModelClientError(f"The OpenAI SDK failed calling {where}: {error}")


def broken_stream(error: Exception, where: str) -> ParlayError:
    """Return the Parlay error for a response stream that broke off or could not be read."""
    if isinstance(error, (openai.APIStatusError, openai.APITimeoutError)):
        return map_error(error, where)
    return ModelAPIError(
        f"The response stream from {where} broke off or was malformed "
        f"({type(error).__name__}: {error}). Retry the call; if it keeps happening, the server "
        "does not speak the chat-completions streaming format."
    )
