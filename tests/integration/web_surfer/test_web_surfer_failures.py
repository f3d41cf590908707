"""Broken or missing browsers, and the browser's lifetime: each test starts its own Chromium.

A browser killed mid-run raises BrowserCrashedError, the team run ends with it, and the agent
starts a new browser on its next turn. A machine without Chromium gets an error that says how
to install one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parlay_agentchat.exceptions import TeamRunError
from parlay_agentchat.messages import MultiModalMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import CancellationToken
from parlay_core.exceptions import BrowserCrashedError, BrowserNotFoundError
from parlay_ext.agents.web_surfer import MultimodalWebSurfer
from parlay_ext.browser import CHROMIUM_ENV_VAR, find_chromium
from tests.integration.web_surfer._processes import browser_processes, kill, wait_until_gone
from tests.integration.web_surfer._site import Site
from tests.integration.web_surfer.conftest import action, scripted


async def run_killing_the_browser_after_one_turn(
    team: RoundRobinGroupChat, before: set[int]
) -> None:
    async for item in team.run_stream(task="Open the form, then open it again"):
        if isinstance(item, MultiModalMessage):
            # The first turn is done and the browser runs: kill it, as a crash would.
            ours = browser_processes() - before
            assert ours, "the agent's browser process was not found"
            kill(ours)
            assert not wait_until_gone(ours)


async def test_a_crashed_browser_ends_the_team_run_with_a_typed_error(
    site: Site, chromium: str
) -> None:
    del chromium
    client = scripted(action("click", target_id=1), action("click", target_id=1))
    agent = MultimodalWebSurfer("surfer", model_client=client, start_page=f"{site.url}/")
    team = RoundRobinGroupChat([agent], max_turns=2)
    before = browser_processes()
    try:
        with pytest.raises(TeamRunError, match="BrowserCrashedError") as raised:
            await run_killing_the_browser_after_one_turn(team, before)
        error: BaseException | None = raised.value
        while error is not None and not isinstance(error, BrowserCrashedError):
            error = error.__cause__
        assert isinstance(error, BrowserCrashedError), f"not a browser crash: {raised.value!r}"
        # The team ended cleanly: it can be reset and used again.
        await team.reset()
        assert not agent.did_lazy_init

        # The next turn starts a new browser.
        client.chat_completions.append(action("click", target_id=1))
        again = (await agent.run(task="Open the form")).messages[-1]
        assert isinstance(again, MultiModalMessage)
        assert any("[The form]" in part for part in again.content if isinstance(part, str))
    finally:
        await agent.close()


async def test_a_reset_after_the_browser_died_lets_it_go(site: Site, chromium: str) -> None:
    del chromium
    client = scripted("I see the home page.", action("click", target_id=1))
    agent = MultimodalWebSurfer("surfer", model_client=client, start_page=f"{site.url}/")
    before = browser_processes()
    try:
        await agent.run(task="Look")
        ours = browser_processes() - before
        kill(ours)
        assert not wait_until_gone(ours)
        await agent.on_reset(CancellationToken())
        assert not agent.did_lazy_init
        # The next turn starts a new browser at the start page.
        clicked = (await agent.run(task="Open the form")).messages[-1]
        assert isinstance(clicked, MultiModalMessage)
        assert any("[The form]" in part for part in clicked.content if isinstance(part, str))
    finally:
        await agent.close()


async def test_the_browser_lives_as_long_as_the_agent(site: Site, chromium: str) -> None:
    del chromium
    client = scripted("I see the home page.")
    agent = MultimodalWebSurfer("surfer", model_client=client, start_page=f"{site.url}/")
    before = browser_processes()
    assert not agent.did_lazy_init
    try:
        await agent.run(task="Look")
        started = browser_processes() - before
        assert len(started) == 1
    finally:
        await agent.close()
    assert not wait_until_gone(started)
    assert not agent.did_lazy_init


async def test_a_profile_folder_is_used_and_kept(site: Site, chromium: str, tmp_path: Path) -> None:
    del chromium
    profile = tmp_path / "profile"
    client = scripted(action("click", target_id=1))
    agent = MultimodalWebSurfer(
        "surfer", model_client=client, start_page=f"{site.url}/", browser_data_dir=str(profile)
    )
    try:
        reply = (await agent.run(task="Open the form")).messages[-1]
        assert isinstance(reply, MultiModalMessage)
    finally:
        await agent.close()
    # Chromium wrote its profile there, and it outlives the agent.
    assert (profile / "Default").is_dir()


async def test_no_chromium_says_how_to_install_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CHROMIUM_ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "cache"))
    with pytest.raises(BrowserNotFoundError, match=r"apt-get install chromium"):
        find_chromium()

    agent = MultimodalWebSurfer("surfer", model_client=scripted("unused"))
    with pytest.raises(BrowserNotFoundError, match=r"PARLAY_CHROMIUM"):
        await agent.run(task="Look")
    assert not agent.did_lazy_init


def test_a_wrong_parlay_chromium_is_an_error_not_a_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV_VAR, str(tmp_path / "no-such-browser"))
    with pytest.raises(BrowserNotFoundError, match="does not name an executable"):
        find_chromium()


def test_playwright_cache_is_searched_last(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for build in ("chromium-999", "chromium-1148"):
        executable = tmp_path / build / "chrome-linux" / "chrome"
        executable.parent.mkdir(parents=True)
        executable.write_text("#!/bin/sh\n")
        executable.chmod(0o755)
    monkeypatch.delenv(CHROMIUM_ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    assert find_chromium() == str(tmp_path / "chromium-1148" / "chrome-linux" / "chrome")
