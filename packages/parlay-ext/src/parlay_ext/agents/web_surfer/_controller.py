"""PlaywrightController: the page actions of the web surfer, one Playwright page at a time.

Every failure leaves here as a :class:`~parlay_core.exceptions.BrowserError`: a missing element
id or a refused navigation as :class:`BrowserActionError`, a page that does not load in time as
:class:`BrowserTimeoutError`, a dead browser as :class:`BrowserCrashedError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_core.exceptions import (
    BrowserActionError,
    BrowserCrashedError,
    BrowserError,
    BrowserTimeoutError,
)
from parlay_ext.agents.web_surfer._sdk import Download, Error, Page, TimeoutError
from parlay_ext.agents.web_surfer._set_of_marks import InteractiveRegion, region_from_script

__all__ = ["PageState", "PlaywrightController", "browser_error"]

PAGE_SCRIPT = (
    resources.files("parlay_ext.agents.web_surfer").joinpath("_page_script.js").read_text("utf-8")
)

# What Playwright says when the page, its context or the whole browser went away under it.
_GONE_MARKERS = (
    "has been closed",
    "Target closed",
    "Connection closed",
    "Browser closed",
    "Page crashed",
    "browser has disconnected",
)


def browser_error(error: BaseException, doing: str) -> BrowserError:
    """Translate a Playwright failure into Parlay's error for it.

    Args:
        error: What Playwright (or the page) raised.
        doing: What was being done, for the message (``"opening https://..."``).
    """
    if isinstance(error, BrowserError):
        return error
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, TimeoutError):
        return BrowserTimeoutError(f"Timed out {doing}: {text}")
    if any(marker in str(error) for marker in _GONE_MARKERS):
        return BrowserCrashedError(
            f"The browser went away while {doing} ({text}). It will be started again on the "
            "agent's next turn."
        )
    return BrowserActionError(f"Failed {doing}: {text}")


@dataclass
class PageState:
    """What the agent tells its model about a page (read in one round trip).

    Attributes:
        title: The document's title.
        viewport: The viewport's size and scroll position and the page's size (CSS pixels).
        focused: The id of the element with the input focus, if any.
        visible_text: The text inside the viewport, one line per block.
        metadata: The page's meta tags and JSON-LD data.
    """

    title: str
    viewport: dict[str, float]
    focused: str | None
    visible_text: str
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])


class PlaywrightController:
    """Performs the web surfer's actions on a Playwright page.

    Args:
        downloads_folder: Where the agent saves downloads (kept for AutoGen's signature; the
            agent saves them).
        animate_actions: Outline the element acted on for a moment first, so a person watching
            a headed browser sees what happens.
        viewport_width: The viewport's width in CSS pixels; scrolling moves by the height.
        viewport_height: The viewport's height in CSS pixels.
        _download_handler: Called with each download a page starts.
        to_resize_viewport: Resize new pages (pop-ups) to the viewport size.
        timeout: Seconds a page may take to load before :class:`BrowserTimeoutError`.
    """

    def __init__(
        self,
        downloads_folder: str | None = None,
        animate_actions: bool = False,
        viewport_width: int = 1440,
        viewport_height: int = 900,
        _download_handler: Callable[[Download], None] | None = None,
        to_resize_viewport: bool = True,
        *,
        timeout: float = 60.0,
    ) -> None:
        if viewport_width <= 0 or viewport_height <= 0:
            raise AgentConfigurationError(
                f"The viewport must have a positive size; got {viewport_width}x{viewport_height}."
            )
        self.downloads_folder = downloads_folder
        self.animate_actions = animate_actions
        self.viewport_width = viewport_width
        self.viewport_height = viewport_height
        self.to_resize_viewport = to_resize_viewport
        self.timeout = timeout
        self._download_handler = _download_handler

    @property
    def _timeout_ms(self) -> float:
        return self.timeout * 1000

    async def _run_script(self, page: Page, function: str) -> Any:
        # The script defines itself only once per document, so evaluating it on every call
        # costs little and covers pages that were open before the init script was added.
        expression = f"() => {{ {PAGE_SCRIPT}\nreturn window.__parlaySurfer.{function}(); }}"
        for attempt in range(3):
            try:
                return await page.evaluate(expression)
            except Error as error:
                # The page navigated while being read (a redirect, a script, Chromium's own
                # error page after a failed load): read the new document once it has loaded.
                if "context was destroyed" not in str(error) or attempt == 2:
                    raise browser_error(error, f"reading the page ({function})") from error
                await self.wait_for_page(page)
            except Exception as error:
                raise browser_error(error, f"reading the page ({function})") from error
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def sleep(self, page: Page, duration: float) -> None:
        """Wait ``duration`` seconds (while the page keeps running)."""
        await asyncio.sleep(duration)

    async def get_interactive_rects(self, page: Page) -> dict[str, InteractiveRegion]:
        """Number the page's interactive elements and return their regions by id."""
        raw = cast(dict[str, dict[str, Any]], await self._run_script(page, "getInteractiveRects"))
        return {key: region_from_script(value) for key, value in raw.items()}

    async def get_visual_viewport(self, page: Page) -> dict[str, float]:
        """The viewport's size and scroll position, and the page's full size."""
        raw = cast(dict[str, Any], await self._run_script(page, "getVisualViewport"))
        return {key: float(value) for key, value in raw.items()}

    async def get_focused_rect_id(self, page: Page) -> str | None:
        """The id of the element that has the input focus, if it has one."""
        result = await self._run_script(page, "getFocusedElementId")
        return None if result is None else str(result)

    async def get_page_metadata(self, page: Page) -> dict[str, Any]:
        """The page's meta tags and JSON-LD data."""
        return cast(dict[str, Any], await self._run_script(page, "getPageMetadata"))

    async def get_page_state(self, page: Page) -> PageState:
        """The page's title, viewport, focused element id, visible text and metadata at once."""
        raw = cast(dict[str, Any], await self._run_script(page, "getPageState"))
        focused = raw.get("focused")
        return PageState(
            title=str(raw.get("title") or ""),
            viewport={key: float(value) for key, value in raw["viewport"].items()},
            focused=None if focused is None else str(focused),
            visible_text=str(raw.get("visibleText") or ""),
            metadata=cast(dict[str, Any], raw.get("metadata") or {}),
        )

    async def get_visible_text(self, page: Page) -> str:
        """The text that lies in the viewport, one line per block."""
        return str(await self._run_script(page, "getVisibleText"))

    async def get_webpage_text(self, page: Page, n_lines: int = 50) -> str:
        """The first ``n_lines`` non-empty lines of the page's text."""
        try:
            text = str(await page.evaluate("() => document.body ? document.body.innerText : ''"))
        except Exception as error:
            raise browser_error(error, "reading the page's text") from error
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return "\n".join(lines[:n_lines])

    async def get_page_markdown(self, page: Page) -> str:
        """The whole page's text (its lines in reading order), for questions and summaries."""
        return await self.get_webpage_text(page, n_lines=100_000)

    async def on_new_page(self, page: Page) -> None:
        """Prepare a page the browser opened by itself (a pop-up or a new tab)."""
        if self._download_handler is not None:
            page.on("download", self._download_handler)
        if self.to_resize_viewport:
            await page.set_viewport_size(
                {"width": self.viewport_width, "height": self.viewport_height}
            )
        await self.wait_for_page(page)

    async def wait_for_page(self, page: Page) -> None:
        """Wait until the page has loaded, at most the controller's timeout."""
        try:
            await page.wait_for_load_state("load", timeout=self._timeout_ms)
        except Exception as error:
            raise browser_error(error, f"waiting for {page.url} to load") from error

    async def visit_page(self, page: Page, url: str) -> tuple[bool, bool]:
        """Open ``url`` in the page.

        A URL that starts a download (so the page stays where it was) is not an error; the
        download reaches the download handler.

        Returns:
            ``(True, False)``: the page changed, so its metadata is new (AutoGen's shape).

        Raises:
            BrowserTimeoutError: The page did not load within the timeout.
            BrowserActionError: The address does not resolve or the server refused.
        """
        try:
            await page.goto(url, wait_until="load", timeout=self._timeout_ms)
        except Error as error:
            message = str(error)
            if "Download is starting" in message or "net::ERR_ABORTED" in message:
                return True, False
            raise browser_error(error, f"opening {url}") from error
        return True, False

    async def back(self, page: Page) -> None:
        """Go back one page in the history (nothing happens on the first page)."""
        try:
            await page.go_back(wait_until="load", timeout=self._timeout_ms)
        except Exception as error:
            raise browser_error(error, "going back") from error

    async def page_down(self, page: Page) -> None:
        """Scroll down by the viewport's height, less a strip kept for context."""
        await self._scroll_by(page, self.viewport_height - 50)

    async def page_up(self, page: Page) -> None:
        """Scroll up by the viewport's height, less a strip kept for context."""
        await self._scroll_by(page, -(self.viewport_height - 50))

    async def _scroll_by(self, page: Page, pixels: int) -> None:
        try:
            await page.evaluate("(pixels) => window.scrollBy(0, pixels)", pixels)
        except Exception as error:
            raise browser_error(error, "scrolling") from error

    async def _target(self, page: Page, identifier: str) -> Any:
        locator = page.locator(f"[data-parlay-id='{_checked_id(identifier)}']")
        try:
            count = await locator.count()
        except Exception as error:
            raise browser_error(error, f"finding element {identifier}") from error
        if count == 0:
            raise BrowserActionError(
                f"No element on the page has the id {identifier}: use one of the ids listed for "
                "the current page (the page may have changed since)."
            )
        target = locator.first
        try:
            await target.scroll_into_view_if_needed(timeout=self._timeout_ms)
        except Exception as error:
            raise browser_error(error, f"scrolling element {identifier} into view") from error
        if self.animate_actions:
            await self._highlight(target)
        return target

    async def _highlight(self, target: Any) -> None:
        # Only for a person watching a headed browser: an outline, briefly.
        try:
            await target.evaluate(
                "(element) => { element.style.outline = '3px solid red';"
                " setTimeout(() => { element.style.outline = ''; }, 600); }"
            )
        except Error:
            return
        await asyncio.sleep(0.4)

    async def click_id(self, page: Page, identifier: str) -> Page | None:
        """Click the element with the id, as a mouse would at its centre.

        Returns:
            The new page when the click opened one (a pop-up or a new tab), else ``None``.
        """
        target = await self._target(page, identifier)
        opened: list[Page] = []

        def record(new_page: Page) -> None:
            opened.append(new_page)

        page.context.on("page", record)
        try:
            # A target="_blank" link opens a tab for sure: wait for it. Any other click may
            # open one from a script; those get a moment to announce themselves.
            opens_tab = bool(await target.evaluate(_OPENS_TAB))
            box = await target.bounding_box()
            if opens_tab:
                async with page.context.expect_page(timeout=self._timeout_ms):
                    await self._click(page, target, box)
            else:
                await self._click(page, target, box)
                await asyncio.sleep(0.2)
        except Exception as error:
            raise browser_error(error, f"clicking element {identifier}") from error
        finally:
            page.context.remove_listener("page", record)
        if opened:
            await self.on_new_page(opened[-1])
            return opened[-1]
        return None

    async def _click(self, page: Page, target: Any, box: Any) -> None:
        if box is None:
            await target.click(timeout=self._timeout_ms)
        else:
            await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    async def hover_id(self, page: Page, identifier: str) -> None:
        """Move the mouse over the centre of the element with the id."""
        target = await self._target(page, identifier)
        try:
            await target.hover(timeout=self._timeout_ms)
        except Exception as error:
            raise browser_error(error, f"hovering over element {identifier}") from error

    async def fill_id(
        self, page: Page, identifier: str, value: str, press_enter: bool = True
    ) -> None:
        """Replace the text of the field with the id, then press Enter (unless told not to)."""
        target = await self._target(page, identifier)
        try:
            await target.focus(timeout=self._timeout_ms)
            try:
                await target.fill(value, timeout=self._timeout_ms)
            except Error:
                # Not an input, textarea or contenteditable (a custom widget): type key by key.
                await target.press_sequentially(value, timeout=self._timeout_ms)
            if press_enter:
                await target.press("Enter", timeout=self._timeout_ms)
        except Exception as error:
            raise browser_error(error, f"typing into element {identifier}") from error

    async def select_option_id(self, page: Page, identifier: str, option: str) -> str:
        """Choose an option of the ``<select>`` with the id, by its label or else its value.

        Returns:
            The label of the chosen option.
        """
        target = await self._target(page, identifier)
        try:
            try:
                await target.select_option(label=option, timeout=2000)
            except TimeoutError:
                await target.select_option(value=option, timeout=2000)
            label = await target.evaluate(
                "(element) => element.selectedOptions[0] ? element.selectedOptions[0].text : ''"
            )
        except TimeoutError as error:
            raise BrowserActionError(
                f"Element {identifier} has no option labelled or valued {option!r}, or it is "
                "not a drop-down list."
            ) from error
        except Exception as error:
            raise browser_error(error, f"choosing {option!r} in element {identifier}") from error
        return str(label)

    async def scroll_id(self, page: Page, identifier: str, direction: str) -> None:
        """Scroll the element with the id by its own height, ``"up"`` or ``"down"``."""
        target = await self._target(page, identifier)
        sign = -1 if direction == "up" else 1
        try:
            await target.evaluate(
                "(element, sign) => element.scrollBy(0, sign * element.clientHeight)", sign
            )
        except Exception as error:
            raise browser_error(error, f"scrolling element {identifier}") from error


# Whether the element is (inside) a link that always opens a new tab. (A link to a named
# window may reuse one that is open, so no new tab is certain for it.)
_OPENS_TAB = """(element) => {
  const link = element.closest("a[href], area[href]");
  return !!link && (link.getAttribute("target") || "").toLowerCase() === "_blank";
}"""


def _checked_id(identifier: str) -> str:
    # Ids come from the model: only digits ever reach a CSS selector.
    if not identifier.isdigit():
        raise BrowserActionError(f"Element ids are numbers; got {identifier!r}.")
    return identifier
