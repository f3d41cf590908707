"""The web surfer's config (AutoGen's shape, under Parlay's and AutoGen's provider) and state."""

from __future__ import annotations

import pytest

from parlay_agentchat.agents import BaseChatAgent
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_core.exceptions import StateError
from parlay_ext.agents.web_surfer import MultimodalWebSurfer
from parlay_ext.models.replay import ReplayChatCompletionClient
from tests.integration.web_surfer.conftest import scripted


def test_dump_and_load_keep_every_setting() -> None:
    agent = MultimodalWebSurfer(
        "surfer",
        model_client=scripted("hello"),
        downloads_folder="downloads",
        headless=False,
        start_page="http://127.0.0.1:8000/",
        browser_channel="chrome",
        to_resize_viewport=False,
        search_url="http://127.0.0.1:8000/search?q={query}",
        timeout=5,
    )
    dumped = agent.dump_component()
    assert dumped.provider == "parlay_ext.agents.web_surfer.MultimodalWebSurfer"
    assert dumped.component_type == "agent"
    loaded = BaseChatAgent.load_component(dumped)
    assert isinstance(loaded, MultimodalWebSurfer)
    assert loaded.dump_component().config == dumped.config
    assert loaded.search_url == "http://127.0.0.1:8000/search?q={query}"
    assert loaded.timeout == 5


def test_an_autogen_config_loads() -> None:
    # The config as AutoGen writes it: AutoGen's provider path and its fields only.
    config = {
        "provider": "autogen_ext.agents.web_surfer.MultimodalWebSurfer",
        "component_type": "agent",
        "version": 1,
        "config": {
            "name": "WebSurfer",
            "model_client": scripted("hello").dump_component().model_dump(),
            "downloads_folder": None,
            "description": "Browses the web.",
            "debug_dir": None,
            "headless": True,
            "start_page": "https://www.bing.com/",
            "animate_actions": False,
            "to_save_screenshots": False,
            "use_ocr": False,
            "browser_channel": None,
            "browser_data_dir": None,
            "to_resize_viewport": True,
        },
    }
    agent = BaseChatAgent.load_component(config)
    assert isinstance(agent, MultimodalWebSurfer)
    assert agent.name == "WebSurfer"
    assert agent.description == "Browses the web."
    assert agent.search_url == MultimodalWebSurfer.DEFAULT_SEARCH_URL


def test_bad_settings_are_refused_up_front() -> None:
    # The replay client's default model info claims no function calling.
    with pytest.raises(ValueError, match="function calling"):
        MultimodalWebSurfer("surfer", model_client=ReplayChatCompletionClient(["hi"]))
    with pytest.raises(ValueError, match="debug_dir"):
        MultimodalWebSurfer("surfer", model_client=scripted("hi"), to_save_screenshots=True)
    with pytest.raises(ValueError, match=r"\{query\}"):
        MultimodalWebSurfer("surfer", model_client=scripted("hi"), search_url="http://x/")
    with pytest.raises(AgentConfigurationError, match="timeout"):
        MultimodalWebSurfer("surfer", model_client=scripted("hi"), timeout=0)


async def test_state_without_a_browser() -> None:
    agent = MultimodalWebSurfer("surfer", model_client=scripted("hi"))
    # AutoGen's web surfer saves only the base state; loading it restores nothing, and works.
    await agent.load_state({"type": "BaseState", "version": "1.0.0"})
    saved = await agent.save_state()
    assert saved["chat_history"] == {"messages": []}
    assert saved["url"] is None
    with pytest.raises(StateError):
        await agent.load_state({"chat_history": {"messages": "not a list"}})
    # A loaded URL is where the browser will open (it is not started by loading).
    await agent.load_state({"url": "http://127.0.0.1:9/page"})
    assert (await agent.save_state())["url"] == "http://127.0.0.1:9/page"
    assert not agent.did_lazy_init
