"""The web surfer of Magentic-One: an AgentChat agent that browses with a real Chromium.

Install with ``pip install "parlay-ext[web-surfer]"`` (Playwright, Pillow and
parlay-agentchat). The browser is the machine's Chromium, found by
:func:`parlay_ext.browser.find_chromium`; Playwright's own browser download is not needed.
"""

from parlay_ext.agents.web_surfer._controller import PlaywrightController
from parlay_ext.agents.web_surfer._web_surfer import (
    MultimodalWebSurfer,
    MultimodalWebSurferConfig,
    MultimodalWebSurferState,
)

__all__ = [
    "MultimodalWebSurfer",
    "MultimodalWebSurferConfig",
    "MultimodalWebSurferState",
    "PlaywrightController",
]
