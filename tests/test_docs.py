"""The documentation: every page is in the navigation, and every Python block runs.

A ```python block in README.md or docs/ is a standalone script unless the last non-blank line
before its fence is an HTML comment starting with ``fragment`` (``<!-- fragment: needs a
running NATS server -->``), which renders as nothing. Each script runs in its own process with a timeout,
from an empty folder, with a loopback OpenAI-compatible server behind ``OPENAI_BASE_URL`` so
that blocks using ``OpenAIChatCompletionClient`` run without a key or a network.
docs/contributing-docs.md explains the convention to writers.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
TIMEOUT = 120

_FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[\w-]*)[^\n]*$")
_FRAGMENT = re.compile(r"^\s*<!--\s*fragment\b.*-->\s*$")


@dataclass
class Block:
    page: Path
    line: int
    code: str
    fragment: bool

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def python_blocks(page: Path) -> Iterator[Block]:
    """The ```python blocks of one Markdown page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent = len(opening["indent"])
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][indent:])
            index += 1
        index += 1
        if opening["lang"] in {"python", "py"}:
            before = start - 1
            while before >= 0 and not lines[before].strip():
                before -= 1
            fragment = before >= 0 and bool(_FRAGMENT.match(lines[before]))
            yield Block(page, start + 1, "\n".join(body) + "\n", fragment)


BLOCKS = [block for page in PAGES for block in python_blocks(page)]
RUNNABLE = [block for block in BLOCKS if not block.fragment]


def test_every_page_is_in_the_navigation() -> None:
    """mkdocs --strict fails on a page missing from ``nav``; this names the page at once."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:") :]
    listed = set(re.findall(r"([\w./-]+\.md)\s*$", nav, flags=re.MULTILINE))
    pages = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")}
    assert pages - listed == set(), "pages missing from mkdocs.yml's nav"
    assert listed - pages == set(), "nav entries without a page"


def _public_modules() -> Iterator[tuple[str, Path]]:
    """Every public package or module of the three distributions, dotted, with its file."""
    for source in sorted((ROOT / "packages").glob("*/src")):
        for path in sorted(source.rglob("*.py")):
            parts = path.relative_to(source).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and not any(part.startswith("_") for part in parts):
                yield ".".join(parts), path


def _exports(path: Path) -> list[str]:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = getattr(node, "target", None) or next(iter(getattr(node, "targets", [])), None)
        if isinstance(target, ast.Name) and target.id == "__all__" and node.value is not None:  # type: ignore[attr-defined]
            return list(ast.literal_eval(node.value))  # type: ignore[attr-defined]
    return []


def test_every_public_package_has_a_reference_page() -> None:
    """A package that exports names gets a page under docs/reference/ (and so in the nav)."""
    missing = [
        name
        for name, path in _public_modules()
        if _exports(path) and not (DOCS / "reference" / f"{name}.md").exists()
    ]
    assert missing == [], "add a docs/reference/<package>.md page with a ::: directive"


def test_blocks_are_counted() -> None:
    """The split between runnable blocks and fragments, printed with ``-s`` for the record."""
    print(f"\n{len(RUNNABLE)} runnable Python blocks, {len(BLOCKS) - len(RUNNABLE)} fragments")
    assert RUNNABLE


class _OpenAIWire(BaseHTTPRequestHandler):
    """Answers every chat completion with one short assistant reply, streamed when asked."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        model = request.get("model", "gpt-4o-mini")
        text = "Hello from the test server. TERMINATE"
        usage = {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}
        if request.get("stream"):
            chunks = [
                {"choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {"choices": [], "usage": usage},
            ]
            payload = "".join(
                "data: "
                + json.dumps(
                    {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model}
                    | chunk
                )
                + "\n\n"
                for chunk in chunks
            )
            body = (payload + "data: [DONE]\n\n").encode()
            content_type = "text/event-stream"
        else:
            message = {"role": "assistant", "content": text}
            reply = {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": usage,
            }
            body = json.dumps(reply).encode()
            content_type = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def openai_base_url() -> Generator[str, None, None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIWire)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_python_block_runs(block: Block, openai_base_url: str, tmp_path: Path) -> None:
    script = tmp_path / "block.py"
    script.write_text(block.code, encoding="utf-8")
    env = {
        **os.environ,
        "OPENAI_BASE_URL": openai_base_url,
        "OPENAI_API_KEY": "sk-docs-test",
        "PYTHONPATH": "",
    }
    for name in ("ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_ORG_ID"):
        env.pop(name, None)
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.id} ran over {TIMEOUT} s; mark it a fragment or make it faster")
    assert done.returncode == 0, (
        f"{block.id} failed; fix it or mark it '<!-- fragment: why -->'.\n{done.stderr[-3000:]}"
    )
