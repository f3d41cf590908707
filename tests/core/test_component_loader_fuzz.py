"""load_component fails with a ParlayError on any config, never with an untyped crash.

A component config is a file someone else may have written. Whatever it holds (unknown or
hostile providers, odd versions, configs of the wrong shape, values nested very deeply), loading
it either builds the component or raises a ``ParlayError`` (a ``ComponentError`` is also the
``ValueError``/``TypeError`` AutoGen raised) that names the problem.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import Component, ComponentBase, load_component
from parlay_core.exceptions import ComponentConfigError, ComponentError, ParlayError
from tests._fuzz import DEEP, FUZZ, deeply_nested, json_values, odd_values

_PROVIDERS = [
    "parlay_core.memory.ListMemory",
    "parlay_core.model_context.BufferedChatCompletionContext",
    "parlay_core.model_context.HeadAndTailChatCompletionContext",
    "parlay_core.model_context.TokenLimitedChatCompletionContext",
    "parlay_core.model_context.UnboundedChatCompletionContext",
    "parlay_core.testing.ReplayChatCompletionClient",
    "parlay_core.tools.FunctionTool",
    "parlay_core.tools.StaticWorkbench",
    "parlay_core.tools.StaticStreamWorkbench",
    "os.system",
    "builtins.eval",
    "parlay_core",
    "parlay_core.",
    ".parlay_core",
    "parlay_core.NoSuchThing",
    "no_such_module.Thing",
    "OpenAIChatCompletionClient",
]


def _valid_config(provider: str) -> dict[str, Any]:
    """A real dump to start from, so the fuzzing reaches past the first checks."""
    for_provider: dict[str, Any] = {
        "parlay_core.model_context.BufferedChatCompletionContext": {"buffer_size": 3},
        "parlay_core.memory.ListMemory": {},
        "parlay_core.testing.ReplayChatCompletionClient": {"chat_completions": ["hi"]},
    }
    return dict(for_provider.get(provider, {}))


_versions = st.one_of(
    st.none(), st.integers(), st.sampled_from([0, 1, 2, 10**30, -1]), st.floats(), st.text()
)

_configs = st.one_of(
    odd_values,
    st.dictionaries(st.text(max_size=12), odd_values, max_size=4),
    st.sampled_from(_PROVIDERS).map(_valid_config),
    st.sampled_from(_PROVIDERS)
    .map(_valid_config)
    .flatmap(
        lambda base: st.dictionaries(
            st.sampled_from(["buffer_size", "chat_completions", "x"]), odd_values, max_size=2
        ).map(lambda extra: {**base, **extra})
    ),
)

_models = st.one_of(
    odd_values,
    st.fixed_dictionaries(
        {
            "provider": st.one_of(st.sampled_from(_PROVIDERS), st.text(max_size=30)),
            "config": _configs,
        },
        optional={
            "component_type": st.one_of(
                st.sampled_from(["model", "memory", "chat_completion_context", "tool", "agent"]),
                json_values,
            ),
            "version": _versions,
            "component_version": _versions,
            "label": json_values,
            "description": json_values,
        },
    ),
)


@FUZZ
@given(model=_models)
def test_any_config_loads_or_fails_typed(model: Any) -> None:
    try:
        load_component(model)
    except ParlayError:
        pass


@FUZZ
@given(model=_models)
def test_any_config_loaded_through_a_class_loads_or_fails_typed(model: Any) -> None:
    try:
        ComponentBase.load_component(model)  # pyright: ignore[reportUnknownMemberType]
    except ParlayError:
        pass


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_a_deeply_nested_config_is_a_component_config_error(kind: str) -> None:
    model = {
        "provider": "parlay_core.model_context.BufferedChatCompletionContext",
        "config": {"buffer_size": deeply_nested(DEEP, kind)},
    }
    with pytest.raises(ComponentError):
        load_component(model)


class _CounterConfig(BaseModel):
    start: int


class _Counter(Component[_CounterConfig]):
    """A component at version 2 that reads version-1 configs with pydantic, as most do."""

    component_type = "counter"
    component_version = 2
    component_config_schema = _CounterConfig

    def __init__(self, start: int) -> None:
        self.start = start

    def _to_config(self) -> _CounterConfig:
        return _CounterConfig(start=self.start)

    @classmethod
    def _from_config(cls, config: _CounterConfig) -> Self:
        return cls(config.start)

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Self:
        return cls._from_config(_CounterConfig.model_validate(config))


def test_an_older_config_that_does_not_validate_is_a_component_config_error() -> None:
    model = _Counter(1).dump_component().model_dump()
    model["component_version"] = 1
    assert load_component(model, _Counter).start == 1
    model["config"] = {"start": "one"}
    with pytest.raises(ComponentConfigError, match="start") as caught:
        load_component(model, _Counter)
    assert isinstance(caught.value, ValueError)  # as the pydantic error AutoGen lets through
