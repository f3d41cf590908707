"""The one place Playwright and Pillow are imported; a missing one names the extra to install.

parlay-agentchat is checked here too: the layering check installs parlay-ext without it.
"""

from __future__ import annotations

import importlib

from parlay_ext.models._common import missing_sdk

try:
    # The agent is an AgentChat agent: the extra installs parlay-agentchat too.
    importlib.import_module("parlay_agentchat")
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("web-surfer", "parlay_agentchat", _error) from _error

try:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Download,
        Error,
        Page,
        Playwright,
        TimeoutError,
        ViewportSize,
        async_playwright,
    )
except ImportError as _error:  # pragma: no cover - exercised in an environment without the SDK
    raise missing_sdk("web-surfer", "playwright", _error) from _error

try:
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont
except ImportError as _error:  # pragma: no cover - exercised in an environment without Pillow
    raise missing_sdk("web-surfer", "pillow", _error) from _error

__all__ = [
    "Browser",
    "BrowserContext",
    "Download",
    "Error",
    "ImageDraw",
    "ImageFont",
    "PILImage",
    "Page",
    "Playwright",
    "TimeoutError",
    "ViewportSize",
    "async_playwright",
]
