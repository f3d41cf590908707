"""FileSurfer: reads real files converted by markitdown, confined to its base folder.

The agent's model is the OpenAI client talking to a scripted loopback server; the browser
reads a real temporary folder with real symbolic links, FIFOs and HTML files.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("markitdown", reason="needs the file-surfer extra")

from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import TextMessage
from parlay_core.testing import ReplayChatCompletionClient
from parlay_ext.agents.file_surfer import FileBrowser, FileSurfer
from parlay_ext.models.openai import OpenAIChatCompletionClient
from tests.ext._wire import Reply, WireServer
from tests.ext.test_openai_client import completion, tool_call

SECRET = "the-outside-secret-7781"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A base folder to read and, beside it, a folder the surfer must never read."""
    base = tmp_path / "base"
    outside = tmp_path / "outside"
    (base / "docs").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\n")
    (base / "report.html").write_text(
        "<html><head><title>Quarterly report</title></head>"
        "<body><h1>Results</h1><p>Revenue grew by <b>12 percent</b>.</p></body></html>"
    )
    words = " ".join(f"w{i}" for i in range(4000))
    (base / "docs" / "long.txt").write_text(f"{words} needle-one {words} needle-one {words}\n")
    return base, outside


def client(wire: WireServer) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(
        model="gpt-4o", api_key="sk-test", base_url=f"{wire.url}/v1", max_retries=0
    )


def calls(*pairs: tuple[str, dict[str, Any]]) -> Reply:
    """A model reply that calls the given tools."""
    return Reply(
        body=completion(
            None,
            tool_calls=[
                tool_call(f"call_{i}", name, json.dumps(args))
                for i, (name, args) in enumerate(pairs)
            ],
            finish="tool_calls",
        )
    )


async def ask(surfer: FileSurfer, text: str) -> str:
    result = await surfer.run(task=text)
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage) and reply.source == surfer.name
    return reply.content


async def test_opens_an_html_file_as_markdown(wire: WireServer, folders: tuple[Path, Path]) -> None:
    base, _ = folders
    wire.script(calls(("open_path", {"path": "report.html"})))
    surfer = FileSurfer("FileSurfer", model_client=client(wire), base_path=str(base))
    reply = await ask(surfer, "How much did revenue grow?")
    assert f"Path: {base / 'report.html'}" in reply
    assert "Title: Quarterly report" in reply
    assert "Viewport position: Showing page 1 of 1." in reply
    assert "# Results" in reply and "Revenue grew by **12 percent**." in reply
    request = wire.received[0].body
    assert [t["function"]["name"] for t in request["tools"]] == [
        "open_path",
        "page_down",
        "page_up",
        "find_next",
        "find_on_page_ctrl_f",
    ]
    # The model is told where the browser stands, then given the request last.
    assert f"open at '{base}'" in request["messages"][-2]["content"]
    assert request["messages"][-1]["content"] == "How much did revenue grow?"


async def test_a_text_answer_is_the_reply_and_the_history_carries_the_page(
    wire: WireServer, folders: tuple[Path, Path]
) -> None:
    base, _ = folders
    wire.script(
        calls(("open_path", {"path": "report.html"})),
        Reply(body=completion("Revenue grew by 12 percent.")),
    )
    surfer = FileSurfer("FileSurfer", model_client=client(wire), base_path=str(base))
    await ask(surfer, "Open the report.")
    assert await ask(surfer, "How much did it grow?") == "Revenue grew by 12 percent."
    second = wire.received[1].body["messages"]
    assert any("12 percent" in str(m.get("content")) for m in second[:-2])
    assert f"open at '{base / 'report.html'}' (title: 'Quarterly report')" in second[-2]["content"]


async def test_pages_and_searches_a_long_file(wire: WireServer, folders: tuple[Path, Path]) -> None:
    base, _ = folders
    wire.script(
        calls(("open_path", {"path": "docs/long.txt"}), ("page_down", {})),
        calls(("find_on_page_ctrl_f", {"search_string": "needle-one"})),
        calls(("find_next", {})),
        calls(("find_on_page_ctrl_f", {"search_string": "no such words"})),
    )
    surfer = FileSurfer("FileSurfer", model_client=client(wire), base_path=str(base))
    first = await ask(surfer, "Read docs/long.txt.")
    total = len(surfer.browser.viewport_pages)
    assert total > 3
    assert f"Showing page 2 of {total}." in first
    found = await ask(surfer, "Find the needle.")
    assert "needle-one" in found.split("=======================\n", 1)[1]
    page = surfer.browser.viewport_current_page
    again = await ask(surfer, "Next one.")
    assert "needle-one" in again.split("=======================\n", 1)[1]
    assert surfer.browser.viewport_current_page > page
    missing = await ask(surfer, "Find something absent.")
    assert "'no such words' was not found on this page; the viewport did not move." in missing
    assert surfer.browser.viewport_current_page > page


async def test_bad_tool_calls_are_reported_not_raised(
    wire: WireServer, folders: tuple[Path, Path]
) -> None:
    base, _ = folders
    wire.script(
        calls(("open_path", {"file": "report.html"})),
        calls(("delete_everything", {})),
        Reply(body=completion(None, tool_calls=[tool_call("c", "open_path", "{not json")])),
    )
    surfer = FileSurfer("FileSurfer", model_client=client(wire), base_path=str(base))
    assert await ask(surfer, "a") == "open_path needs a 'path' string; nothing was opened."
    assert "There is no tool 'delete_everything'" in await ask(surfer, "b")
    assert "are not valid JSON" in await ask(surfer, "c")


async def test_a_failing_model_call_becomes_the_reply(
    wire: WireServer, folders: tuple[Path, Path]
) -> None:
    base, _ = folders
    wire.script(Reply(status=400, body={"error": {"message": "bad request here"}}))
    surfer = FileSurfer("FileSurfer", model_client=client(wire), base_path=str(base))
    reply = await ask(surfer, "Open the report.")
    assert reply.startswith("File surfing error: ") and "bad request here" in reply


# --- confinement: nothing outside the base folder is read --------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../outside/secret.txt",  # climbing out with ..
        "docs/../../outside/secret.txt",  # .. in the middle
        "ABSOLUTE",  # an absolute path outside
        "~/secret.txt",  # the home folder
    ],
)
def test_paths_outside_the_base_are_refused(folders: tuple[Path, Path], path: str) -> None:
    base, outside = folders
    requested = str(outside / "secret.txt") if path == "ABSOLUTE" else path
    browser = FileBrowser(str(base))
    browser.open_path(requested)
    assert browser.page_title == "Access denied"
    assert SECRET not in browser.page_content
    assert browser.path == requested


def test_a_symlinked_file_pointing_outside_is_refused(folders: tuple[Path, Path]) -> None:
    base, outside = folders
    (base / "innocent.txt").symlink_to(outside / "secret.txt")
    browser = FileBrowser(str(base))
    browser.open_path("innocent.txt")
    assert browser.page_title == "Access denied"
    assert SECRET not in browser.page_content


def test_a_symlinked_folder_pointing_outside_is_refused(folders: tuple[Path, Path]) -> None:
    base, outside = folders
    (base / "shared").symlink_to(outside, target_is_directory=True)
    browser = FileBrowser(str(base))
    for requested in ("shared", "shared/secret.txt"):
        browser.open_path(requested)
        assert browser.page_title == "Access denied", requested
        assert SECRET not in browser.page_content
    # The listing of the base names the link without following it.
    browser.open_path(".")
    assert "| shared (link) |" in browser.page_content


def test_a_base_reached_through_a_symlink_is_confined_to_its_target(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    base, _ = folders
    alias = tmp_path / "alias"
    alias.symlink_to(base, target_is_directory=True)
    browser = FileBrowser(str(alias))
    browser.open_path("report.html")
    assert browser.page_title == "Quarterly report"
    browser.open_path("../outside/secret.txt")
    assert browser.page_title == "Access denied"


def test_links_and_parents_inside_the_base_work(folders: tuple[Path, Path]) -> None:
    base, _ = folders
    (base / "docs" / "report-link.html").symlink_to(base / "report.html")
    browser = FileBrowser(str(base))
    browser.open_path("docs")
    assert "| .. (parent folder) |" in browser.page_content
    browser.open_path("report-link.html")  # relative to the folder on show
    assert browser.page_title == "Quarterly report"
    browser.open_path("..")  # from docs/ back to the base, which is allowed
    assert browser.path == str(base)
    assert "| .. (parent folder) |" not in browser.page_content


async def test_the_agent_refuses_outside_paths_too(
    wire: WireServer, folders: tuple[Path, Path]
) -> None:
    base, outside = folders
    wire.script(calls(("open_path", {"path": str(outside / "secret.txt")})))
    surfer = FileSurfer("FileSurfer", model_client=client(wire), base_path=str(base))
    reply = await ask(surfer, "Read the secret.")
    assert "Title: Access denied" in reply and SECRET not in reply


def test_a_fifo_is_not_waited_on(folders: tuple[Path, Path]) -> None:
    base, _ = folders
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(base / "pipe")
    browser = FileBrowser(str(base))
    browser.open_path("pipe")  # opening it for reading would wait for a writer forever
    assert browser.page_title == "Not a file"


def test_missing_and_unsupported_files_show_an_error_page(folders: tuple[Path, Path]) -> None:
    base, _ = folders
    (base / "blob.bin").write_bytes(bytes(range(256)) * 4)
    browser = FileBrowser(str(base))
    browser.open_path("nothing-here.txt")
    assert browser.page_title == "File not found"
    browser.open_path("blob.bin")
    assert browser.page_title in {"Unsupported format", "Conversion failed"}


def test_a_pdf_without_markitdown_s_pdf_extra_names_the_extra(folders: tuple[Path, Path]) -> None:
    if importlib.util.find_spec("pdfminer") is not None:
        pytest.skip("markitdown's pdf extra is installed here")
    base, _ = folders
    (base / "paper.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    browser = FileBrowser(str(base))
    browser.open_path("paper.pdf")
    assert browser.page_title == "Cannot convert"
    assert "pip install 'markitdown[pdf]'" in browser.page_content


def test_the_base_must_be_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(AgentConfigurationError, match="not an existing folder"):
        FileBrowser(str(tmp_path / "missing"))


# --- configs ---------------------------------------------------------------------------------


def test_config_round_trip_keeps_the_base_path(folders: tuple[Path, Path]) -> None:
    base, _ = folders
    surfer = FileSurfer("Reader", model_client=ReplayChatCompletionClient([]), base_path=str(base))
    dumped = surfer.dump_component()
    assert dumped.provider == "parlay_ext.agents.file_surfer.FileSurfer"
    assert dumped.config["base_path"] == str(base)
    loaded = FileSurfer.load_component(dumped)
    assert loaded.name == "Reader" and loaded.browser.base_path == str(base.resolve())


def test_an_autogen_config_without_base_path_reads_the_working_directory(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = folders
    monkeypatch.chdir(base)
    # AutoGen's FileSurfer config has no base_path (imports renamed).
    config = {
        "provider": "parlay_ext.agents.file_surfer.FileSurfer",
        "component_type": "agent",
        "config": {
            "name": "FileSurfer",
            "model_client": ReplayChatCompletionClient([]).dump_component().model_dump(),
            "description": "Reads files.",
        },
    }
    loaded = FileSurfer.load_component(config)
    assert loaded.description == "Reads files."
    assert loaded.browser.base_path == str(base.resolve())
