"""The web surfer drives a real headless Chromium through the local test site.

A replay model client chooses the actions; the tests assert what the browser really did: the
page it reached, the form values the server received, the file saved to disk, the labelled
elements on the screenshot the model saw. Bad input (a URL that does not resolve, a page that
never finishes loading, an element id that does not exist) becomes the turn's answer
(``Web surfing error: ...``), so the team can try something else, as in AutoGen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext

from parlay_agentchat.messages import MultiModalMessage, TextMessage
from parlay_core import CancellationToken, Image
from parlay_core.models import UserMessage
from parlay_ext.agents.web_surfer import MultimodalWebSurfer, PlaywrightController
from parlay_ext.models.replay import ReplayChatCompletionClient
from tests.integration.web_surfer._site import REPORT_CSV, Site
from tests.integration.web_surfer.conftest import action, scripted

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def context(shared_browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser context (own cookies, history and downloads) in the module's browser."""
    fresh = await shared_browser.new_context(accept_downloads=True)
    try:
        yield fresh
    finally:
        await fresh.close()


def surfer(
    client: ReplayChatCompletionClient, context: BrowserContext, start: str, **options: object
) -> MultimodalWebSurfer:
    return MultimodalWebSurfer(
        "surfer",
        model_client=client,
        start_page=start,
        context=context,
        **options,  # type: ignore[arg-type]
    )


def text_of(message: object) -> str:
    assert isinstance(message, (TextMessage, MultiModalMessage))
    if isinstance(message, TextMessage):
        return message.content
    return "\n".join(part for part in message.content if isinstance(part, str))


def prompt_of(client: ReplayChatCompletionClient, call: int = -1) -> UserMessage:
    """The page description the model was shown in a call (the message before the request)."""
    message = client.create_calls[call]["messages"][-2]
    assert isinstance(message, UserMessage)
    return message


def prompt_text(client: ReplayChatCompletionClient, call: int = -1) -> str:
    content = prompt_of(client, call).content
    return (
        content if isinstance(content, str) else "\n".join(p for p in content if isinstance(p, str))
    )


async def test_click_a_link_then_go_back(site: Site, context: BrowserContext) -> None:
    client = scripted(
        action("click", target_id=1), action("history_back"), "The home page has five links."
    )
    agent = surfer(client, context, f"{site.url}/")
    try:
        first = await agent.run(task="Open the form")
        # The model saw the home page with the link labelled 1.
        assert '{"id": 1, "name": "Open the form", "role": "link"' in prompt_text(client, 0)
        reply = first.messages[-1]
        assert isinstance(reply, MultiModalMessage)
        assert "I clicked 'Open the form'." in text_of(reply)
        assert f"[The form]({site.url}/form)" in text_of(reply)
        assert isinstance(reply.content[-1], Image)
        assert site.requests.count("/form") == 1

        back = await agent.run(task="Go back")
        assert f"[Parlay test home]({site.url}/)" in text_of(back.messages[-1])

        answer = await agent.run(task="How many links are there?")
        assert isinstance(answer.messages[-1], TextMessage)
        assert answer.messages[-1].content == "The home page has five links."
    finally:
        await agent.close()


async def test_fill_a_form_and_choose_from_a_list(site: Site, context: BrowserContext) -> None:
    client = scripted(
        action("select_option", target_id=2, option="Green"),
        action("input_text", input_field_id=1, text_value="Paris"),
    )
    agent = surfer(client, context, f"{site.url}/form")
    try:
        chose = await agent.run(task="Choose green")
        offered = [tool["name"] for tool in client.create_calls[0]["tools"]]
        assert "select_option" in offered
        assert '{"id": 1, "name": "City", "role": "textbox", "tools": ["input_text"]}' in (
            prompt_text(client, 0)
        )
        assert "I chose 'Green' in 'Favourite colour'." in text_of(chose.messages[-1])

        # Typing presses Enter, which submits the form.
        typed = await agent.run(task="Say you live in Paris")
        assert "I typed 'Paris' into 'City'." in text_of(typed.messages[-1])
        assert "You sent: city=Paris, colour=green" in text_of(typed.messages[-1])
        assert site.submissions[-1] == {"city": "Paris", "colour": "green"}
    finally:
        await agent.close()


async def test_scroll_a_long_page(site: Site, context: BrowserContext) -> None:
    client = scripted(action("scroll_down"), action("scroll_down"), action("scroll_up"))
    agent = surfer(client, context, f"{site.url}/long")
    try:
        down = await agent.run(task="Scroll down")
        offered = [tool["name"] for tool in client.create_calls[0]["tools"]]
        # At the top of the page there is nothing above to scroll to.
        assert "scroll_down" in offered
        assert "scroll_up" not in offered
        assert "positioned at the top of the page" in prompt_text(client, 0)
        first_down = text_of(down.messages[-1])
        assert "% down from the top of the page" in first_down
        assert "Paragraph number 1 of" not in first_down.split("visible in the viewport")[1]

        await agent.run(task="Further down")
        assert "scroll_up" in [tool["name"] for tool in client.create_calls[1]["tools"]]
        up = await agent.run(task="Back up a bit")
        assert "I scrolled up one page in the browser." in text_of(up.messages[-1])
        assert "% down from the top of the page" in text_of(up.messages[-1])
    finally:
        await agent.close()


async def test_scroll_a_box_inside_the_page(site: Site, context: BrowserContext) -> None:
    client = scripted(action("scroll_element_down", target_id=1))
    agent = surfer(client, context, f"{site.url}/menu")
    try:
        scrolled = await agent.run(task="Show more dishes")
        offered = [tool["name"] for tool in client.create_calls[0]["tools"]]
        assert {"scroll_element_down", "scroll_element_up"} <= set(offered)
        assert '{"id": 1, "name": "Dishes", "role": "div"' in prompt_text(client, 0)
        assert "I scrolled 'Dishes' down." in text_of(scrolled.messages[-1])
    finally:
        await agent.close()
    # The page reports its own scroll to the server (a request of its own: wait for it, bounded).
    for _ in range(100):
        if site.scroll_positions:
            break
        await asyncio.sleep(0.1)
    # The box moved by about its height.
    assert site.scroll_positions and site.scroll_positions[-1] > 100


async def test_hover_shows_what_the_page_reveals(site: Site, context: BrowserContext) -> None:
    client = scripted(action("hover", target_id=1))
    agent = surfer(client, context, f"{site.url}/hover")
    try:
        hovered = await agent.run(task="Open the menu")
        assert "I hovered over 'Menu'." in text_of(hovered.messages[-1])
        assert "The secret menu is open" in text_of(hovered.messages[-1])
    finally:
        await agent.close()


async def test_web_search_and_visit_url(site: Site, context: BrowserContext) -> None:
    client = scripted(
        action("web_search", query="parlay forms"),
        action("visit_url", url=f"{site.url}/long"),
    )
    agent = surfer(client, context, f"{site.url}/", search_url=f"{site.url}/search?q={{query}}")
    try:
        searched = await agent.run(task="Search for parlay forms")
        assert "Search results for parlay forms" in text_of(searched.messages[-1])
        visited = await agent.run(task="Open the long page")
        assert f"[The long page]({site.url}/long)" in text_of(visited.messages[-1])
    finally:
        await agent.close()


async def test_answer_a_question_from_the_page_text(site: Site, context: BrowserContext) -> None:
    client = scripted(
        action("answer_question", question="What is this site for?"), "It is for robots."
    )
    agent = surfer(client, context, f"{site.url}/")
    try:
        answered = await agent.run(task="What is this site for?")
        assert isinstance(answered.messages[-1], TextMessage)
        assert answered.messages[-1].content == "It is for robots."
        question = client.create_calls[1]["messages"][-1]
        assert isinstance(question, UserMessage) and not isinstance(question.content, str)
        assert "This site exists to be browsed by a robot." in str(question.content[0])
        assert "What is this site for?" in str(question.content[0])
    finally:
        await agent.close()


async def test_a_download_is_saved_in_the_downloads_folder(
    site: Site, context: BrowserContext, tmp_path: Path
) -> None:
    client = scripted(
        action("click", target_id=3), action("visit_url", url=f"{site.url}/report.csv")
    )
    agent = surfer(client, context, f"{site.url}/", downloads_folder=str(tmp_path / "downloads"))
    try:
        clicked = await agent.run(task="Download the report")
        saved = tmp_path / "downloads" / "report.csv"
        assert saved.read_bytes() == REPORT_CSV
        assert f"It downloaded 'report.csv' to {saved}." in text_of(clicked.messages[-1])
        saved.unlink()
        await agent.run(task="Download it again, by its address")
        assert saved.read_bytes() == REPORT_CSV
    finally:
        await agent.close()


async def test_a_link_to_a_new_tab_switches_to_it(site: Site, context: BrowserContext) -> None:
    client = scripted(action("click", target_id=4), action("history_back"))
    agent = surfer(client, context, f"{site.url}/")
    try:
        clicked = await agent.run(task="Open the pop-up")
        assert "It opened a new tab, which I switched to." in text_of(clicked.messages[-1])
        assert f"[The pop-up page]({site.url}/popup)" in text_of(clicked.messages[-1])
    finally:
        await agent.close()


async def test_the_screenshot_marks_each_interactive_element(
    site: Site, context: BrowserContext, tmp_path: Path
) -> None:
    client = scripted("Nothing to do.")
    debug = tmp_path / "debug"
    agent = surfer(client, context, f"{site.url}/", debug_dir=str(debug), to_save_screenshots=True)
    try:
        await agent.run(task="Look at the page")
    finally:
        await agent.close()
    # The debug folder holds the start page's screenshot and the marked one the model saw.
    saved = sorted(path.name.rsplit("_", 1)[0] for path in debug.glob("*.png"))
    assert saved == ["screenshot", "screenshot_som"]
    screenshot = prompt_of(client).content[-1]
    assert isinstance(screenshot, Image)
    marked = screenshot.image.convert("RGB")
    assert marked.size == (MultimodalWebSurfer.MLM_WIDTH, MultimodalWebSurfer.MLM_HEIGHT)

    # The same page, read with the controller: where each labelled link lies.
    page = await context.new_page()
    await page.set_viewport_size(
        {"width": MultimodalWebSurfer.VIEWPORT_WIDTH, "height": MultimodalWebSurfer.VIEWPORT_HEIGHT}
    )
    await page.goto(f"{site.url}/")
    regions = await PlaywrightController().get_interactive_rects(page)
    await page.close()
    assert {key: region["aria_name"] for key, region in regions.items()} == {
        "1": "Open the form",
        "2": "Read the long page",
        "3": "Download the report",
        "4": "Open the pop-up page",
        "5": "See the hover page",
    }
    scale = MultimodalWebSurfer.MLM_WIDTH / MultimodalWebSurfer.VIEWPORT_WIDTH

    def coloured(x: float, y: float) -> bool:
        red, green, blue = marked.getpixel((int(x * scale), int(y * scale)))  # type: ignore[misc]
        return max(red, green, blue) - min(red, green, blue) > 40

    for region in regions.values():
        box = region["rects"][0]
        # The box's outline is drawn in colour; the page itself was turned grey.
        assert coloured(box["left"] + 1, (box["top"] + box["bottom"]) / 2)
    assert not coloured(
        MultimodalWebSurfer.VIEWPORT_WIDTH - 20, MultimodalWebSurfer.VIEWPORT_HEIGHT - 20
    )
    # Every id drawn is listed for the model, with its name.
    for key, region in regions.items():
        assert f'{{"id": {key}, "name": "{region["aria_name"]}"' in prompt_text(client)


async def test_a_model_without_vision_gets_text_only(site: Site, context: BrowserContext) -> None:
    client = scripted(action("click", target_id=2), vision=False)
    agent = surfer(client, context, f"{site.url}/")
    try:
        result = await agent.run(task="Open the long page")
    finally:
        await agent.close()
    assert isinstance(prompt_of(client).content, str)
    assert '"name": "Read the long page"' in prompt_of(client).content
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert f"[The long page]({site.url}/long)" in reply.content


async def test_state_keeps_the_page_and_the_conversation(
    site: Site, context: BrowserContext
) -> None:
    client = scripted(action("click", target_id=1))
    agent = surfer(client, context, f"{site.url}/")
    try:
        await agent.run(task="Open the form")
        state = await agent.save_state()
    finally:
        await agent.close()
    assert state["url"] == f"{site.url}/form"
    assert len(state["chat_history"]["messages"]) == 2

    later = scripted("I see the form.")
    restored = surfer(later, context, f"{site.url}/")
    try:
        await restored.load_state(state)
        await restored.run(task="Where are you?")
    finally:
        await restored.close()
    assert f"[The form]({site.url}/form)" in prompt_text(later)


async def test_reset_returns_to_the_start_page(site: Site, context: BrowserContext) -> None:
    client = scripted(action("click", target_id=2), "Back home.")
    agent = surfer(client, context, f"{site.url}/")
    try:
        await agent.run(task="Open the long page")
        await agent.on_reset(CancellationToken())
        assert (await agent.save_state())["chat_history"]["messages"] == []
        await agent.run(task="Where are you?")
        assert f"[Parlay test home]({site.url}/)" in prompt_text(client)
    finally:
        await agent.close()


def error_text(message: object) -> str:
    assert isinstance(message, TextMessage), f"expected an error text, got {message!r}"
    assert message.content.startswith("Web surfing error:")
    return message.content


async def test_bad_input_becomes_an_error_the_team_can_read(
    site: Site, context: BrowserContext
) -> None:
    client = scripted(
        action("visit_url", url="http://no-such-host.invalid/"),
        action("click", target_id=999),
        action("visit_url", url=f"{site.url}/never-loads"),
        action("visit_url", url=f"{site.url}/form"),
    )
    # A short timeout bounds the page that never loads.
    agent = surfer(client, context, f"{site.url}/", timeout=3)
    try:
        unresolved = error_text((await agent.run(task="Open a missing site")).messages[-1])
        assert "BrowserActionError" in unresolved
        assert "ERR_NAME_NOT_RESOLVED" in unresolved

        missing = error_text((await agent.run(task="Click 999")).messages[-1])
        assert "BrowserActionError: No element on the page has the id 999" in missing

        hanging = error_text((await agent.run(task="Open the slow page")).messages[-1])
        assert "BrowserTimeoutError" in hanging
        assert "/never-loads" in hanging

        # The agent is still usable afterwards.
        site.stop_hanging.set()
        recovered = (await agent.run(task="Open the form")).messages[-1]
        assert isinstance(recovered, MultiModalMessage)
        assert any("[The form]" in part for part in recovered.content if isinstance(part, str))
    finally:
        await agent.close()
        site.stop_hanging.clear()
