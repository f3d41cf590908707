"""Locating a Chromium executable: the environment variable, ``PATH``, Playwright's cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from parlay_core.exceptions import BrowserNotFoundError

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_ENV_VAR", "find_chromium"]

CHROMIUM_ENV_VAR = "PARLAY_CHROMIUM"
"""The environment variable that names the Chromium executable to use, before any search."""

CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    # Containers and CI runners usually run as root, where Chromium refuses its sandbox.
    "--no-sandbox",
    "--disable-gpu",
    # QUIC, background networking, component updates and sync open connections of their own;
    # on a machine without internet access those stall or are refused, and with them the pages.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Command-line flags for a headless Chromium that only talks to the pages it is sent to."""

_PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Playwright keeps its downloads in one folder per build; newest build first.
_PLAYWRIGHT_LAYOUTS = (
    "chromium-*/chrome-linux/chrome",
    "chromium-*/chrome-linux64/chrome",
    "chromium-*/chrome-mac/Chromium.app/Contents/MacOS/Chromium",
    "chromium-*/chrome-win/chrome.exe",
)

_INSTALL_ADVICE = (
    "Install one with `apt-get install chromium` (Debian, Ubuntu) or your system's package "
    "manager, or set PARLAY_CHROMIUM to the path of a Chromium or Chrome executable."
)


def _playwright_cache() -> Path:
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":
        return Path(configured)
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    if Path.home().joinpath("Library").is_dir():  # macOS
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"


def _build_number(folder: str) -> int:
    # "chromium-1148" -> 1148, so that build 1148 sorts after build 999.
    suffix = folder.rpartition("-")[2]
    return int(suffix) if suffix.isdigit() else -1


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_chromium() -> str:
    """Return the path of a Chromium (or Chrome) executable on this machine.

    The search order: the ``PARLAY_CHROMIUM`` environment variable (which must then name an
    executable: a wrong path is an error, never silently replaced), the names ``chromium``,
    ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on ``PATH``, and
    finally the newest Chromium in Playwright's browser cache.

    Returns:
        An absolute path to the executable.

    Raises:
        BrowserNotFoundError: ``PARLAY_CHROMIUM`` names no executable, or none was found.
    """
    configured = os.environ.get(CHROMIUM_ENV_VAR)
    if configured:
        located = shutil.which(configured)
        if located is None:
            raise BrowserNotFoundError(
                f"{CHROMIUM_ENV_VAR}={configured!r} does not name an executable file. Point it "
                "at a Chromium or Chrome executable, or unset it to search PATH."
            )
        return located
    for name in _PATH_NAMES:
        located = shutil.which(name)
        if located is not None:
            return located
    cache = _playwright_cache()
    candidates = sorted(
        (path for layout in _PLAYWRIGHT_LAYOUTS for path in cache.glob(layout)),
        key=lambda path: _build_number(path.relative_to(cache).parts[0]),
        reverse=True,
    )
    for candidate in candidates:
        if _is_executable(candidate):
            return str(candidate)
    raise BrowserNotFoundError(
        f"No Chromium found: {CHROMIUM_ENV_VAR} is not set, none of {', '.join(_PATH_NAMES)} is "
        f"on PATH, and Playwright's cache ({cache}) holds no browser. {_INSTALL_ADVICE}"
    )
