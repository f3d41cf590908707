"""The ``parlay`` command line, run as ``python -m parlay_agentchat`` and as the console script."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.cli import main
from parlay_agentchat.teams import RoundRobinGroupChat

from ._support import replay


def _save_team(path: Path, *, max_turns: int = 2) -> Path:
    team = RoundRobinGroupChat(
        [
            AssistantAgent("writer", replay("A first draft.")),
            AssistantAgent("critic", replay("Looks good.")),
        ],
        max_turns=max_turns,
    )
    path.write_text(team.dump_component().model_dump_json(indent=2), encoding="utf-8")
    return path


def _module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parlay_agentchat", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_the_commands_and_an_example() -> None:
    done = _module("--help")
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout and "check" in done.stdout
    assert 'parlay run team.json --task "' in done.stdout


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: parlay" in capsys.readouterr().out


def test_run_streams_the_team(tmp_path: Path) -> None:
    config = _save_team(tmp_path / "team.json")
    done = _module("run", str(config), "--task", "Write a slogan.")
    assert done.returncode == 0, done.stderr
    for text in ("Write a slogan.", "A first draft.", "Looks good."):
        assert text in done.stdout
    assert "Stop reason: Maximum number of turns 2 reached." in done.stdout
    assert "Messages: 3" in done.stdout


def test_the_console_script_runs_the_team(tmp_path: Path) -> None:
    config = _save_team(tmp_path / "team.json")
    script = Path(sysconfig.get_path("scripts")) / "parlay"
    done = subprocess.run(
        [str(script), "run", str(config), "--task", "Go.", "--no-stats"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "A first draft." in done.stdout
    assert "Stop reason" not in done.stdout


def test_check_loads_without_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _save_team(tmp_path / "team.json")
    assert main(["check", str(config)]) == 0
    assert "RoundRobinGroupChat; it loads." in capsys.readouterr().out


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("parlay: error: ")
    assert captured.out == ""
    return lines[0]


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _error_line(capsys, ["run", str(tmp_path / "nope.json"), "--task", "x"])
    assert "no such file" in line


def test_bad_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "team.json"
    path.write_text('{"provider": ', encoding="utf-8")
    line = _error_line(capsys, ["run", str(path), "--task", "x"])
    assert "not valid JSON (line 1" in line


def test_json_that_is_not_a_component(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "team.json"
    path.write_text("[1, 2]", encoding="utf-8")
    assert "not a component config" in _error_line(capsys, ["check", str(path)])


def test_a_config_that_does_not_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save_team(tmp_path / "team.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["config"]["participants"]
    path.write_text(json.dumps(data), encoding="utf-8")
    line = _error_line(capsys, ["run", str(path), "--task", "x"])
    assert "participants" in line


def test_a_component_of_the_wrong_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.json"
    path.write_text(replay("hi").dump_component().model_dump_json(), encoding="utf-8")
    assert "holds a model component, not a team" in _error_line(
        capsys, ["run", str(path), "--task", "x"]
    )
    # Without the component_type hint, loading finds out the class is no team.
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["component_type"]
    path.write_text(json.dumps(data), encoding="utf-8")
    line = _error_line(capsys, ["run", str(path), "--task", "x"])
    assert "Team" in line


def test_a_failing_run_exits_1_with_one_line(tmp_path: Path) -> None:
    # Each scripted agent has one reply; a fourth turn asks the writer for a second.
    config = _save_team(tmp_path / "team.json", max_turns=4)
    done = _module("run", str(config), "--task", "x")
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parlay: error: the run failed:"), done.stderr


def _save_agent_config(path: Path, **changes: object) -> Path:
    data = AssistantAgent("writer", replay("A first draft.")).dump_component().model_dump()
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_malformed_version_1_agent_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save_agent_config(tmp_path / "agent.json", component_version=1, version=1)
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["config"]["name"]
    data["config"]["reflect_on_tool_use"] = "sometimes"
    path.write_text(json.dumps(data), encoding="utf-8")
    line = _error_line(capsys, ["check", str(path)])
    assert "name" in line and "reflect_on_tool_use" in line


@pytest.mark.parametrize(
    "text",
    ["[" * 200_000 + "]" * 200_000, '{"a":' * 200_000 + "1" + "}" * 200_000],
    ids=["lists", "objects"],
)
def test_a_json_file_nested_too_deeply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "team.json"
    path.write_text(text, encoding="utf-8")
    assert "too deeply nested" in _error_line(capsys, ["check", str(path)])


@pytest.mark.parametrize("depth", [200, 900])
def test_a_config_with_a_deeply_nested_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    # Deep enough to trouble a validator, shallow enough for the JSON parser.
    path = _save_team(tmp_path / "team.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["config"]["participants"][0]["config"]["model_client"]["config"] = json.loads(
        '{"a":' * depth + "1" + "}" * depth
    )
    data["config"]["termination_condition"] = json.loads("[" * depth + "]" * depth)
    path.write_text(json.dumps(data), encoding="utf-8")
    _error_line(capsys, ["check", str(path)])
