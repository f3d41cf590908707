"""The AutoGen compatibility runner's import rewriting (compat/autogen/run.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUNNER = Path(__file__).parents[1] / "compat" / "autogen" / "run.py"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("autogen_compat_runner", RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_packages_are_renamed_in_code_and_strings(runner: ModuleType) -> None:
    source = (
        "from autogen_core import AgentId\n"
        "import autogen_agentchat.teams\n"
        'PROVIDER = "autogen_ext.models.openai.OpenAIChatCompletionClient"\n'
    )
    text, unresolved = runner.rewrite(source)
    assert text == (
        "from parlay_core import AgentId\n"
        "import parlay_agentchat.teams\n"
        'PROVIDER = "parlay_ext.models.openai.OpenAIChatCompletionClient"\n'
    )
    assert unresolved == []


def test_a_private_import_moves_to_the_public_package_that_exports_the_name(
    runner: ModuleType,
) -> None:
    text, unresolved = runner.rewrite(
        "from autogen_core._default_subscription import (\n    default_subscription,\n)\nx = 1\n"
    )
    assert text == ("from parlay_core import default_subscription as default_subscription\nx = 1\n")
    assert unresolved == []
    namespace: dict[str, object] = {}
    exec(text, namespace)
    import parlay_core

    assert namespace["default_subscription"] is parlay_core.default_subscription


def test_a_private_name_without_a_public_home_fails_only_where_it_is_used(
    runner: ModuleType,
) -> None:
    text, unresolved = runner.rewrite("from autogen_core._serialization import no_such_helper\n")
    assert unresolved == ["parlay_core._serialization.no_such_helper"]
    sys.path.insert(0, str(RUNNER.parent))
    try:
        namespace: dict[str, object] = {}
        exec(text, namespace)  # importing still works
        helper = namespace["no_such_helper"]
        with pytest.raises(Exception, match="private to AutoGen") as caught:
            helper()  # type: ignore[operator]
        assert type(caught.value).__name__ == "PrivateAutoGenName"
    finally:
        sys.path.remove(str(RUNNER.parent))


def test_private_api_failures_are_told_apart(runner: ModuleType) -> None:
    outcome = runner.Outcome
    assert outcome("t", "failed", "_autogen_private.PrivateAutoGenName: x is private").private
    assert outcome(
        "t", "failed", "AttributeError: 'SingleThreadedAgentRuntime' object has no attribute '_x'"
    ).private
    assert not outcome("t", "failed", "AttributeError: 'X' object has no attribute 'name'").private
    assert not outcome("t", "failed", "AssertionError: assert 1 == 2").private
