"""Fixtures of the web surfer's tests: the local test site and the machine's real Chromium.

Where no Chromium is installed the tests skip and say how to install one, unless
``PARLAY_CHROMIUM`` is set (the nox test session sets it after installing Debian's chromium): a
browser that was promised but does not start is then a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

pytest.importorskip("playwright", reason="the web-surfer extra is not installed")

from playwright.async_api import Browser, async_playwright

from parlay_core import FunctionCall
from parlay_core.exceptions import BrowserNotFoundError
from parlay_core.models import CreateResult, ModelInfo, RequestUsage
from parlay_ext.browser import CHROMIUM_ARGS, CHROMIUM_ENV_VAR, find_chromium
from parlay_ext.models.replay import ReplayChatCompletionClient
from tests.integration.web_surfer._site import Site, serve_site

__all__ = ["action", "chromium", "scripted", "shared_browser", "site"]

VISION = ModelInfo(
    vision=True, function_calling=True, json_output=False, family="unknown", structured_output=False
)
TEXT_ONLY = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=False,
    family="unknown",
    structured_output=False,
)


def action(name: str, **arguments: Any) -> CreateResult:
    """A model response that calls one browser tool."""
    arguments = {"reasoning": "the test says so", **arguments}
    call = FunctionCall(id=f"call_{name}", name=name, arguments=json.dumps(arguments))
    return CreateResult(
        finish_reason="function_calls",
        content=[call],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


def scripted(*responses: str | CreateResult, vision: bool = True) -> ReplayChatCompletionClient:
    """A replay model client that answers with ``responses`` in order."""
    return ReplayChatCompletionClient(list(responses), model_info=VISION if vision else TEXT_ONLY)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; skips (saying how to install one) where none can be found."""
    if os.environ.get(CHROMIUM_ENV_VAR):
        return find_chromium()  # promised: a wrong path fails the tests
    try:
        return find_chromium()
    except BrowserNotFoundError as error:
        pytest.skip(f"no Chromium on this machine: {error}")


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The test site, on a free loopback port for the module's tests."""
    running, server = serve_site()
    try:
        yield running
    finally:
        running.stop_hanging.set()
        server.shutdown()
        server.server_close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_browser(chromium: str) -> AsyncIterator[Browser]:
    """One headless Chromium for a module's tests; each test opens its own context in it."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=[a for a in CHROMIUM_ARGS if a != "--headless"]
        )
        try:
            yield browser
        finally:
            await browser.close()
