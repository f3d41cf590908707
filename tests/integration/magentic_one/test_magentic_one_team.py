"""The MagenticOne preset team, end to end: real Chromium, real files, real code execution.

The model is scripted (see ``_scripted_model``) and reached through the OpenAI client over a
loopback socket. Everything else is real: the web surfer drives the machine's Chromium to a page
served on 127.0.0.1, the file surfer reads a file through markitdown, the coder's program runs
in a subprocess of the local executor after the approval function approves it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="the magentic-one extra is not installed")
pytest.importorskip("markitdown", reason="the magentic-one extra is not installed")

from parlay_agentchat.agents import ApprovalRequest, ApprovalResponse
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import TextMessage
from parlay_core.exceptions import BrowserNotFoundError
from parlay_ext.agents.magentic_one import MAGENTIC_ONE_CODER_SYSTEM_MESSAGE
from parlay_ext.browser import CHROMIUM_ENV_VAR, find_chromium
from parlay_ext.code_executors.local import LocalCommandLineCodeExecutor
from parlay_ext.models.openai import OpenAIChatCompletionClient
from parlay_ext.teams.magentic_one import MagenticOne
from tests.integration.magentic_one._scripted_model import (
    ScriptedModelServer,
    TeamScript,
    serve_pages,
)

LAUNCH_PAGE = (
    "<!doctype html><html><head><title>Launch notes</title></head><body>"
    "<h1>Launch notes</h1><p>The launch code is 4711.</p></body></html>"
)
HOME_PAGE = "<!doctype html><html><head><title>Home</title></head><body>Home</body></html>"
TASK = (
    "Read the launch notes page at {url}, read notes.txt, and compute the product of the two "
    "numbers with a program."
)


@pytest.fixture(scope="module")
def chromium() -> str:
    """The machine's Chromium; skips where there is none, unless one was promised."""
    if os.environ.get(CHROMIUM_ENV_VAR):
        return find_chromium()
    try:
        return find_chromium()
    except BrowserNotFoundError as error:
        pytest.skip(f"no Chromium on this machine: {error}")


@pytest.fixture
def site() -> Iterator[tuple[str, list[str]]]:
    visited: list[str] = []
    with serve_pages({"/": HOME_PAGE, "/launch.html": LAUNCH_PAGE}, visited) as root:
        yield root, visited


@pytest.fixture
def work(tmp_path: Path) -> tuple[Path, Path]:
    """A folder for the file surfer, with the notes, and one where programs run."""
    files = tmp_path / "files"
    files.mkdir()
    (files / "notes.txt").write_text("Multiply by 3.\n")
    runs = tmp_path / "runs"
    runs.mkdir()
    return files, runs


def coder_program(conversation: str) -> str:
    # The numbers come from what the surfers reported: without them the script fails loudly.
    code = re.search(r"launch code is (\d+)", conversation)
    factor = re.search(r"Multiply by (\d+)", conversation)
    if code is None or factor is None:
        raise AssertionError("the coder was not shown the page and the notes")
    program = (
        "open('ran.txt', 'w').write('ran')\n"
        f"print('RESULT=' + str({code.group(1)} * {factor.group(1)}))\n"
    )
    return f"This program computes the product:\n```python\n{program}```"


def final_answer(conversation: str) -> str:
    found = re.search(r"RESULT=(\d+)", conversation)
    return f"The product is {found.group(1)}." if found else "The product is unknown."


def client(server: ScriptedModelServer) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(
        model="gpt-4o", api_key="sk-test", base_url=server.url, max_retries=0
    )


def script(root: str, speakers: list[str]) -> TeamScript:
    return TeamScript(
        speakers,
        coder_system=MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
        code=coder_program,
        final=final_answer,
        page_url=f"{root}/launch.html",
        file_name="notes.txt",
        done_reason="The terminal printed the product.",
    )


FULL_PLAN = ["WebSurfer", "FileSurfer", "Coder", "ComputerTerminal"]


async def test_the_team_browses_reads_codes_and_runs_with_approval(
    chromium: str, site: tuple[str, list[str]], work: tuple[Path, Path]
) -> None:
    root, visited = site
    files, runs = work
    approvals: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> ApprovalResponse:
        approvals.append(request)
        return ApprovalResponse(approved=True, reason="The test read the program.")

    with ScriptedModelServer(script(root, FULL_PLAN)) as server:
        async with LocalCommandLineCodeExecutor(work_dir=runs) as executor:
            team = MagenticOne(
                client=client(server),
                code_executor=executor,
                approval_func=approve,
                web_surfer_start_page=f"{root}/",
                file_surfer_base_path=str(files),
            )
            try:
                result = await team.run(task=TASK.format(url=f"{root}/launch.html"))
            finally:
                await team.close()
    assert server.errors == []
    assert result.stop_reason == "The terminal printed the product."
    by_source = {m.source: m for m in result.messages if m.source != "MagenticOneOrchestrator"}
    assert set(by_source) >= {"user", *FULL_PLAN}
    # The real browser went to the page and reported its text.
    assert "/launch.html" in visited
    assert "The launch code is 4711." in by_source["WebSurfer"].to_text()
    assert "Multiply by 3." in by_source["FileSurfer"].to_text()
    # The program ran once, approved, in the executor's folder.
    assert len(approvals) == 1 and "4711 * 3" in approvals[0].code
    assert "RESULT=14133" in by_source["ComputerTerminal"].to_text()
    assert (runs / "ran.txt").read_text() == "ran"
    final = result.messages[-1]
    assert isinstance(final, TextMessage) and final.source == "MagenticOneOrchestrator"
    assert final.content == "The product is 14133."


async def test_a_refused_program_is_not_run(
    chromium: str, site: tuple[str, list[str]], work: tuple[Path, Path]
) -> None:
    root, _ = site
    files, runs = work

    async def refuse(request: ApprovalRequest) -> ApprovalResponse:
        return ApprovalResponse(approved=False, reason="Programs that write files are not allowed.")

    with ScriptedModelServer(script(root, FULL_PLAN)) as server:
        async with LocalCommandLineCodeExecutor(work_dir=runs) as executor:
            team = MagenticOne(
                client=client(server),
                code_executor=executor,
                approval_func=refuse,
                web_surfer_start_page=f"{root}/",
                file_surfer_base_path=str(files),
            )
            try:
                result = await team.run(task=TASK.format(url=f"{root}/launch.html"))
            finally:
                await team.close()
    terminal = next(m for m in result.messages if m.source == "ComputerTerminal")
    assert "Programs that write files are not allowed." in terminal.to_text()
    assert "RESULT=" not in terminal.to_text()
    assert not (runs / "ran.txt").exists()
    assert result.messages[-1].to_text() == "The product is unknown."


def test_code_execution_needs_an_executor_and_an_approval_function(
    work: tuple[Path, Path],
) -> None:
    _, runs = work
    model = OpenAIChatCompletionClient(
        model="gpt-4o", api_key="sk-test", base_url="http://127.0.0.1:9/v1"
    )
    with pytest.raises(AgentConfigurationError, match="pass approval_func"):
        MagenticOne(client=model, code_executor=LocalCommandLineCodeExecutor(work_dir=runs))
    with pytest.raises(AgentConfigurationError, match="nothing to approve"):
        MagenticOne(
            client=model,
            approval_func=lambda r: ApprovalResponse(approved=True, reason="yes"),
        )


def test_the_team_has_autogen_s_members(work: tuple[Path, Path]) -> None:
    files, runs = work
    model = OpenAIChatCompletionClient(
        model="gpt-4o", api_key="sk-test", base_url="http://127.0.0.1:9/v1"
    )
    # Without an executor there is no terminal: nothing the coder writes is run.
    plain = MagenticOne(client=model, file_surfer_base_path=str(files))
    assert [p["config"]["name"] for p in plain.dump_component().config["participants"]] == [
        "FileSurfer",
        "WebSurfer",
        "Coder",
    ]
    with_user = MagenticOne(
        client=model,
        hil_mode=True,
        input_func=lambda prompt: "yes",
        code_executor=LocalCommandLineCodeExecutor(work_dir=runs),
        approval_func=lambda r: ApprovalResponse(approved=True, reason="yes"),
        file_surfer_base_path=str(files),
    )
    assert [p.name for p in with_user._participants] == [  # pyright: ignore[reportPrivateUsage]
        "FileSurfer",
        "WebSurfer",
        "Coder",
        "ComputerTerminal",
        "User",
    ]
