"""Starting and stopping the web surfer's browser, and noticing when it dies."""

from __future__ import annotations

from dataclasses import dataclass, field

from parlay_core.exceptions import BrowserError
from parlay_ext.agents.web_surfer._controller import browser_error
from parlay_ext.agents.web_surfer._sdk import (
    Browser,
    BrowserContext,
    Playwright,
    ViewportSize,
    async_playwright,
)
from parlay_ext.browser import CHROMIUM_ARGS, find_chromium

__all__ = ["BrowserSession", "launch"]


@dataclass
class BrowserSession:
    """The Playwright objects of one browser, and which of them the agent must close.

    Attributes:
        playwright: The Playwright driver (``None`` when only a context was given).
        context: The browser context the agent's pages live in.
        browser: The browser, when the agent launched one (not for a persistent context).
        owns_playwright: The agent started the driver, so it stops it.
        owns_context: The agent created the context, so it closes it.
        gone: Set when the browser disconnected or its context closed under the agent.
    """

    playwright: Playwright | None
    context: BrowserContext
    browser: Browser | None = None
    owns_playwright: bool = True
    owns_context: bool = True
    gone: list[str] = field(default_factory=list[str])

    def watch(self) -> None:
        """Record a dying browser, so the next failing action is reported as a crash."""
        if self.browser is not None:
            self.browser.on("disconnected", lambda _: self.gone.append("the browser disconnected"))
        self.context.on("close", lambda _: self.gone.append("the browser context closed"))

    async def close(self) -> None:
        """Close what the agent opened; a browser that is already dead is not an error."""
        try:
            if self.owns_context:
                await self.context.close()
            if self.browser is not None:
                await self.browser.close()
        except Exception:  # a crashed browser cannot be closed, only forgotten
            pass
        finally:
            if self.owns_playwright and self.playwright is not None:
                await self.playwright.stop()


async def launch(
    *,
    playwright: Playwright | None,
    context: BrowserContext | None,
    headless: bool,
    browser_channel: str | None,
    browser_data_dir: str | None,
    viewport: tuple[int, int] | None,
) -> BrowserSession:
    """Start (or adopt) the driver and a browser context.

    The machine's Chromium is used (:func:`~parlay_ext.browser.find_chromium`) unless
    ``browser_channel`` names an installed channel such as ``"chrome"`` or a context is given.

    Raises:
        BrowserNotFoundError: No Chromium on this machine.
        BrowserError: The browser would not start.
    """
    if context is not None:
        session = BrowserSession(playwright, context, owns_playwright=False, owns_context=False)
        session.watch()
        return session
    owns_playwright = playwright is None
    driver = playwright if playwright is not None else await async_playwright().start()
    try:
        # Playwright adds --headless itself when asked to; a headed run must not get it.
        args = [arg for arg in CHROMIUM_ARGS if arg != "--headless"]
        executable = None if browser_channel is not None else find_chromium()
        size = ViewportSize(width=viewport[0], height=viewport[1]) if viewport else None
        if browser_data_dir is not None:
            new_context = await driver.chromium.launch_persistent_context(
                browser_data_dir,
                headless=headless,
                args=args,
                channel=browser_channel,
                executable_path=executable,
                viewport=size,
                accept_downloads=True,
            )
            session = BrowserSession(driver, new_context, owns_playwright=owns_playwright)
        else:
            browser = await driver.chromium.launch(
                headless=headless, args=args, channel=browser_channel, executable_path=executable
            )
            new_context = await browser.new_context(viewport=size, accept_downloads=True)
            session = BrowserSession(driver, new_context, browser, owns_playwright=owns_playwright)
    except BaseException as error:
        if owns_playwright:
            await driver.stop()
        if isinstance(error, BrowserError) or not isinstance(error, Exception):
            raise
        raise browser_error(error, "starting Chromium") from error
    session.watch()
    return session
