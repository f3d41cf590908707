"""What a model can do: families, capability flags and their validation."""

from __future__ import annotations

import warnings
from typing import Final, Literal

from typing_extensions import Required, TypedDict

from parlay_core._exceptions import ModelInfoError

__all__ = ["ModelCapabilities", "ModelFamily", "ModelInfo", "validate_model_info"]


class ModelFamily:
    """Names of the model families Parlay knows, and predicates over them.

    A family groups models that behave alike (prompt conventions, what they accept), which is
    coarser than the individual feature flags of :class:`ModelInfo`. Any other string is a valid
    family too; Parlay then treats the model as :attr:`UNKNOWN`.
    """

    GPT_5: Final = "gpt-5"
    GPT_41: Final = "gpt-41"
    GPT_45: Final = "gpt-45"
    GPT_4O: Final = "gpt-4o"
    O1: Final = "o1"
    O3: Final = "o3"
    O4: Final = "o4"
    GPT_4: Final = "gpt-4"
    GPT_35: Final = "gpt-35"
    R1: Final = "r1"
    GEMINI_1_5_FLASH: Final = "gemini-1.5-flash"
    GEMINI_1_5_PRO: Final = "gemini-1.5-pro"
    GEMINI_2_0_FLASH: Final = "gemini-2.0-flash"
    GEMINI_2_5_PRO: Final = "gemini-2.5-pro"
    GEMINI_2_5_FLASH: Final = "gemini-2.5-flash"
    CLAUDE_3_HAIKU: Final = "claude-3-haiku"
    CLAUDE_3_SONNET: Final = "claude-3-sonnet"
    CLAUDE_3_OPUS: Final = "claude-3-opus"
    CLAUDE_3_5_HAIKU: Final = "claude-3-5-haiku"
    CLAUDE_3_5_SONNET: Final = "claude-3-5-sonnet"
    CLAUDE_3_7_SONNET: Final = "claude-3-7-sonnet"
    CLAUDE_4_OPUS: Final = "claude-4-opus"
    CLAUDE_4_SONNET: Final = "claude-4-sonnet"
    LLAMA_3_3_8B: Final = "llama-3.3-8b"
    LLAMA_3_3_70B: Final = "llama-3.3-70b"
    LLAMA_4_SCOUT: Final = "llama-4-scout"
    LLAMA_4_MAVERICK: Final = "llama-4-maverick"
    CODESRAL: Final = "codestral"  # AutoGen's spelling, kept so existing code finds it.
    OPEN_CODESRAL_MAMBA: Final = "open-codestral-mamba"
    MISTRAL: Final = "mistral"
    MINISTRAL: Final = "ministral"
    PIXTRAL: Final = "pixtral"
    UNKNOWN: Final = "unknown"

    ANY = Literal[
        "gpt-5",
        "gpt-41",
        "gpt-45",
        "gpt-4o",
        "o1",
        "o3",
        "o4",
        "gpt-4",
        "gpt-35",
        "r1",
        "gemini-1.5-flash",
        "gemini-1.5-pro",
        "gemini-2.0-flash",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "claude-3-haiku",
        "claude-3-sonnet",
        "claude-3-opus",
        "claude-3-5-haiku",
        "claude-3-5-sonnet",
        "claude-3-7-sonnet",
        "claude-4-opus",
        "claude-4-sonnet",
        "llama-3.3-8b",
        "llama-3.3-70b",
        "llama-4-scout",
        "llama-4-maverick",
        "codestral",
        "open-codestral-mamba",
        "mistral",
        "ministral",
        "pixtral",
        "unknown",
    ]
    """Every known family name, as a ``Literal`` type."""

    def __new__(cls, *args: object, **kwargs: object) -> ModelFamily:
        raise TypeError("ModelFamily is a namespace of constants; use ModelFamily.GPT_4O etc.")

    @staticmethod
    def is_openai(family: str) -> bool:
        """Whether ``family`` is one of OpenAI's GPT or o-series families."""
        return family in _OPENAI

    @staticmethod
    def is_claude(family: str) -> bool:
        """Whether ``family`` is one of Anthropic's Claude families."""
        return family in _CLAUDE

    @staticmethod
    def is_gemini(family: str) -> bool:
        """Whether ``family`` is one of Google's Gemini families."""
        return family in _GEMINI

    @staticmethod
    def is_llama(family: str) -> bool:
        """Whether ``family`` is one of Meta's Llama families."""
        return family in _LLAMA

    @staticmethod
    def is_mistral(family: str) -> bool:
        """Whether ``family`` is one of Mistral AI's families."""
        return family in _MISTRAL


_OPENAI = frozenset(
    {
        ModelFamily.GPT_5,
        ModelFamily.GPT_41,
        ModelFamily.GPT_45,
        ModelFamily.GPT_4O,
        ModelFamily.O1,
        ModelFamily.O3,
        ModelFamily.O4,
        ModelFamily.GPT_4,
        ModelFamily.GPT_35,
    }
)
_CLAUDE = frozenset(
    {
        ModelFamily.CLAUDE_3_HAIKU,
        ModelFamily.CLAUDE_3_SONNET,
        ModelFamily.CLAUDE_3_OPUS,
        ModelFamily.CLAUDE_3_5_HAIKU,
        ModelFamily.CLAUDE_3_5_SONNET,
        ModelFamily.CLAUDE_3_7_SONNET,
        ModelFamily.CLAUDE_4_OPUS,
        ModelFamily.CLAUDE_4_SONNET,
    }
)
_GEMINI = frozenset(
    {
        ModelFamily.GEMINI_1_5_FLASH,
        ModelFamily.GEMINI_1_5_PRO,
        ModelFamily.GEMINI_2_0_FLASH,
        ModelFamily.GEMINI_2_5_PRO,
        ModelFamily.GEMINI_2_5_FLASH,
    }
)
_LLAMA = frozenset(
    {
        ModelFamily.LLAMA_3_3_8B,
        ModelFamily.LLAMA_3_3_70B,
        ModelFamily.LLAMA_4_SCOUT,
        ModelFamily.LLAMA_4_MAVERICK,
    }
)
_MISTRAL = frozenset(
    {
        ModelFamily.CODESRAL,
        ModelFamily.OPEN_CODESRAL_MAMBA,
        ModelFamily.MISTRAL,
        ModelFamily.MINISTRAL,
        ModelFamily.PIXTRAL,
    }
)


class ModelCapabilities(TypedDict, total=False):
    """The older, smaller form of :class:`ModelInfo`; kept for code that still uses it.

    Deprecated: use :class:`ModelInfo`.
    """

    vision: Required[bool]
    function_calling: Required[bool]
    json_output: Required[bool]


class ModelInfo(TypedDict, total=False):
    """What a model supports; agents read it to decide what they may send.

    Attributes:
        vision: Accepts images in user messages.
        function_calling: Can call tools.
        json_output: Can be forced to answer in JSON.
        family: The model family, one of :class:`ModelFamily` or any other string.
        structured_output: Can answer in a given JSON schema.
        multiple_system_messages: Accepts more than one system message, anywhere in the
            conversation. Optional; ``None`` or absent means unknown.
    """

    vision: Required[bool]
    function_calling: Required[bool]
    json_output: Required[bool]
    family: Required[str]
    structured_output: Required[bool]
    multiple_system_messages: bool | None


_REQUIRED_KEYS = ("vision", "function_calling", "json_output", "family")
# structured_output arrived later in AutoGen; configs without it still load, with a warning.
_RECOMMENDED_KEYS = ("structured_output",)


def validate_model_info(model_info: ModelInfo) -> None:
    """Check that ``model_info`` has every key Parlay relies on.

    Args:
        model_info: The mapping to check.

    Raises:
        ModelInfoError: One or more required keys are missing; the message names all of them.

    Warns:
        UserWarning: ``structured_output`` is missing (it is then treated as ``False``).
    """
    missing = [key for key in _REQUIRED_KEYS if key not in model_info]
    if missing:
        example = ", ".join(f'"{key}": ...' for key in (*_REQUIRED_KEYS, *_RECOMMENDED_KEYS))
        raise ModelInfoError(
            f"model_info is missing the required key(s) {', '.join(repr(k) for k in missing)}. "
            f"Pass a complete model_info to the model client, for example "
            f"model_info={{{example}}}."
        )
    for key in _RECOMMENDED_KEYS:
        if key not in model_info:
            warnings.warn(
                f"model_info has no {key!r} key; it is treated as False. Add {key!r} to "
                "model_info to say whether the model supports it.",
                UserWarning,
                stacklevel=2,
            )
