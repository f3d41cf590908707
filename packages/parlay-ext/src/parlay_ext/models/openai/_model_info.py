"""What Parlay knows about models reachable through the OpenAI chat-completions API.

Known models get their real capabilities and context window. An unknown model (a new OpenAI
release, or whatever an OpenAI-compatible server such as Ollama, vLLM or llama.cpp serves) gets
sensible defaults with a warning, instead of AutoGen's "model_info is required" error: such
servers nearly all accept tools and JSON, and few accept images.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from typing import Any, Final, cast

from parlay_core.models import ModelFamily, ModelInfo, validate_model_info

__all__ = [
    "ANTHROPIC_BASE_URL",
    "DEFAULT_CONTEXT_WINDOW",
    "GEMINI_BASE_URL",
    "LLAMA_API_BASE_URL",
    "default_model_info",
    "from_capabilities",
    "guess_family",
    "known_context_window",
    "known_model_info",
    "provider_endpoint",
    "resolve_model_info",
    "warn_unknown_openai_model",
]

GEMINI_BASE_URL: Final = "https://generativelanguage.googleapis.com/v1beta/openai/"
"""Google's OpenAI-compatible endpoint, used for ``gemini-*`` models when no base_url is given."""

ANTHROPIC_BASE_URL: Final = "https://api.anthropic.com/v1/"
"""Anthropic's OpenAI-compatible endpoint, used for ``claude-*`` models when no base_url is given."""

LLAMA_API_BASE_URL: Final = "https://api.llama.com/compat/v1/"
"""The Llama API's OpenAI-compatible endpoint, used for ``Llama-*`` models without a base_url."""

DEFAULT_CONTEXT_WINDOW: Final = 128_000
"""Context window assumed for a model whose window Parlay does not know."""


def _info(
    family: str,
    *,
    vision: bool = True,
    tools: bool = True,
    json: bool = True,
    structured: bool = True,
    system_messages: bool = True,
) -> ModelInfo:
    return ModelInfo(
        vision=vision,
        function_calling=tools,
        json_output=json,
        family=family,
        structured_output=structured,
        multiple_system_messages=system_messages,
    )


def _claude(family: str) -> ModelInfo:
    # Anthropic's OpenAI-compatible endpoint ignores response_format, so neither JSON mode nor
    # structured output; it folds every system message into its one system prompt itself.
    return _info(family, json=False, structured=False)


def _gemini(family: str) -> ModelInfo:
    # AutoGen marks Gemini through its OpenAI-compatible endpoint as taking one system
    # message, so several are merged into one before sending; Parlay does the same.
    return _info(family, system_messages=False)


# Model name (or name prefix, for dated snapshots such as gpt-4o-2024-08-06) -> info, window.
# Ordered from most to least specific, because the first prefix that matches wins.
_KNOWN: Final[tuple[tuple[str, ModelInfo, int], ...]] = (
    ("gpt-5-nano", _info(ModelFamily.GPT_5), 400_000),
    ("gpt-5-mini", _info(ModelFamily.GPT_5), 400_000),
    ("gpt-5", _info(ModelFamily.GPT_5), 400_000),
    ("gpt-4.5", _info(ModelFamily.GPT_45), 128_000),
    ("gpt-4.1-nano", _info(ModelFamily.GPT_41), 1_047_576),
    ("gpt-4.1-mini", _info(ModelFamily.GPT_41), 1_047_576),
    ("gpt-4.1", _info(ModelFamily.GPT_41), 1_047_576),
    ("gpt-4o-mini", _info(ModelFamily.GPT_4O), 128_000),
    ("gpt-4o", _info(ModelFamily.GPT_4O), 128_000),
    ("gpt-4-turbo", _info(ModelFamily.GPT_4), 128_000),
    ("gpt-4", _info(ModelFamily.GPT_4, vision=False, structured=False), 8_192),
    ("gpt-3.5-turbo", _info(ModelFamily.GPT_35, vision=False, structured=False), 16_385),
    ("o1-mini", _info(ModelFamily.O1, vision=False, tools=False), 128_000),
    ("o1", _info(ModelFamily.O1), 200_000),
    ("o3-mini", _info(ModelFamily.O3, vision=False), 200_000),
    ("o3", _info(ModelFamily.O3), 200_000),
    ("o4-mini", _info(ModelFamily.O4), 200_000),
    ("gemini-1.5-flash", _gemini(ModelFamily.GEMINI_1_5_FLASH), 1_048_576),
    ("gemini-1.5-pro", _gemini(ModelFamily.GEMINI_1_5_PRO), 2_097_152),
    ("gemini-2.0-flash", _gemini(ModelFamily.GEMINI_2_0_FLASH), 1_048_576),
    ("gemini-2.5-pro", _gemini(ModelFamily.GEMINI_2_5_PRO), 1_048_576),
    ("gemini-2.5-flash", _gemini(ModelFamily.GEMINI_2_5_FLASH), 1_048_576),
    # Anthropic's models through its OpenAI-compatible endpoint (ANTHROPIC_BASE_URL).
    ("claude-3-haiku", _claude(ModelFamily.CLAUDE_3_HAIKU), 200_000),
    ("claude-3-sonnet", _claude(ModelFamily.CLAUDE_3_SONNET), 200_000),
    ("claude-3-opus", _claude(ModelFamily.CLAUDE_3_OPUS), 200_000),
    ("claude-3-5-haiku", _claude(ModelFamily.CLAUDE_3_5_HAIKU), 200_000),
    ("claude-3-5-sonnet", _claude(ModelFamily.CLAUDE_3_5_SONNET), 200_000),
    ("claude-3-7-sonnet", _claude(ModelFamily.CLAUDE_3_7_SONNET), 200_000),
    ("claude-sonnet-4", _claude(ModelFamily.CLAUDE_4_SONNET), 200_000),
    ("claude-4-sonnet", _claude(ModelFamily.CLAUDE_4_SONNET), 200_000),
    ("claude-opus-4", _claude(ModelFamily.CLAUDE_4_OPUS), 200_000),
    ("claude-4-opus", _claude(ModelFamily.CLAUDE_4_OPUS), 200_000),
    # Meta's models through the Llama API's OpenAI-compatible endpoint (LLAMA_API_BASE_URL).
    ("llama-3.3-8b", _info(ModelFamily.LLAMA_3_3_8B, vision=False, structured=False), 128_000),
    ("llama-3.3-70b", _info(ModelFamily.LLAMA_3_3_70B, vision=False, structured=False), 128_000),
    ("llama-4-scout", _info(ModelFamily.LLAMA_4_SCOUT), 128_000),
    ("llama-4-maverick", _info(ModelFamily.LLAMA_4_MAVERICK), 128_000),
)

# Providers whose OpenAI-compatible endpoint a model name leads to when no base_url is given:
# (model-name prefix, base URL, environment variable holding the key). The prefixes are
# case-sensitive, as the providers spell their model ids.
_PROVIDERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("gemini-", GEMINI_BASE_URL, "GEMINI_API_KEY"),
    ("claude-", ANTHROPIC_BASE_URL, "ANTHROPIC_API_KEY"),
    ("Llama-", LLAMA_API_BASE_URL, "LLAMA_API_KEY"),
)

# Name fragments -> family, for models Parlay has no entry for (Ollama tags, vLLM repo ids).
_FAMILY_HINTS: Final[tuple[tuple[str, str], ...]] = (
    ("deepseek-r1", ModelFamily.R1),
    ("gpt-5", ModelFamily.GPT_5),
    ("gpt-4o", ModelFamily.GPT_4O),
    ("gpt-4.1", ModelFamily.GPT_41),
    ("claude-3-5-sonnet", ModelFamily.CLAUDE_3_5_SONNET),
    ("claude-3-7-sonnet", ModelFamily.CLAUDE_3_7_SONNET),
    ("claude-sonnet-4", ModelFamily.CLAUDE_4_SONNET),
    ("claude-opus-4", ModelFamily.CLAUDE_4_OPUS),
    ("gemini-2.5-flash", ModelFamily.GEMINI_2_5_FLASH),
    ("gemini-2.5-pro", ModelFamily.GEMINI_2_5_PRO),
    ("gemini-2.0-flash", ModelFamily.GEMINI_2_0_FLASH),
    ("llama-4-scout", ModelFamily.LLAMA_4_SCOUT),
    ("llama-4-maverick", ModelFamily.LLAMA_4_MAVERICK),
    ("codestral", ModelFamily.CODESRAL),
    ("ministral", ModelFamily.MINISTRAL),
    ("pixtral", ModelFamily.PIXTRAL),
    ("mistral", ModelFamily.MISTRAL),
)


def _lookup(model: str) -> tuple[ModelInfo, int] | None:
    name = model.lower()
    for prefix, info, window in _KNOWN:
        if name == prefix or name.startswith(prefix + "-"):
            return ModelInfo(**info), window
    return None


# Words that follow a known name in OpenAI's own variants of it (gpt-4o-audio-preview,
# gpt-3.5-turbo-16k, gpt-5-chat-latest); a dated snapshot adds digits (gpt-4o-2024-08-06, -0613).
_VARIANT_WORDS: Final = frozenset(
    {
        "preview",
        "latest",
        "audio",
        "search",
        "realtime",
        "transcribe",
        "tts",
        "chat",
        "instruct",
        "vision",
        "pro",
        "deep",
        "research",
        "16k",
        "32k",
    }
)
_SNAPSHOT_PART: Final = re.compile(r"\d+")


def _is_known_name(model: str) -> bool:
    # _lookup accepts any "<known>-<anything>" (it serves dated snapshots); a name is known
    # here only when the rest is a snapshot date or one of OpenAI's variant words, so that a
    # typo such as "gpt-4o-mni" is not taken for gpt-4o.
    name = model.lower()
    for prefix, _info_entry, _window in _KNOWN:
        if name == prefix:
            return True
        if name.startswith(prefix + "-"):
            rest = name[len(prefix) + 1 :].split("-")
            return all(_SNAPSHOT_PART.fullmatch(p) or p in _VARIANT_WORDS for p in rest)
    return False


def warn_unknown_openai_model(model: str, *, stacklevel: int = 3) -> bool:
    """Warn when ``model`` is not a name Parlay knows on OpenAI's own API.

    The client calls this only for OpenAI's own endpoint, where a misspelt name (``gpt-4o-mni``)
    otherwise shows up only as a "model not found" error at the first call. Custom endpoints
    (local servers) serve names of their own, and are not checked.

    Args:
        model: The model name.
        stacklevel: Where the warning points.

    Returns:
        True if it warned.
    """
    if _is_known_name(model):
        return False
    names = [prefix for prefix, _info_entry, _window in _KNOWN]
    close = difflib.get_close_matches(model.lower(), names, n=3, cutoff=0.6)
    hint = (
        f" Did you mean {' or '.join(repr(n) for n in close)}?"
        if close
        else " Check the spelling against OpenAI's model list."
    )
    warnings.warn(
        f"{model!r} is not a model Parlay knows on OpenAI's API, so the first call may fail "
        f"with 'model not found'.{hint} If the name is right (a model newer than Parlay), pass "
        "model_info=... to state what it supports, which also silences this warning.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return True


def known_model_info(model: str) -> ModelInfo | None:
    """Return what Parlay knows about ``model`` (exact name or dated snapshot), or None."""
    found = _lookup(model)
    return None if found is None else found[0]


def known_context_window(model: str) -> int:
    """Return the context window of ``model``, or :data:`DEFAULT_CONTEXT_WINDOW` if unknown."""
    found = _lookup(model)
    return DEFAULT_CONTEXT_WINDOW if found is None else found[1]


def provider_endpoint(model: str) -> tuple[str, str] | None:
    """Return the base URL and API-key variable a model name leads to, or None for OpenAI.

    ``gemini-*`` goes to Google's, ``claude-*`` to Anthropic's and ``Llama-*`` to the Llama
    API's OpenAI-compatible endpoint (as in AutoGen).
    """
    for prefix, url, key_variable in _PROVIDERS:
        if model.startswith(prefix):
            return url, key_variable
    return None


def guess_family(model: str) -> str:
    """Guess a model's family from its name; ``ModelFamily.UNKNOWN`` when nothing fits."""
    name = model.lower()
    for fragment, family in _FAMILY_HINTS:
        if fragment in name:
            return family
    return ModelFamily.UNKNOWN


def default_model_info(model: str) -> ModelInfo:
    """The capabilities assumed for a model Parlay does not know.

    Function calling and JSON (mode and schema) are assumed because OpenAI-compatible servers
    (Ollama, vLLM, llama.cpp server) accept them; vision is not, because few local models have it.
    """
    return ModelInfo(
        vision=False,
        function_calling=True,
        json_output=True,
        family=guess_family(model),
        structured_output=True,
        multiple_system_messages=True,
    )


def from_capabilities(
    model_info: ModelInfo | None,
    model_capabilities: Mapping[str, Any] | None,
    *,
    stacklevel: int = 3,
) -> ModelInfo | None:
    """Turn AutoGen's deprecated ``model_capabilities`` into a ``model_info``.

    The capabilities (``vision``, ``function_calling``, ``json_output``) carry over; the family
    is unknown and structured output is assumed unsupported, since the old form could not say.

    Raises:
        ValueError: Both ``model_info`` and ``model_capabilities`` were given.

    Warns:
        DeprecationWarning: ``model_capabilities`` was given.
    """
    if model_capabilities is None:
        return model_info
    if model_info is not None:
        raise ValueError(
            "model_capabilities and model_info are mutually exclusive; pass model_info only "
            "(model_capabilities is its deprecated older form)."
        )
    warnings.warn(
        "model_capabilities is deprecated (as in AutoGen); pass model_info=... instead.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    # Checked by validate_model_info when the client resolves its model_info.
    return cast(
        "ModelInfo",
        {"family": ModelFamily.UNKNOWN, "structured_output": False, **model_capabilities},
    )


def resolve_model_info(model: str, given: ModelInfo | None, *, stacklevel: int = 3) -> ModelInfo:
    """Decide a client's ``model_info``: the one given, a known one, or warned-about defaults.

    Args:
        model: The model name.
        given: The caller's ``model_info``, if any; it always wins.
        stacklevel: Where the warning points (the caller's caller by default).

    Raises:
        ModelInfoError: ``given`` lacks required keys.
    """
    if given is not None:
        validate_model_info(given)
        return given
    known = known_model_info(model)
    if known is not None:
        return known
    assumed = default_model_info(model)
    warnings.warn(
        f"Parlay does not know the model {model!r}; assuming vision=False, "
        f"function_calling=True, json_output=True, structured_output=True, "
        f"family={assumed['family']!r}. Pass model_info=... to the client to state what the "
        "model supports.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return assumed
