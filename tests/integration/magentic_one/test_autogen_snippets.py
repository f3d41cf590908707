"""AutoGen's Magentic-One user-guide programs run on Parlay after renaming imports.

Each program is written as an AutoGen user writes it (``autogen_*`` imports, ``asyncio.run``,
the ``Console``), then its imports are renamed and it runs as a separate Python process. The
only other edits point it at local servers, so the run stays on this machine: the OpenAI
client gets the ``base_url`` of a scripted model on 127.0.0.1, and the web surfer a
``start_page`` on a local site (AutoGen's default is Bing). A program that never closes its web
surfer still ends: the browser stops with the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="the magentic-one extra is not installed")
pytest.importorskip("markitdown", reason="the magentic-one extra is not installed")

from parlay_core.exceptions import BrowserNotFoundError
from parlay_ext.agents.magentic_one import MAGENTIC_ONE_CODER_SYSTEM_MESSAGE
from parlay_ext.browser import CHROMIUM_ENV_VAR, find_chromium
from tests.integration.magentic_one._scripted_model import (
    ScriptedModelServer,
    TeamScript,
    serve_pages,
)

ROOT = Path(__file__).resolve().parents[3]

UV_PAGE = (
    "<!doctype html><html><head><title>Melbourne weather</title></head><body>"
    "<h1>Melbourne</h1><p>The UV index in Melbourne today is 7 (high).</p></body></html>"
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
def site() -> Iterator[str]:
    with serve_pages({"/": UV_PAGE, "/uv.html": UV_PAGE}) as root:
        yield root


def renamed(program: str, model_url: str, start_page: str = "") -> str:
    """The AutoGen program with Parlay's imports, pointed at the local servers."""
    source = textwrap.dedent(program)
    for old, new in (
        ("autogen_core", "parlay_core"),
        ("autogen_agentchat", "parlay_agentchat"),
        ("autogen_ext", "parlay_ext"),
    ):
        source = source.replace(old, new)
    source = source.replace(
        'OpenAIChatCompletionClient(model="gpt-4o")',
        f'OpenAIChatCompletionClient(model="gpt-4o", api_key="sk-test", base_url="{model_url}")',
    )
    source = source.replace(
        'MultimodalWebSurfer("WebSurfer", model_client=model_client)',
        f'MultimodalWebSurfer("WebSurfer", model_client=model_client, start_page="{start_page}")',
    )
    assert "autogen" not in source
    return source


def run(program: str, cwd: Path, stdin: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=240,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_magentic_one_group_chat_with_an_assistant(tmp_path: Path) -> None:
    program = """
        import asyncio

        from autogen_agentchat.agents import AssistantAgent
        from autogen_agentchat.teams import MagenticOneGroupChat
        from autogen_agentchat.ui import Console
        from autogen_ext.models.openai import OpenAIChatCompletionClient


        async def main() -> None:
            model_client = OpenAIChatCompletionClient(model="gpt-4o")
            assistant = AssistantAgent("Assistant", model_client=model_client)
            team = MagenticOneGroupChat([assistant], model_client=model_client)
            await Console(team.run_stream(task="Provide a different proof for Fermat's Last Theorem"))
            await model_client.close()


        asyncio.run(main())
    """
    script = TeamScript(
        ["Assistant"],
        assistant_reply="A sketch: modularity of elliptic curves.",
        final=lambda conversation: "The assistant sketched a proof via modularity.",
    )
    with ScriptedModelServer(script) as server:
        out = run(renamed(program, server.url), tmp_path)
    assert server.errors == []
    assert "A sketch: modularity of elliptic curves." in out
    assert "The assistant sketched a proof via modularity." in out


def test_magentic_one_group_chat_with_the_web_surfer(
    chromium: str, site: str, tmp_path: Path
) -> None:
    program = """
        import asyncio

        from autogen_agentchat.teams import MagenticOneGroupChat
        from autogen_agentchat.ui import Console
        from autogen_ext.agents.web_surfer import MultimodalWebSurfer
        from autogen_ext.models.openai import OpenAIChatCompletionClient


        async def main() -> None:
            model_client = OpenAIChatCompletionClient(model="gpt-4o")
            surfer = MultimodalWebSurfer("WebSurfer", model_client=model_client)
            team = MagenticOneGroupChat([surfer], model_client=model_client)
            await Console(team.run_stream(task="What is the UV index in Melbourne today?"))
            await surfer.close()


        asyncio.run(main())
    """
    script = TeamScript(
        ["WebSurfer"],
        page_url=f"{site}/uv.html",
        final=lambda conversation: (
            "The UV index is 7."
            if "UV index in Melbourne today is 7" in conversation
            else "The surfer found nothing."
        ),
    )
    with ScriptedModelServer(script) as server:
        out = run(renamed(program, server.url, f"{site}/"), tmp_path)
    assert server.errors == []
    assert "The UV index is 7." in out


def test_all_four_agents_in_a_magentic_one_group_chat(
    chromium: str, site: str, tmp_path: Path
) -> None:
    program = """
        import asyncio

        from autogen_agentchat.agents import CodeExecutorAgent
        from autogen_agentchat.teams import MagenticOneGroupChat
        from autogen_agentchat.ui import Console
        from autogen_ext.agents.file_surfer import FileSurfer
        from autogen_ext.agents.magentic_one import MagenticOneCoderAgent
        from autogen_ext.agents.web_surfer import MultimodalWebSurfer
        from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor
        from autogen_ext.models.openai import OpenAIChatCompletionClient


        async def main() -> None:
            model_client = OpenAIChatCompletionClient(model="gpt-4o")
            surfer = MultimodalWebSurfer("WebSurfer", model_client=model_client)
            file_surfer = FileSurfer("FileSurfer", model_client=model_client)
            coder = MagenticOneCoderAgent("Coder", model_client=model_client)
            terminal = CodeExecutorAgent("ComputerTerminal", code_executor=LocalCommandLineCodeExecutor())
            team = MagenticOneGroupChat([surfer, file_surfer, coder, terminal], model_client=model_client)
            await Console(team.run_stream(task="Check the UV index and the notes, then add them up."))


        asyncio.run(main())
    """
    (tmp_path / "notes.txt").write_text("Add 5 to the index.\n")
    script = TeamScript(
        ["WebSurfer", "FileSurfer", "Coder", "ComputerTerminal"],
        coder_system=MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
        code=lambda conversation: "```python\nprint('SUM', 7 + 5)\n```",
        page_url=f"{site}/uv.html",
        file_name="notes.txt",
        final=lambda conversation: (
            "All done: 12."
            if "SUM 12" in conversation and "Add 5 to the index." in conversation
            else "Something was missing."
        ),
    )
    with ScriptedModelServer(script) as server:
        out = run(renamed(program, server.url, f"{site}/"), tmp_path)
    assert server.errors == []
    assert "All done: 12." in out


def test_the_magentic_one_helper_class(tmp_path: Path) -> None:
    program = """
        import asyncio

        from autogen_agentchat.ui import Console
        from autogen_ext.models.openai import OpenAIChatCompletionClient
        from autogen_ext.teams.magentic_one import MagenticOne


        async def example_usage():
            client = OpenAIChatCompletionClient(model="gpt-4o")
            m1 = MagenticOne(client=client)
            task = "Write a Python script to fetch data from an API."
            result = await Console(m1.run_stream(task=task))
            print(result)


        if __name__ == "__main__":
            asyncio.run(example_usage())
    """
    script = TeamScript(
        ["Coder"],
        coder_system=MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
        code=lambda conversation: "```python\nimport urllib.request\nprint('fetched')\n```",
        final=lambda conversation: "The coder wrote the script.",
    )
    with ScriptedModelServer(script) as server:
        out = run(renamed(program, server.url), tmp_path)
    assert server.errors == []
    assert "The coder wrote the script." in out
    assert "stop_reason='Every part of the request is answered.'" in out


def test_the_magentic_one_helper_with_an_approval_function(tmp_path: Path) -> None:
    # AutoGen's example uses the Docker executor; the local one keeps this test off Docker.
    program = """
        import asyncio

        from autogen_agentchat.agents import ApprovalRequest, ApprovalResponse
        from autogen_agentchat.ui import Console
        from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor
        from autogen_ext.models.openai import OpenAIChatCompletionClient
        from autogen_ext.teams.magentic_one import MagenticOne


        def approval_func(request: ApprovalRequest) -> ApprovalResponse:
            print(f"Code to execute:\\n{request.code}")
            user_input = input("Do you approve this code execution? (y/n): ").strip().lower()
            if user_input == "y":
                return ApprovalResponse(approved=True, reason="User approved the code execution")
            return ApprovalResponse(approved=False, reason="User denied the code execution")


        async def example_usage_with_approval():
            client = OpenAIChatCompletionClient(model="gpt-4o")
            async with LocalCommandLineCodeExecutor() as code_executor:
                m1 = MagenticOne(
                    client=client,
                    hil_mode=False,
                    code_executor=code_executor,
                    approval_func=approval_func,
                )
                task = "Write a Python script to fetch data from an API."
                result = await Console(m1.run_stream(task=task))
                print(result)


        if __name__ == "__main__":
            asyncio.run(example_usage_with_approval())
    """
    script = TeamScript(
        ["Coder", "ComputerTerminal"],
        coder_system=MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
        code=lambda conversation: "```python\nprint('fetched', 6 * 7)\n```",
        final=lambda conversation: (
            "It ran: 42." if "fetched 42" in conversation else "It did not run."
        ),
    )
    with ScriptedModelServer(script) as server:
        out = run(renamed(program, server.url), tmp_path, stdin="y\n")
    assert server.errors == []
    assert "Code to execute:\n```python\nprint('fetched', 6 * 7)" in out
    assert "It ran: 42." in out
