"""Finding the machine's Chromium and the flags to run it headless in a closed environment.

Parlay drives the Chromium that the machine already has (Debian's ``chromium`` package, a
Chrome install, or a browser Playwright downloaded earlier): Playwright's own browser download
needs the internet. :func:`find_chromium` looks in ``PARLAY_CHROMIUM``, then on ``PATH``, then in
Playwright's cache, and raises :class:`~parlay_core.exceptions.BrowserNotFoundError` saying how
to install one. This module needs no extra; the web surfer and tests that drive a browser use it.
"""

from parlay_core.exceptions import BrowserNotFoundError
from parlay_ext.browser._chromium import CHROMIUM_ARGS, CHROMIUM_ENV_VAR, find_chromium

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_ENV_VAR", "BrowserNotFoundError", "find_chromium"]
