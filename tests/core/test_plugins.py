"""Entry-point plugins: listing from metadata, loading on demand, conflicts, registration."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import parlay_core.plugins as plugins
from parlay_core._exceptions import (
    PluginConflictError,
    PluginLoadError,
    PluginNotFoundError,
)
from parlay_core.plugins import (
    CACHE_STORES,
    CODE_EXECUTORS,
    MEMORIES,
    MODEL_CLIENTS,
    PLUGIN_GROUPS,
    RUNTIMES,
    STATE_STORES,
    TOOLS,
    find_plugin,
    list_plugins,
    load_plugin,
    plugin_packages,
    refresh_plugins,
    register,
    registered,
    unregister,
)
from tests.core._fake_dists import on_sys_path, write_distribution

FAKE_PACKAGES = (
    "acme_models",
    "acme_tools",
    "rival_models",
    "broken_plugin",
    "late_plugin",
    "acme_extra",
)

ACME_MODELS = """
IMPORTS = globals().get("IMPORTS", 0) + 1

class AcmeClient:
    pass
"""


class Marker:
    """A stand-in plugin object."""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path holding fake installed distributions."""
    write_distribution(
        tmp_path,
        "acme-models",
        "1.2.0",
        {MODEL_CLIENTS: {"acme": "acme_models.client:AcmeClient"}},
        {"acme_models/__init__.py": "", "acme_models/client.py": ACME_MODELS},
    )
    write_distribution(
        tmp_path,
        "acme-tools",
        "0.3.1",
        {TOOLS: {"hammer": "acme_tools:Hammer"}, "console_scripts": {"acme": "acme_tools:main"}},
        {"acme_tools/__init__.py": "class Hammer:\n    pass\n", "acme_extra.py": ""},
        top_level=["acme_tools", "acme_extra"],
    )
    with on_sys_path(tmp_path, *FAKE_PACKAGES):
        yield tmp_path


def test_groups_are_the_documented_names() -> None:
    assert (MODEL_CLIENTS, TOOLS, CODE_EXECUTORS, RUNTIMES, STATE_STORES) == (
        "parlay.model_clients",
        "parlay.tools",
        "parlay.code_executors",
        "parlay.runtimes",
        "parlay.state_stores",
    )
    assert (CACHE_STORES, MEMORIES) == ("parlay.cache_stores", "parlay.memories")
    assert set(PLUGIN_GROUPS) == {
        MODEL_CLIENTS,
        TOOLS,
        CODE_EXECUTORS,
        RUNTIMES,
        STATE_STORES,
        CACHE_STORES,
        MEMORIES,
    }


def test_every_public_name_is_importable() -> None:
    assert all(hasattr(plugins, name) for name in plugins.__all__)


def test_listing_reads_metadata_without_importing(site: Path) -> None:
    infos = list_plugins(MODEL_CLIENTS)
    acme = [info for info in infos if info.name == "acme"]
    assert len(acme) == 1
    info = acme[0]
    assert (info.group, info.value, info.distribution, info.version) == (
        MODEL_CLIENTS,
        "acme_models.client:AcmeClient",
        "acme-models",
        "1.2.0",
    )
    assert info.module == "acme_models.client"
    assert not info.registered
    assert "acme_models" not in sys.modules
    assert "acme_models.client" not in sys.modules


def test_listing_all_groups_ignores_foreign_groups(site: Path) -> None:
    pairs = {(info.group, info.name) for info in list_plugins()}
    assert {(MODEL_CLIENTS, "acme"), (TOOLS, "hammer")} <= pairs
    assert all(group.startswith("parlay.") for group, _ in pairs)


def test_loading_imports_on_demand_and_caches(site: Path) -> None:
    first = load_plugin(MODEL_CLIENTS, "acme")
    assert isinstance(first, type)
    assert first.__name__ == "AcmeClient"
    assert load_plugin(MODEL_CLIENTS, "acme") is first
    assert find_plugin(MODEL_CLIENTS, "acme").load() is first
    assert sys.modules["acme_models.client"].IMPORTS == 1


def test_missing_plugin_says_what_to_install(site: Path) -> None:
    with pytest.raises(PluginNotFoundError) as caught:
        find_plugin(MODEL_CLIENTS, "nowhere")
    message = str(caught.value)
    assert "'nowhere'" in message
    assert "parlay.model_clients" in message
    assert "Install the distribution that provides it" in message
    assert "acme (acme-models 1.2.0)" in message
    assert isinstance(caught.value, LookupError)


def test_missing_parlay_extension_names_the_extra(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every extra is installed for the tests, so pretend parlay-ext knew one more integration.
    from parlay_core.plugins._groups import _PARLAY_EXT_EXTRAS  # pyright: ignore[reportPrivateUsage]

    monkeypatch.setitem(_PARLAY_EXT_EXTRAS[CODE_EXECUTORS], "quantum", "quantum")
    with pytest.raises(PluginNotFoundError, match=r"parlay-ext\[quantum\]"):
        load_plugin(CODE_EXECUTORS, "quantum")


def test_missing_plugin_points_at_the_group_that_has_it(site: Path) -> None:
    with pytest.raises(PluginNotFoundError, match=r"'hammer' exists in: parlay\.tools"):
        find_plugin(MODEL_CLIENTS, "hammer")


def test_unknown_name_in_a_group_names_the_name_and_group(site: Path) -> None:
    with pytest.raises(PluginNotFoundError, match=r"'anything'.*parlay\.runtimes"):
        find_plugin(RUNTIMES, "anything")


def test_two_distributions_claiming_one_name_conflict(site: Path) -> None:
    write_distribution(
        site,
        "rival-models",
        "9.0",
        {MODEL_CLIENTS: {"acme": "rival_models:Client"}},
        {"rival_models/__init__.py": "class Client:\n    pass\n"},
    )
    refresh_plugins()
    assert [i.distribution for i in list_plugins(MODEL_CLIENTS) if i.name == "acme"] == [
        "acme-models",
        "rival-models",
    ]
    with pytest.raises(PluginConflictError) as caught:
        load_plugin(MODEL_CLIENTS, "acme")
    message = str(caught.value)
    assert "acme-models 1.2.0" in message
    assert "rival-models 9.0" in message
    assert "'acme'" in message
    assert "rival_models" not in sys.modules


def test_registering_resolves_a_conflict(site: Path) -> None:
    write_distribution(
        site,
        "rival-models",
        "9.0",
        {MODEL_CLIENTS: {"acme": "rival_models:Client"}},
        {"rival_models/__init__.py": "class Client:\n    pass\n"},
    )
    refresh_plugins()
    with registered(MODEL_CLIENTS, "acme", Marker):
        assert load_plugin(MODEL_CLIENTS, "acme") is Marker
    with pytest.raises(PluginConflictError):
        load_plugin(MODEL_CLIENTS, "acme")


def test_broken_plugin_raises_load_error_with_cause(site: Path) -> None:
    write_distribution(
        site,
        "broken-plugin",
        "0.1",
        {TOOLS: {"broken": "broken_plugin:Tool"}},
        {"broken_plugin/__init__.py": "import module_that_is_not_installed_anywhere\n"},
    )
    refresh_plugins()
    assert any(info.name == "broken" for info in list_plugins(TOOLS))
    with pytest.raises(PluginLoadError) as caught:
        load_plugin(TOOLS, "broken")
    message = str(caught.value)
    assert "broken-plugin 0.1" in message
    assert "module_that_is_not_installed_anywhere" in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_missing_attribute_is_a_load_error(site: Path) -> None:
    write_distribution(
        site,
        "late-plugin",
        "0.1",
        {TOOLS: {"late": "late_plugin:Missing"}},
        {"late_plugin/__init__.py": ""},
    )
    refresh_plugins()
    with pytest.raises(PluginLoadError, match="late_plugin:Missing"):
        load_plugin(TOOLS, "late")


def test_distribution_installed_later_is_seen_after_refresh(site: Path) -> None:
    assert not any(info.name == "late" for info in list_plugins(TOOLS))
    write_distribution(
        site,
        "late-plugin",
        "0.2",
        {TOOLS: {"late": "late_plugin:Late"}},
        {"late_plugin/__init__.py": "class Late:\n    pass\n"},
    )
    refresh_plugins()
    assert [i.version for i in list_plugins(TOOLS) if i.name == "late"] == ["0.2"]


def test_register_and_unregister() -> None:
    register(TOOLS, "marker-for-test", Marker)
    try:
        info = find_plugin(TOOLS, "marker-for-test")
        assert info.registered
        assert info.distribution is None
        assert info.value == f"{Marker.__module__}:Marker"
        assert load_plugin(TOOLS, "marker-for-test") is Marker
        assert any(i.name == "marker-for-test" and i.registered for i in list_plugins(TOOLS))
        register(TOOLS, "marker-for-test", Marker)  # the same object again is harmless
        with pytest.raises(PluginConflictError, match="replace=True"):
            register(TOOLS, "marker-for-test", object())
        replacement = object()
        register(TOOLS, "marker-for-test", replacement, replace=True)
        assert load_plugin(TOOLS, "marker-for-test") is replacement
    finally:
        unregister(TOOLS, "marker-for-test")
    with pytest.raises(PluginNotFoundError):
        find_plugin(TOOLS, "marker-for-test")
    with pytest.raises(PluginNotFoundError, match="only objects given to register"):
        unregister(TOOLS, "marker-for-test")


def test_registered_context_manager_restores_previous() -> None:
    register(STATE_STORES, "ctx-test", Marker)
    try:
        other = object()
        with registered(STATE_STORES, "ctx-test", other):
            assert load_plugin(STATE_STORES, "ctx-test") is other
        assert load_plugin(STATE_STORES, "ctx-test") is Marker
    finally:
        unregister(STATE_STORES, "ctx-test")
    with registered(STATE_STORES, "ctx-test", Marker):
        assert load_plugin(STATE_STORES, "ctx-test") is Marker
    with pytest.raises(PluginNotFoundError):
        load_plugin(STATE_STORES, "ctx-test")


def test_register_rejects_empty_names() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        register(TOOLS, "", Marker)


def test_plugin_packages_cover_entry_points_and_declared_packages(site: Path) -> None:
    packages = plugin_packages()
    assert {"acme_models", "acme_tools", "acme_extra"} <= packages
    assert "acme_models" not in sys.modules
