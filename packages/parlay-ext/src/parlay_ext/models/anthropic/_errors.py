"""Turning ``anthropic`` SDK failures into Parlay's error tree."""

from __future__ import annotations

from parlay_core.exceptions import ModelAPIError, ModelClientError, ParlayError
from parlay_ext.models._common import http_advice
from parlay_ext.models.anthropic._sdk import anthropic

__all__ = ["broken_stream", "map_error"]


def map_error(error: Exception, where: str) -> ParlayError:
    """Return the Parlay error for a failure raised by the SDK.

    Args:
        error: What the SDK raised.
        where: Which server was called, for the message.
    """
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        return ModelAPIError(
            f"{where} answered HTTP {status}: {error.message} {http_advice(status)}".strip(),
            status_code=status,
            body=error.body,
        )
    if isinstance(error, anthropic.APITimeoutError):
        return ModelAPIError(
            f"{where} did not answer in time. Raise timeout=..., or check that the server is up."
        )
    if isinstance(error, anthropic.APIConnectionError):
        return ModelAPIError(
            f"Could not connect to {where}: {error.__cause__ or error}. Check base_url and "
            "the network."
        )
    if isinstance(error, anthropic.APIError):
        return ModelAPIError(f"{where} returned an error: {error.message}", body=error.body)
    return ModelClientError(f"The Anthropic SDK failed calling {where}: {error}")


def broken_stream(error: Exception, where: str) -> ParlayError:
    """Return the Parlay error for a response stream that broke off or could not be read."""
    if isinstance(error, (anthropic.APIStatusError, anthropic.APITimeoutError)):
        return map_error(error, where)
    if isinstance(error, anthropic.APIError) and error.body is not None:
        # An "error" event inside the stream (for example overloaded_error) carries a body.
        return map_error(error, where)
    return ModelAPIError(
        f"The response stream from {where} broke off or was malformed "
        f"({type(error).__name__}: {error}). Retry the call; if it keeps happening, the server "
        "does not speak the Anthropic messages streaming format."
    )
