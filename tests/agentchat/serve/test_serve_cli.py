"""The ``parlay serve`` command line: its help and the errors it reports before serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from parlay_agentchat.cli import main


def test_serve_is_a_subcommand_with_safe_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "address to bind (default 127.0.0.1)" in text
    assert "--allow-code-execution" in text
    assert "--token" in text


def test_a_store_in_a_missing_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("starlette", reason="needs parlay-agentchat[serve]")
    store = tmp_path / "missing" / "sessions.db"
    assert main(["serve", "--store", str(store)]) == 2
    error = capsys.readouterr().err
    assert "does not exist" in error and str(store.parent) in error
