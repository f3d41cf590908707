"""MultimodalWebSurfer: an AgentChat agent that browses with a real Chromium.

On each turn the agent shows its model the current page (a screenshot with numbered marks on
the interactive elements when the model has vision, a list of those elements in any case) and
the request; the model answers directly or picks one browser action; the agent performs it and
answers with what the browser now shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote_plus

from pydantic import BaseModel, Field
from typing_extensions import Self

from parlay_agentchat.agents import BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    MultiModalMessage,
    TextMessage,
)
from parlay_agentchat.utils import content_to_str, remove_images
from parlay_core import EVENT_LOGGER_NAME, CancellationToken, Component, ComponentModel, Image
from parlay_core.exceptions import (
    BrowserCrashedError,
    BrowserError,
    StateError,
    ToolArgumentsError,
)
from parlay_core.model_context import ChatCompletionContextState
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    ModelFamily,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import ToolSchema
from parlay_ext.agents.web_surfer import _tools as tools
from parlay_ext.agents.web_surfer._browser import BrowserSession, launch
from parlay_ext.agents.web_surfer._controller import (
    PAGE_SCRIPT,
    PageState,
    PlaywrightController,
    browser_error,
)
from parlay_ext.agents.web_surfer._prompts import (
    QUESTION_SYSTEM_MESSAGE,
    action_prompt,
    question_prompt,
)
from parlay_ext.agents.web_surfer._sdk import BrowserContext, Download, Page, Playwright
from parlay_ext.agents.web_surfer._set_of_marks import (
    InteractiveRegion,
    mark_screenshot,
    open_png,
)

__all__ = ["MultimodalWebSurfer", "MultimodalWebSurferConfig", "MultimodalWebSurferState"]

_logger = logging.getLogger(f"{EVENT_LOGGER_NAME}.web_surfer")

# Models that keep the whole conversation in view; smaller ones see only the current request, as
# in AutoGen (a long browsing history overwhelms them).
_LONG_HISTORY_FAMILIES = {
    ModelFamily.GPT_4O,
    ModelFamily.GPT_41,
    ModelFamily.GPT_45,
    ModelFamily.GPT_5,
    ModelFamily.O1,
    ModelFamily.O3,
    ModelFamily.O4,
    ModelFamily.GPT_4,
    ModelFamily.GPT_35,
}
_TEXT_INPUT_ROLES = {"textbox", "searchbox", "search"}
# A page whose scripts keep running after "load" needs a moment before its screenshot shows it.
_SETTLE_SECONDS = 0.3
_SLEEP_TOOL_SECONDS = 3.0
# The context window assumed when the model client cannot say how many tokens remain.
_DEFAULT_CONTEXT_TOKENS = 128_000
_BLANK_LINES = re.compile(r"(\n\s*){3,}")


class MultimodalWebSurferConfig(BaseModel):
    """The component config of :class:`MultimodalWebSurfer` (AutoGen's fields, and Parlay's
    ``search_url`` and ``timeout``)."""

    name: str
    model_client: ComponentModel
    downloads_folder: str | None = None
    description: str | None = None
    debug_dir: str | None = None
    headless: bool = True
    start_page: str | None = "https://www.bing.com/"
    animate_actions: bool = False
    to_save_screenshots: bool = False
    use_ocr: bool = False
    browser_channel: str | None = None
    browser_data_dir: str | None = None
    to_resize_viewport: bool = True
    search_url: str = "https://www.bing.com/search?q={query}&FORM=QBLH"
    timeout: float = Field(default=60.0, gt=0)


class MultimodalWebSurfer(BaseChatAgent, Component[MultimodalWebSurferConfig]):
    """An agent that searches the web and uses web pages in a real, headless Chromium.

    Install with ``pip install "parlay-ext[web-surfer]"``. It drives the machine's Chromium
    (Debian's ``chromium`` package, a Chrome, or ``PARLAY_CHROMIUM``; see
    :func:`parlay_ext.browser.find_chromium`), started on the agent's first turn and stopped by
    :meth:`close`.

    Each turn: the agent labels the page's interactive elements with ids, takes a screenshot and
    draws the labels on it (the "set of marks"), and asks its model for an answer or one action:
    ``visit_url``, ``web_search``, ``history_back``, ``click``, ``input_text``, ``hover``,
    ``select_option``, ``scroll_up``/``scroll_down``, ``scroll_element_up``/``_down``,
    ``answer_question``, ``summarize_page`` or ``sleep``. It performs the action and answers with
    a :class:`~parlay_agentchat.messages.MultiModalMessage`: what it did, the page's title, URL,
    position and visible text, and a screenshot. A model without vision gets the element list
    as text and the agent answers with a :class:`~parlay_agentchat.messages.TextMessage`.

    A failed action (an element id that does not exist, a URL that does not resolve, a page that
    does not load within ``timeout``) becomes the turn's answer, starting ``Web surfing error:``,
    so the team can try something else, as in AutoGen. A browser that dies raises
    :class:`~parlay_core.exceptions.BrowserCrashedError` instead, since no action can succeed;
    the next turn starts a new browser.

    Web pages can carry instructions meant to mislead the model (prompt injection); run the
    agent where what it can reach and do is acceptable.

    Args:
        name: The agent's name.
        model_client: A model client that supports function calling (and ideally vision).
        downloads_folder: Where downloaded files are saved; ``None`` does not save them.
        description: What the agent does, for team selectors.
        debug_dir: Where screenshots are saved when ``to_save_screenshots``.
        headless: Run the browser without a window.
        start_page: The page opened first (and after a reset).
        animate_actions: Outline each element before acting on it (for a watching person).
        to_save_screenshots: Save each screenshot into ``debug_dir``.
        use_ocr: Kept for AutoGen's signature; not used.
        browser_channel: A Playwright channel (``"chrome"``, ``"msedge"``) instead of the
            machine's Chromium.
        browser_data_dir: A profile folder, kept between runs (a persistent context).
        to_resize_viewport: Set the viewport to ``VIEWPORT_WIDTH`` x ``VIEWPORT_HEIGHT``.
        playwright: A running Playwright driver to use (the agent then does not stop it).
        context: A browser context to use (the agent then does not close it).
        search_url: The search page for ``web_search``, with ``{query}`` where the URL-encoded
            query goes. Defaults to Bing's, as in AutoGen.
        timeout: Seconds a page may take to load before the action fails.

    Raises:
        AgentConfigurationError: (a ``ValueError``) ``to_save_screenshots`` without
            ``debug_dir``, a model without function calling, a ``search_url`` without
            ``{query}``, or a ``timeout`` that is not positive.
    """

    component_config_schema = MultimodalWebSurferConfig
    component_provider_override = "parlay_ext.agents.web_surfer.MultimodalWebSurfer"

    DEFAULT_DESCRIPTION = (
        "A helpful assistant with access to a web browser. Ask them to perform web searches, "
        "open pages, and interact with content (clicking links, scrolling, filling in form "
        "fields, choosing from lists). It can also summarize the whole page, or answer "
        "questions based on its content, and wait for a page that is still loading."
    )
    DEFAULT_START_PAGE = "https://www.bing.com/"
    DEFAULT_SEARCH_URL = "https://www.bing.com/search?q={query}&FORM=QBLH"

    VIEWPORT_HEIGHT = 900
    VIEWPORT_WIDTH = 1440
    # The screenshot the model sees, scaled to fit common vision models' short-edge limit.
    MLM_HEIGHT = 765
    MLM_WIDTH = 1224
    SCREENSHOT_TOKENS = 1105

    def __init__(
        self,
        name: str,
        model_client: ChatCompletionClient,
        downloads_folder: str | None = None,
        description: str = DEFAULT_DESCRIPTION,
        debug_dir: str | None = None,
        headless: bool = True,
        start_page: str | None = DEFAULT_START_PAGE,
        animate_actions: bool = False,
        to_save_screenshots: bool = False,
        use_ocr: bool = False,
        browser_channel: str | None = None,
        browser_data_dir: str | None = None,
        to_resize_viewport: bool = True,
        playwright: Playwright | None = None,
        context: BrowserContext | None = None,
        *,
        search_url: str = DEFAULT_SEARCH_URL,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(name, description)
        if to_save_screenshots and debug_dir is None:
            raise AgentConfigurationError(
                "to_save_screenshots needs a debug_dir to save them in; set debug_dir (it is "
                "created when missing)."
            )
        if not model_client.model_info["function_calling"]:
            raise AgentConfigurationError(
                "MultimodalWebSurfer needs a model client that supports function calling (its "
                "model_info says function_calling=False); choose one that does."
            )
        if "{query}" not in search_url:
            raise AgentConfigurationError(
                f"search_url must contain '{{query}}'; got {search_url!r}."
            )
        if timeout <= 0:
            raise AgentConfigurationError(f"timeout must be positive seconds; got {timeout!r}.")
        self._model_client = model_client
        self.downloads_folder = downloads_folder
        self.debug_dir = debug_dir
        self.headless = headless
        self.start_page = start_page or self.DEFAULT_START_PAGE
        self.animate_actions = animate_actions
        self.to_save_screenshots = to_save_screenshots
        self.use_ocr = use_ocr
        self.browser_channel = browser_channel
        self.browser_data_dir = browser_data_dir
        self.to_resize_viewport = to_resize_viewport
        self.search_url = search_url
        self.timeout = timeout
        self._given_playwright = playwright
        self._given_context = context
        self._session: BrowserSession | None = None
        self._page: Page | None = None
        self._downloads: list[Download] = []
        self._prior_metadata_hash: str | None = None
        self._resume_url: str | None = None
        self._chat_history: list[LLMMessage] = []
        self._playwright_controller = PlaywrightController(
            downloads_folder=downloads_folder,
            animate_actions=animate_actions,
            viewport_width=self.VIEWPORT_WIDTH,
            viewport_height=self.VIEWPORT_HEIGHT,
            _download_handler=self._on_download,
            to_resize_viewport=to_resize_viewport,
            timeout=timeout,
        )
        self.default_tools: list[ToolSchema] = [
            tools.TOOL_VISIT_URL,
            tools.TOOL_WEB_SEARCH,
            tools.TOOL_HISTORY_BACK,
            tools.TOOL_CLICK,
            tools.TOOL_INPUT_TEXT,
            tools.TOOL_ANSWER_QUESTION,
            tools.TOOL_SUMMARIZE_PAGE,
            tools.TOOL_SLEEP,
            tools.TOOL_HOVER,
        ]

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def did_lazy_init(self) -> bool:
        """Whether the browser is running (it starts on the agent's first turn)."""
        return self._session is not None

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """MultiModalMessage (with a screenshot), or TextMessage for answers and errors."""
        return (MultiModalMessage, TextMessage)

    async def _lazy_init(self) -> None:
        """Start the browser and open the start page (or the page of a loaded state)."""
        session = await launch(
            playwright=self._given_playwright,
            context=self._given_context,
            headless=self.headless,
            browser_channel=self.browser_channel,
            browser_data_dir=self.browser_data_dir,
            viewport=(self.VIEWPORT_WIDTH, self.VIEWPORT_HEIGHT)
            if self.to_resize_viewport
            else None,
        )
        self._session = session
        try:
            session.context.set_default_timeout(self.timeout * 1000)
            page = await session.context.new_page()
            self._page = page
            page.on("download", self._on_download)
            if self.to_resize_viewport:
                await page.set_viewport_size(
                    {"width": self.VIEWPORT_WIDTH, "height": self.VIEWPORT_HEIGHT}
                )
            await page.add_init_script(script=PAGE_SCRIPT)
            if self.debug_dir is not None:
                await asyncio.to_thread(_make_folder, self.debug_dir)
        except Exception as error:
            await self._discard_browser()
            raise browser_error(error, "opening the first page") from error
        self._prior_metadata_hash = None
        url, self._resume_url = self._resume_url or self.start_page, None
        await self._playwright_controller.visit_page(page, url)
        await self._save_screenshot("screenshot")

    async def close(self) -> None:
        """Stop the browser (and the driver, unless they were given to the agent)."""
        await self._discard_browser()

    async def _discard_browser(self) -> None:
        session, page = self._session, self._page
        self._session, self._page = None, None
        self._downloads.clear()
        if session is None:
            return
        if not session.owns_context and page is not None:
            # The context belongs to the caller: close only the page the agent opened in it.
            with contextlib.suppress(Exception):
                await page.close()
        await session.close()

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget the conversation and go back to the start page.

        A browser that died meanwhile is let go (the next turn starts a new one at the start
        page) rather than failing the reset.

        Raises:
            BrowserActionError: The start page cannot be opened.
        """
        self._chat_history.clear()
        self._resume_url = None
        if self._page is None:
            return
        try:
            await self._playwright_controller.visit_page(self._page, self.start_page)
        except Exception as error:
            if self._crash_of(error) is None:
                raise
            _logger.info("%s: the browser had died; a new one starts on the next turn", self.name)
            await self._discard_browser()
            return
        self._prior_metadata_hash = None
        _logger.info("%s: reset the browser to %s", self.name, self.start_page)

    async def save_state(self) -> Mapping[str, Any]:
        """Save the conversation and the current page's URL.

        Returns:
            ``{"type": "MultimodalWebSurferState", "version": "1.0.0", "chat_history":
            {"messages": [...]}, "url": ...}``.
        """
        url = self._page.url if self._page is not None else self._resume_url
        return MultimodalWebSurferState(
            chat_history=ChatCompletionContextState(messages=list(self._chat_history)).model_dump(
                mode="json"
            ),
            url=url,
        ).model_dump(mode="json")

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a saved conversation; the browser (re)opens the saved page.

        Raises:
            StateError: ``state`` is not a saved web surfer state.
        """
        try:
            loaded = MultimodalWebSurferState.model_validate(dict(state))
            history = ChatCompletionContextState.model_validate(loaded.chat_history)
        except ValueError as error:
            raise StateError(
                f"This is not a saved MultimodalWebSurfer state ({error}); pass what "
                "save_state() returned."
            ) from error
        self._chat_history = list(history.messages)
        if loaded.url is None:
            return
        if self._page is not None:
            await self._playwright_controller.visit_page(self._page, loaded.url)
            self._prior_metadata_hash = None
        else:
            self._resume_url = loaded.url

    # --- a turn ----------------------------------------------------------------------------------

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Take the new messages, browse, and answer (see :meth:`on_messages_stream`)."""
        async for item in self.on_messages_stream(messages, cancellation_token):
            if isinstance(item, Response):
                return item
        raise AssertionError("on_messages_stream always ends with a Response")

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Let the model choose one action, perform it, and yield the page it leads to.

        Raises:
            BrowserCrashedError: The browser died; the next turn starts a new one.
            BrowserNotFoundError: No Chromium is installed (on the first turn).
        """
        for message in messages:
            self._chat_history.append(message.to_model_message())
        turn = _Turn()
        try:
            content = await self._generate_reply(turn, cancellation_token)
        except Exception as error:
            crashed = self._crash_of(error)
            if crashed is not None:
                await self._discard_browser()
                raise crashed from error
            if isinstance(error, BrowserError) and self._session is None:
                # The browser never started (no Chromium, a failed launch): nothing to retry.
                raise
            content = f"Web surfing error:\n\n{type(error).__name__}: {error}"
            _logger.info("%s: %s", self.name, content)
            self._chat_history.append(AssistantMessage(content=content, source=self.name))
            yield Response(
                chat_message=TextMessage(content=content, source=self.name),
                inner_messages=turn.inner_messages,
            )
            return
        self._chat_history.append(
            AssistantMessage(content=content_to_str(content), source=self.name)
        )
        usage = RequestUsage(
            prompt_tokens=sum(u.prompt_tokens for u in turn.usage),
            completion_tokens=sum(u.completion_tokens for u in turn.usage),
        )
        if isinstance(content, str):
            chat_message: BaseChatMessage = TextMessage(
                content=content, source=self.name, models_usage=usage
            )
        else:
            chat_message = MultiModalMessage(content=content, source=self.name, models_usage=usage)
        yield Response(chat_message=chat_message, inner_messages=turn.inner_messages)

    def _crash_of(self, error: BaseException) -> BrowserCrashedError | None:
        if isinstance(error, BrowserCrashedError):
            return error
        session = self._session
        if session is not None and session.gone:
            return BrowserCrashedError(
                f"The browser went away ({session.gone[0]}) while the agent used it: "
                f"{type(error).__name__}: {error}. It will be started again on the next turn."
            )
        return None

    async def _generate_reply(
        self, turn: _Turn, cancellation_token: CancellationToken
    ) -> str | list[str | Image]:
        if self._session is None:
            await self._lazy_init()
        page = self._require_page()
        history = remove_images(self._chat_history)
        request = history.pop() if history else UserMessage(content="Empty request.", source="user")
        if self._model_client.model_info["family"] not in _LONG_HISTORY_FAMILIES:
            history = []

        controller = self._playwright_controller
        regions = await controller.get_interactive_rects(page)
        state = await controller.get_page_state(page)
        viewport = state.viewport
        marked = mark_screenshot(await self._screenshot(page), regions)
        if self.to_save_screenshots:
            self._save_image(marked.image, "screenshot_som")

        offered = list(self.default_tools)
        if viewport["pageTop"] > 5:
            offered.append(tools.TOOL_SCROLL_UP)
        if viewport["pageTop"] + viewport["height"] + 5 < viewport["scrollHeight"]:
            offered.append(tools.TOOL_SCROLL_DOWN)
        if any(region["role"] == "combobox" for region in regions.values()):
            offered.append(tools.TOOL_SELECT_OPTION)
        if any(region["v_scrollable"] for region in regions.values()):
            offered += [tools.TOOL_SCROLL_ELEMENT_UP, tools.TOOL_SCROLL_ELEMENT_DOWN]
        tool_names = "\n".join(tool["name"] for tool in offered)

        others = _target_lines(marked.above, regions) + _target_lines(marked.below, regions)
        if len(others) > 30:
            others = [*others[:30], "..."]
        vision = bool(self._model_client.model_info["vision"])
        text = action_prompt(
            state="Your " + _describe(state, page.url),
            visible_targets="\n".join(_target_lines(marked.visible, regions)),
            other_targets="\n".join(others),
            focus=_focus_hint(state.focused, regions),
            tool_names=tool_names,
            title=state.title,
            url=page.url,
            with_screenshot=vision,
        )
        text = _BLANK_LINES.sub("\n\n", text)
        if vision:
            scaled = marked.image.resize((self.MLM_WIDTH, self.MLM_HEIGHT))
            prompt = UserMessage(content=[text, Image.from_pil(scaled)], source=self.name)
        else:
            prompt = UserMessage(content=text, source=self.name)

        result = await self._model_client.create(
            [*history, prompt, request],
            tools=offered,
            tool_choice="auto",
            cancellation_token=cancellation_token,
        )
        turn.usage.append(result.usage)
        self._downloads.clear()
        if isinstance(result.content, str):
            turn.inner_messages.append(TextMessage(content=result.content, source=self.name))
            return result.content
        if not result.content:
            raise ToolArgumentsError("The model answered with an empty list of tool calls.")
        call = result.content[0]
        return await self._execute_tool(
            call.name, call.arguments, regions, tool_names, turn, cancellation_token
        )

    def _require_page(self) -> Page:
        if self._page is None:
            raise BrowserCrashedError("The browser has no open page; it will be started again.")
        return self._page

    async def _execute_tool(
        self,
        name: str,
        arguments: str,
        regions: dict[str, InteractiveRegion],
        tool_names: str,
        turn: _Turn,
        cancellation_token: CancellationToken,
    ) -> str | list[str | Image]:
        try:
            parsed: object = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as error:
            raise ToolArgumentsError(
                f"The arguments of the {name!r} call are not JSON ({error}): {arguments!r}"
            ) from error
        if not isinstance(parsed, dict):
            raise ToolArgumentsError(f"The arguments of {name!r} must be a JSON object.")
        args = cast(dict[str, Any], parsed)
        page = self._require_page()
        call_text = f"{name}( {json.dumps(args)} )"
        _logger.info("%s: %s on %s", self.name, call_text, page.url)
        turn.inner_messages.append(TextMessage(content=call_text, source=self.name))
        controller = self._playwright_controller

        def argument(key: str) -> str:
            if key not in args:
                raise ToolArgumentsError(f"The {name!r} call lacks its {key!r} argument.")
            return str(args[key])

        def target_name(key: str) -> str:
            region = regions.get(argument(key))
            label = region["aria_name"].strip() if region is not None else ""
            return f"'{label}'" if label else "the control"

        if name == "visit_url":
            url = argument("url").strip()
            description = f"I typed '{url}' into the browser address bar."
            if not url.startswith(("https://", "http://", "file://", "about:", "data:")):
                # Words with spaces are a search; anything else is a host name.
                url = self._search_page(url) if " " in url else f"https://{url}"
            await controller.visit_page(page, url)
            self._prior_metadata_hash = None
        elif name == "web_search":
            query = argument("query")
            description = f"I typed '{query}' into the browser search bar."
            await controller.visit_page(page, self._search_page(query))
            self._prior_metadata_hash = None
        elif name == "history_back":
            description = "I clicked the browser back button."
            await controller.back(page)
        elif name == "scroll_up":
            description = "I scrolled up one page in the browser."
            await controller.page_up(page)
        elif name == "scroll_down":
            description = "I scrolled down one page in the browser."
            await controller.page_down(page)
        elif name == "click":
            description = f"I clicked {target_name('target_id')}."
            new_page = await controller.click_id(page, argument("target_id"))
            if new_page is not None:
                description += " It opened a new tab, which I switched to."
                self._page = new_page
                self._prior_metadata_hash = None
        elif name == "input_text":
            value = argument("text_value")
            description = f"I typed '{value}' into {target_name('input_field_id')}."
            await controller.fill_id(page, argument("input_field_id"), value)
        elif name == "select_option":
            chosen = await controller.select_option_id(
                page, argument("target_id"), argument("option")
            )
            description = f"I chose '{chosen}' in {target_name('target_id')}."
        elif name in ("scroll_element_up", "scroll_element_down"):
            direction = name.rpartition("_")[2]
            description = f"I scrolled {target_name('target_id')} {direction}."
            await controller.scroll_id(page, argument("target_id"), direction)
        elif name == "hover":
            description = f"I hovered over {target_name('target_id')}."
            await controller.hover_id(page, argument("target_id"))
        elif name == "answer_question":
            return await self._summarize_page(argument("question"), turn, cancellation_token)
        elif name == "summarize_page":
            return await self._summarize_page(None, turn, cancellation_token)
        elif name == "sleep":
            description = "I waited a short time before taking further action."
            await controller.sleep(page, _SLEEP_TOOL_SECONDS)
        else:
            raise ToolArgumentsError(
                f"The model chose the tool {name!r}, which the web surfer does not have. Its "
                f"tools are:\n{tool_names}"
            )

        page = self._require_page()
        await controller.wait_for_page(page)
        await asyncio.sleep(_SETTLE_SECONDS)
        description += await self._save_downloads(page)
        return await self._observation(page, description)

    def _on_download(self, download: Download) -> None:
        self._downloads.append(download)

    def _search_page(self, query: str) -> str:
        return self.search_url.replace("{query}", quote_plus(query))

    async def _save_downloads(self, page: Page) -> str:
        """Save the downloads the action started; show a page that says where they went."""
        if not self._downloads:
            return ""
        downloads, self._downloads[:] = list(self._downloads), []
        if self.downloads_folder is None:
            for download in downloads:
                await download.cancel()
            names = ", ".join(repr(d.suggested_filename) for d in downloads)
            return f" It started a download ({names}), which was not saved: the agent has no downloads_folder."
        folder = Path(self.downloads_folder)
        await asyncio.to_thread(_make_folder, folder)
        saved: list[Path] = []
        for download in downloads:
            # Only the file name: a page must not choose where on disk its download lands.
            target = folder / (Path(download.suggested_filename).name or "download")
            try:
                await download.save_as(target)
            except Exception as error:
                raise browser_error(error, f"saving the download {target.name!r}") from error
            saved.append(target)
        listing = "".join(
            f"<li>{html.escape(path.name)}: {html.escape(str(path))}</li>" for path in saved
        )
        await page.set_content(
            "<html><head><title>Download saved</title></head><body><h1>Download saved</h1>"
            f"<ul>{listing}</ul></body></html>"
        )
        self._prior_metadata_hash = None
        return " It downloaded " + ", ".join(f"'{p.name}' to {p}" for p in saved) + "."

    async def _observation(self, page: Page, description: str) -> str | list[str | Image]:
        state = await self._playwright_controller.get_page_state(page)
        metadata = json.dumps(state.metadata, indent=4)
        digest = hashlib.sha256(metadata.encode()).hexdigest()
        metadata_text = (
            f"\n\nThe page has this metadata:\n\n{metadata}\n"
            if digest != self._prior_metadata_hash and metadata != "{}"
            else ""
        )
        self._prior_metadata_hash = digest
        png = await self._screenshot(page)
        await self._save_screenshot("screenshot", png)
        text = _BLANK_LINES.sub(
            "\n\n", f"{description}\n\nThe {_describe(state, page.url)}{metadata_text}"
        )
        if not self._model_client.model_info["vision"]:
            return text
        # The PNG bytes as the browser made them: no decoding and re-encoding.
        return [text + "\nHere is a screenshot of the page.", Image(png, "image/png")]

    async def _summarize_page(
        self, question: str | None, turn: _Turn, cancellation_token: CancellationToken
    ) -> str:
        page = self._require_page()
        text = await self._playwright_controller.get_page_markdown(page)
        title = await page.title() or page.url
        prompt = question_prompt(title, question)
        vision = bool(self._model_client.model_info["vision"])
        system = SystemMessage(content=QUESTION_SYSTEM_MESSAGE)
        # Add lines while the model has room for them (and for the screenshot).
        reserve = self.SCREENSHOT_TOKENS if vision else 0
        kept: list[str] = []
        for line in text.splitlines():
            trial = UserMessage(content=prompt + "\n".join([*kept, line]), source=self.name)
            try:
                remaining = self._model_client.remaining_tokens([system, trial])
            except KeyError:
                remaining = _DEFAULT_CONTEXT_TOKENS - self._model_client.count_tokens(
                    [system, trial]
                )
            if remaining <= reserve:
                break
            kept.append(line)
        body = "\n".join(kept).strip()
        if not body:
            return "Nothing to summarize: the page has no text."
        if vision:
            png = await self._screenshot(page)
            shot = open_png(png)
            image = Image.from_pil(shot.resize((self.MLM_WIDTH, self.MLM_HEIGHT)))
            shot.close()
            message = UserMessage(content=[prompt + body, image], source=self.name)
        else:
            message = UserMessage(content=prompt + body, source=self.name)
        result = await self._model_client.create(
            [system, message], cancellation_token=cancellation_token
        )
        turn.usage.append(result.usage)
        if not isinstance(result.content, str):
            raise ToolArgumentsError(
                "The model answered a question about the page with tool calls instead of text."
            )
        return result.content

    # --- screenshots -----------------------------------------------------------------------------

    async def _screenshot(self, page: Page) -> bytes:
        try:
            return await page.screenshot()
        except Exception as error:
            raise browser_error(error, "taking a screenshot") from error

    async def _save_screenshot(self, stem: str, png: bytes | None = None) -> None:
        if not self.to_save_screenshots or self.debug_dir is None or self._page is None:
            return
        data = png if png is not None else await self._screenshot(self._page)
        path = Path(self.debug_dir) / f"{stem}_{time.time_ns()}.png"
        path.write_bytes(data)
        _logger.info("%s: screenshot %s", self.name, path.name)

    def _save_image(self, image: Any, stem: str) -> None:
        if self.debug_dir is not None:
            image.save(Path(self.debug_dir) / f"{stem}_{time.time_ns()}.png")

    # --- component config ------------------------------------------------------------------------

    def _to_config(self) -> MultimodalWebSurferConfig:
        return MultimodalWebSurferConfig(
            name=self.name,
            model_client=self._model_client.dump_component(),
            downloads_folder=self.downloads_folder,
            description=self.description,
            debug_dir=self.debug_dir,
            headless=self.headless,
            start_page=self.start_page,
            animate_actions=self.animate_actions,
            to_save_screenshots=self.to_save_screenshots,
            use_ocr=self.use_ocr,
            browser_channel=self.browser_channel,
            browser_data_dir=self.browser_data_dir,
            to_resize_viewport=self.to_resize_viewport,
            search_url=self.search_url,
            timeout=self.timeout,
        )

    @classmethod
    def _from_config(cls, config: MultimodalWebSurferConfig) -> Self:
        return cls(
            name=config.name,
            model_client=ChatCompletionClient.load_component(config.model_client),
            downloads_folder=config.downloads_folder,
            description=config.description or cls.DEFAULT_DESCRIPTION,
            debug_dir=config.debug_dir,
            headless=config.headless,
            start_page=config.start_page or cls.DEFAULT_START_PAGE,
            animate_actions=config.animate_actions,
            to_save_screenshots=config.to_save_screenshots,
            use_ocr=config.use_ocr,
            browser_channel=config.browser_channel,
            browser_data_dir=config.browser_data_dir,
            to_resize_viewport=config.to_resize_viewport,
            search_url=config.search_url,
            timeout=config.timeout,
        )


class MultimodalWebSurferState(BaseModel):
    """What :meth:`MultimodalWebSurfer.save_state` returns."""

    type: str = "MultimodalWebSurferState"
    version: str = "1.0.0"
    chat_history: Mapping[str, Any] = Field(default_factory=lambda: {"messages": []})
    url: str | None = None


class _Turn:
    """What one turn collects: the inner messages and each model call's usage."""

    def __init__(self) -> None:
        self.inner_messages: list[BaseAgentEvent | BaseChatMessage] = []
        self.usage: list[RequestUsage] = []


def _describe(state: PageState, url: str) -> str:
    """Where the browser is and what it shows, after "Your " or "The "."""
    viewport = state.viewport
    total = max(viewport["scrollHeight"], 1.0)
    visible = int(viewport["height"] * 100 / total)
    scrolled = int(viewport["pageTop"] * 100 / total)
    if scrolled < 1:
        position = "at the top of the page"
    elif scrolled + visible >= 99:
        position = "at the bottom of the page"
    else:
        position = f"{scrolled}% down from the top of the page"
    return (
        f"web browser is open to the page [{state.title}]({url}).\n"
        f"The viewport shows {min(visible, 100)}% of the webpage, and is positioned "
        f"{position}.\nThe following text is visible in the viewport:\n\n{state.visible_text}"
    )


def _focus_hint(focused: str | None, regions: dict[str, InteractiveRegion]) -> str:
    if focused is None:
        return ""
    region = regions.get(focused)
    role = region["role"] if region is not None and region["role"] else "control"
    label = region["aria_name"].strip() if region is not None else ""
    named = f" (named '{label}')" if label else ""
    return f"The {role} with id {focused}{named} has the input focus."


def _make_folder(path: str | Path) -> None:
    Path(path).mkdir(parents=True, exist_ok=True)


def _target_lines(ids: Sequence[str], regions: dict[str, InteractiveRegion]) -> list[str]:
    lines: list[str] = []
    for element_id in dict.fromkeys(ids):
        region = regions.get(element_id)
        if region is None:
            continue
        role = region["role"].strip() or region["tag_name"]
        label = re.sub(r"[\n\r]+", " ", region["aria_name"]).strip()
        if region["role"] in _TEXT_INPUT_ROLES:
            actions = '["input_text"]'
        elif region["role"] == "combobox":
            actions = '["select_option"]'
        else:
            actions = '["click", "hover"]'
        lines.append(
            f'{{"id": {element_id}, "name": {json.dumps(label)}, "role": "{role}", '
            f'"tools": {actions}}}'
        )
    return lines
