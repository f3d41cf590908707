"""parlay-core's "not found" hints agree with what parlay-ext really registers."""

from __future__ import annotations

from importlib.metadata import distribution

import pytest

from parlay_core.exceptions import PluginNotFoundError
from parlay_core.plugins import PLUGIN_GROUPS, find_plugin, parlay_ext_extra


def registered() -> dict[tuple[str, str], str]:
    dist = distribution("parlay-ext")
    return {(ep.group, ep.name): ep.value for ep in dist.entry_points if ep.group in PLUGIN_GROUPS}


def test_every_registered_name_has_a_hint_naming_a_real_extra() -> None:
    extras = set(distribution("parlay-ext").metadata.get_all("Provides-Extra") or [])
    entries = registered()
    assert ("parlay.model_clients", "ollama") in entries
    for (group, name), value in entries.items():
        extra = parlay_ext_extra(group, name)
        assert extra is not None, f"{group} {name} ({value}) has no hint in _PARLAY_EXT_EXTRAS"
        assert extra == "" or extra in extras, f"{group} {name}: no extra {extra!r}"


def test_hints_only_name_registered_plugins() -> None:
    from parlay_core.plugins._groups import _PARLAY_EXT_EXTRAS  # pyright: ignore[reportPrivateUsage]

    entries = registered()
    for group, table in _PARLAY_EXT_EXTRAS.items():
        for name in table:
            assert (group, name) in entries, f"{group} {name}"


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("parlay_ext.models.openai", "openai"),
        ("parlay_ext.models.anthropic", "anthropic"),
        ("parlay_ext.tools.mcp", "mcp"),
        ("parlay_ext.tools.http", "http"),
        ("parlay_ext.code_executors.jupyter", "jupyter"),
        ("parlay_ext.code_executors.docker", "docker"),
        ("parlay_ext.cache_store.diskcache", "diskcache"),
        ("parlay_ext.cache_store.redis", "redis"),
        ("parlay_ext.memory.chromadb", "chromadb"),
    ],
)
def test_sdk_entries_map_to_the_extra_of_their_module(module: str, extra: str) -> None:
    for (group, name), value in registered().items():
        if value.startswith(module + ":"):
            assert parlay_ext_extra(group, name) == extra, name


def test_a_name_without_an_extra_says_install_parlay_ext(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every extra-free name is installed here, so pretend parlay-ext also knew one more.
    from parlay_core.plugins._groups import _PARLAY_EXT_EXTRAS  # pyright: ignore[reportPrivateUsage]

    monkeypatch.setitem(_PARLAY_EXT_EXTRAS["parlay.tools"], "toolbox", "")
    with pytest.raises(PluginNotFoundError) as caught:
        find_plugin("parlay.tools", "toolbox")
    assert "It ships with parlay-ext: install it with pip install parlay-ext." in str(caught.value)
