"""The ``parlay`` command for newcomers: --version, YAML configs, flags named in errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.cli import main
from parlay_agentchat.teams import RoundRobinGroupChat

from ._support import replay

yaml = pytest.importorskip("yaml")


def _team_data() -> dict[str, object]:
    team = RoundRobinGroupChat(
        [AssistantAgent("writer", replay("A first draft."))],
        max_turns=1,
    )
    return json.loads(team.dump_component().model_dump_json())


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parlay: error: "), lines
    return lines[0]


def test_version_names_the_three_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name in ("parlay-core 0.", "parlay-agentchat 0.", "parlay-ext"):
        assert name in out


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_a_yaml_team_file_checks_and_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    path = tmp_path / f"team{suffix}"
    path.write_text(yaml.safe_dump(_team_data()), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "a team, RoundRobinGroupChat; it loads." in capsys.readouterr().out
    assert main(["run", str(path), "--task", "Draft it."]) == 0
    out = capsys.readouterr().out
    assert "Draft it." in out and "A first draft." in out


def test_a_yaml_tag_that_builds_objects_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "team.yaml"
    marker = tmp_path / "ran"
    path.write_text(
        "provider: parlay_agentchat.teams.RoundRobinGroupChat\n"
        f"config: !!python/object/apply:os.system ['touch {marker}']\n",
        encoding="utf-8",
    )
    line = _error_line(capsys, ["check", str(path)])
    assert "YAML tag" in line and "plain data" in line
    assert not marker.exists()


def test_broken_yaml_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "team.yml"
    path.write_text("provider: [unclosed\n", encoding="utf-8")
    assert "not valid YAML" in _error_line(capsys, ["check", str(path)])


def test_yaml_without_pyyaml_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(_team_data()), encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
    assert 'pip install "parlay-agentchat[yaml]"' in _error_line(capsys, ["check", str(path)])


def test_an_agent_config_is_an_agent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agent.json"
    agent = AssistantAgent("writer", replay("Hi."))
    path.write_text(agent.dump_component().model_dump_json(), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "agent.json: an agent, AssistantAgent; it loads." in capsys.readouterr().out


def test_an_untrusted_import_names_the_flag_and_the_flag_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "newcomer_app"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from parlay_agentchat.agents import AssistantAgent\n\n\n"
        "class Writer(AssistantAgent):\n    pass\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    data = json.loads(AssistantAgent("writer", replay("Hi.")).dump_component().model_dump_json())
    data["provider"] = "newcomer_app.Writer"
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    line = _error_line(capsys, ["check", str(path)])
    assert "run again with --allow-import newcomer_app" in line
    assert "allow_import_paths" not in line  # Python's fix, not the command's
    assert main(["check", str(path), "--allow-import", "newcomer_app"]) == 0
    assert "an agent, Writer; it loads." in capsys.readouterr().out


def test_autogen_output_prints_autogen_headers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "team.json"
    path.write_text(json.dumps(_team_data()), encoding="utf-8")
    assert main(["run", str(path), "--task", "Draft it.", "--autogen-output"]) == 0
    out = capsys.readouterr().out
    assert "---------- TextMessage (user) ----------\nDraft it.\n" in out
    assert "---------- TextMessage (writer) ----------\nA first draft.\n" in out
