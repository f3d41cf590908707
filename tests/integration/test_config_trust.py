"""A config file alone never runs code, nor gets the user's API key: the flags must say so.

The configs here are what an attacker could hand a user: a team or agent whose scripted model
asks for a shell command that leaves a marker file. Without ``--allow-code-execution`` (or
``allow_code_execution=True``) loading refuses and the command never runs; with it, it runs. And
a team whose model client points at another server gets ``OPENAI_API_KEY`` only with
``--allow-environment-keys``.

These need parlay-agentchat and parlay-ext together, so they live outside tests/ext.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from parlay_agentchat.agents import AssistantAgent, CodeExecutorAgent
from parlay_agentchat.base import ChatAgent
from parlay_agentchat.cli import main
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import ComponentModel, load_component, load_permissions
from parlay_core.exceptions import ComponentNotAllowedError
from parlay_core.testing import ReplayChatCompletionClient
from parlay_core.tools import StaticWorkbench
from parlay_ext.code_executors.local import LocalCommandLineCodeExecutor
from parlay_ext.models.openai import OpenAIChatCompletionClient
from parlay_ext.tools.code_execution import PythonCodeExecutionTool
from tests.agentchat._support import call, tool_calls
from tests.ext._wire import Reply, WireServer
from tests.ext.test_openai_client import completion


def _executor_agent_config(work: Path, marker: Path) -> dict[str, Any]:
    model = ReplayChatCompletionClient([f"Running it.\n```sh\ntouch {marker}\n```\n", "Done."] * 2)
    agent = CodeExecutorAgent(
        "coder", LocalCommandLineCodeExecutor(work_dir=work), model_client=model
    )
    return agent.dump_component().model_dump(mode="json")


def _tool_agent_config(work: Path, marker: Path) -> dict[str, Any]:
    code = f"import pathlib; pathlib.Path({str(marker)!r}).touch()"
    model = ReplayChatCompletionClient([tool_calls(call("CodeExecutor", code=code)), "Done."] * 2)
    tool = PythonCodeExecutionTool(LocalCommandLineCodeExecutor(work_dir=work))
    agent = AssistantAgent("helper", model, workbench=StaticWorkbench([tool]))
    return agent.dump_component().model_dump(mode="json")


def _as_team(agent: dict[str, Any]) -> dict[str, Any]:
    # The participant is replaced by the dumped one, so the team config holds exactly it.
    placeholder = AssistantAgent("placeholder", ReplayChatCompletionClient(["x"]))
    team = RoundRobinGroupChat([placeholder], max_turns=1).dump_component()
    data = team.model_dump(mode="json")
    data["config"]["participants"] = [agent]
    return data


CONFIGS = {
    "code-executor-agent": _executor_agent_config,
    "code-execution-tool": _tool_agent_config,
}


@pytest.fixture(params=sorted(CONFIGS))
def team_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    work = tmp_path / "work"
    work.mkdir()
    config = _as_team(CONFIGS[request.param](work, marker))
    path = tmp_path / "team.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path, marker


def test_parlay_run_refuses_a_config_that_would_run_code(
    team_file: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path, marker = team_file
    assert main(["run", str(path), "--task", "hello"]) == 2
    assert not marker.exists()
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith(f"parlay: error: {path}: ")
    assert "--allow-code-execution" in line
    # The command line has no keyword arguments: the Python spelling would only confuse.
    assert "allow_code_execution=True" not in line


def test_parlay_check_refuses_it_too(
    team_file: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = team_file
    assert main(["check", str(path)]) == 2
    assert "--allow-code-execution" in capsys.readouterr().err


def test_parlay_run_with_the_flag_runs_the_code(
    team_file: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path, marker = team_file
    assert main(["run", str(path), "--task", "hello", "--allow-code-execution"]) == 0, (
        capsys.readouterr().err
    )
    assert marker.exists()


@pytest.mark.parametrize("kind", sorted(CONFIGS))
async def test_load_component_refuses_without_permission(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    config = CONFIGS[kind](tmp_path, marker)
    with pytest.raises(ComponentNotAllowedError, match=r"allow_code_execution=True") as caught:
        ChatAgent.load_component(config)
    assert "--allow-code-execution" not in str(caught.value)
    agent = ChatAgent.load_component(config, allow_code_execution=True)
    await agent.run(task="hello")
    assert marker.exists()


@pytest.mark.parametrize(
    "executor",
    [
        LocalCommandLineCodeExecutor,
        pytest.param("parlay_ext.code_executors.jupyter.JupyterCodeExecutor", id="jupyter"),
        pytest.param("parlay_ext.code_executors.docker.DockerCommandLineCodeExecutor", id="docker"),
    ],
)
def test_every_executor_needs_permission_to_load(tmp_path: Path, executor: Any) -> None:
    if isinstance(executor, str):
        # Built from the config alone, so the test needs neither a kernel nor an engine.
        config = ComponentModel(provider=executor, component_type="code_executor", config={})
    else:
        config = executor(work_dir=tmp_path).dump_component()
    with pytest.raises(ComponentNotAllowedError, match="allow_code_execution=True"):
        load_component(config)
    with load_permissions(allow_code_execution=True):
        loaded = load_component(config)
    assert type(loaded).__name__ in config.provider


@pytest.mark.parametrize("allowed", [False, True])
def test_parlay_run_sends_the_environment_key_only_with_the_flag(
    tmp_path: Path,
    wire: WireServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    allowed: bool,
) -> None:
    secret = "sk-users-own-secret"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = OpenAIChatCompletionClient(
        model="gpt-4o-mini", base_url=f"{wire.url}/v1", max_retries=0
    )
    team = RoundRobinGroupChat([AssistantAgent("writer", model)], max_turns=1)
    path = tmp_path / "team.json"
    path.write_text(team.dump_component().model_dump_json(), encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    wire.script(Reply(body=completion("A slogan.")))
    argv = ["run", str(path), "--task", "Write a slogan.", "--no-stats"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main([*argv, "--allow-environment-keys"] if allowed else argv)
    assert status == 0, capsys.readouterr().err
    assert "A slogan." in capsys.readouterr().out
    sent = wire.received[0].headers["authorization"]
    assert (secret in sent) is allowed
    said = " ".join(str(w.message) for w in caught)
    assert ("--allow-environment-keys" in said) is not allowed
