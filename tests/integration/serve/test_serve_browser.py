"""``parlay serve`` in a real headless Chromium: start a session, watch it, answer, see it end.

Set ``PARLAY_SERVE_SCREENSHOTS`` to a folder (``docs/images``) to keep the screenshots the
documentation shows; otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs parlay-agentchat[serve]")
pytest.importorskip("playwright", reason="needs Playwright (parlay-ext's web-surfer extra)")

from playwright.sync_api import Browser, Page, expect, sync_playwright

from parlay_core.exceptions import BrowserNotFoundError
from parlay_ext.browser import CHROMIUM_ARGS, CHROMIUM_ENV_VAR, find_chromium
from tests.agentchat.serve._server import Server, hitl_team, slow_tool_team


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        chromium = find_chromium()
    except BrowserNotFoundError as error:
        if os.environ.get(CHROMIUM_ENV_VAR):
            raise  # promised by the test session: a missing browser is a failure
        pytest.skip(f"no Chromium on this machine: {error}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield launched
        finally:
            launched.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PARLAY_SERVE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(page: Page, folder: Path, name: str) -> None:
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000


def test_a_person_runs_a_session_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    release, then = tmp_path / "release", tmp_path / "then"
    configs = [
        hitl_team(tmp_path / "writer.json"),
        slow_tool_team(tmp_path / "worker.json", release, then),
    ]
    server = Server(configs, tmp_path / "sessions.db", "--allow-code-execution").start()
    shots = _shots(tmp_path)
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    try:
        page.goto(server.url + "/")
        expect(page.locator("h1").first).to_have_text("Teams")
        start = page.locator('form.start[data-team="writer"]')
        start.locator("textarea").fill("A line about tea.")
        _shot(page, shots, "serve-teams.png")
        start.locator("button").click()

        # The run reaches the person's turn: the page asks, with the writer's draft above.
        expect(page.locator("#prompt")).to_be_visible()
        expect(page.locator(".msg", has_text="Draft one: tea at dawn.")).to_be_visible()
        expect(page.locator("header + main .status").first).to_have_text("waiting")
        _shot(page, shots, "serve-waiting.png")

        page.locator("#answer textarea").fill("Shorter, please.")
        page.locator("#answer button").click()
        expect(page.locator(".msg", has_text="Draft two: steam and quiet.")).to_be_visible()
        expect(page.locator("#prompt")).to_be_visible()
        page.locator("#answer textarea").fill("APPROVE")
        page.locator("#answer button").click()
        expect(page.locator("header + main .status").first).to_have_text("finished")
        expect(page.locator(".msg", has_text="APPROVE")).to_be_visible()
        expect(page.locator("#answer")).to_have_count(0)
        _shot(page, shots, "serve-finished.png")

        # Live: a running session's messages appear without reloading the page.
        page.goto(server.url + "/")
        expect(page.locator("#sessions")).to_contain_text("A line about tea.")
        worker = page.locator('form.start[data-team="worker"]')
        worker.locator("textarea").fill("Wait for the file.")
        worker.locator("button").click()
        requests = page.locator('.msg[data-type="ToolCallRequestEvent"]')
        expect(requests).to_have_count(1)
        expect(page.locator("#stop")).to_be_visible()
        page.evaluate("window.notReloaded = true")
        release.write_text("go")
        # The tool's result and the second call arrive over the stream, into the same page.
        expect(page.locator('.msg[data-type="ToolCallExecutionEvent"]')).to_have_count(1)
        expect(requests).to_have_count(2)
        # The session's token totals follow each message's usage live.
        expect(page.locator("#total")).to_have_text("tokens: 10 prompt, 6 completion")
        assert page.evaluate("window.notReloaded") is True
        then.write_text("go")
        expect(page.locator("header + main .status").first).to_have_text("finished")
        summary = page.locator('.msg[data-type="ToolCallSummaryMessage"]')
        expect(summary).to_contain_text("the file is there")
    finally:
        page.close()
        server.stop()


def test_the_stop_and_resume_buttons(browser: Browser, tmp_path: Path) -> None:
    release = tmp_path / "release"
    config = slow_tool_team(tmp_path / "worker.json", release)
    server = Server([config], tmp_path / "sessions.db", "--allow-code-execution").start()
    page = browser.new_page()
    try:
        page.goto(server.url + "/")
        page.locator("textarea").fill("Wait for the file.")
        page.locator("form.start button").click()
        requests = page.locator('.msg[data-type="ToolCallRequestEvent"]')
        expect(requests).to_have_count(1)

        page.locator("#stop").click()
        expect(page.locator("header + main .status").first).to_have_text("stopped")
        expect(page.locator("#stop")).to_have_count(0)
        page.locator("#resume").click()
        expect(page.locator("header + main .status").first).to_have_text("running")
        # The cut-off attempt stays in the history; the step runs again after it.
        expect(requests).to_have_count(2)
        release.write_text("go")
        expect(page.locator("header + main .status").first).to_have_text("finished")
        expect(page.locator('.msg[data-type="ToolCallSummaryMessage"]')).to_have_count(1)
    finally:
        page.close()
        server.stop()
