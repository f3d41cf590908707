"""What Parlay knows about Anthropic's Claude models."""

from __future__ import annotations

import warnings
from typing import Final

from parlay_core.models import ModelFamily, ModelInfo, validate_model_info

__all__ = ["CONTEXT_WINDOW", "known_model_info", "resolve_model_info"]

CONTEXT_WINDOW: Final = 200_000
"""The context window of every current Claude model."""


def _info(family: str, *, vision: bool = True) -> ModelInfo:
    # No JSON mode on the Messages API; structured output works by forcing a tool whose input
    # schema is the requested model, which every tool-capable Claude supports.
    return ModelInfo(
        vision=vision,
        function_calling=True,
        json_output=False,
        family=family,
        structured_output=True,
        multiple_system_messages=True,
    )


# Name prefix -> info; the first match wins, so the more specific names come first.
_KNOWN: Final[tuple[tuple[str, ModelInfo], ...]] = (
    ("claude-opus-4", _info(ModelFamily.CLAUDE_4_OPUS)),
    ("claude-sonnet-4", _info(ModelFamily.CLAUDE_4_SONNET)),
    ("claude-haiku-4", _info("claude-4-haiku")),
    ("claude-3-7-sonnet", _info(ModelFamily.CLAUDE_3_7_SONNET)),
    ("claude-3-5-sonnet", _info(ModelFamily.CLAUDE_3_5_SONNET)),
    ("claude-3-5-haiku", _info(ModelFamily.CLAUDE_3_5_HAIKU, vision=False)),
    ("claude-3-opus", _info(ModelFamily.CLAUDE_3_OPUS)),
    ("claude-3-sonnet", _info(ModelFamily.CLAUDE_3_SONNET)),
    ("claude-3-haiku", _info(ModelFamily.CLAUDE_3_HAIKU)),
)


def known_model_info(model: str) -> ModelInfo | None:
    """Return what Parlay knows about a Claude model (any snapshot or alias), or None."""
    name = model.lower()
    for prefix, info in _KNOWN:
        if name.startswith(prefix):
            return ModelInfo(**info)
    return None


def resolve_model_info(model: str, given: ModelInfo | None, *, stacklevel: int = 3) -> ModelInfo:
    """The given ``model_info``, a known one, or Claude defaults with a warning.

    Raises:
        ModelInfoError: ``given`` lacks required keys.
    """
    if given is not None:
        validate_model_info(given)
        return given
    known = known_model_info(model)
    if known is not None:
        return known
    warnings.warn(
        f"Parlay does not know the model {model!r}; assuming a current Claude model (vision, "
        "tools and structured output; no JSON mode). Pass model_info=... to state what it "
        "supports.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return _info(ModelFamily.UNKNOWN)
