"""Magentic-One on this machine alone: the embedded model, a local web page and a local file.

The team is Magentic-One's: an orchestrator that plans and directs, a web surfer driving the
machine's headless Chromium, a file surfer reading a folder, a coder, and a terminal that runs
the coder's programs only when a person approves them. Everything stays local:

- the model is the embedded SmolLM2-135M (no key, no network). It is far too small for this
  work, so expect poor answers; the point is that every part runs and the run ends cleanly.
  With a real model, build the same team on ``OpenAIChatCompletionClient`` (see
  docs/magentic-one.md);
- the web page is served on 127.0.0.1, and the browser is refused every other address;
- the file surfer is confined to a temporary folder;
- programs run in a temporary folder, and only after you answer ``y`` at the prompt. Without a
  terminal to ask (as in CI) they are refused.

A tiny model does not follow the orchestrator's JSON instructions on its own. The embedded
model's client supports structured output, so the orchestrator asks it for the progress ledger
in the ledger's exact shape (a JSON schema whose next speaker is one of the team) and generation
is constrained to it: the team runs on the plain client, with nothing added. Such a model may
well declare the request satisfied at once; the team then ends with its final answer. The run
stops after two steps at most ("Max rounds reached."): generating under a grammar is slow on a
CPU. Without a Chromium on the machine, the team runs without its web surfer.

Run it with ``python examples/magentic_one_local.py`` (needs the ``magentic-one`` and ``local``
extras and a Chromium; see docs/magentic-one.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Route, async_playwright

from parlay_agentchat.agents import (
    ApprovalRequest,
    ApprovalResponse,
    BaseChatAgent,
    CodeExecutorAgent,
)
from parlay_agentchat.base import TaskResult
from parlay_agentchat.teams import MagenticOneGroupChat
from parlay_agentchat.ui import Console
from parlay_core.exceptions import BrowserNotFoundError
from parlay_core.models import ChatCompletionClient
from parlay_ext.agents.file_surfer import FileSurfer
from parlay_ext.agents.magentic_one import MagenticOneCoderAgent
from parlay_ext.agents.web_surfer import MultimodalWebSurfer
from parlay_ext.browser import CHROMIUM_ARGS, find_chromium
from parlay_ext.code_executors.local import LocalCommandLineCodeExecutor
from parlay_ext.models.llama_cpp import LlamaCppChatCompletionClient

PAGE = (
    "<!doctype html><html><head><title>Opening hours</title></head><body>"
    "<h1>Opening hours</h1><p>The library opens at 9 and closes at 17.</p></body></html>"
)
NOTES = "Question to answer: how many hours a day is the library open?\n"
LEDGER_TOKENS = 200
TASK = (
    "Read the page at {url} and the file notes.txt, then answer the question in the notes. "
    "A program may compute the answer."
)


def serve_page() -> tuple[str, ThreadingHTTPServer]:
    """Serve PAGE on a free loopback port."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            payload = PAGE.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/hours.html", server


async def local_only(route: Route) -> None:
    """Let the browser reach this machine's loopback address only."""
    if route.request.url.startswith("http://127.0.0.1:"):
        await route.continue_()
    else:
        await route.abort()


def ask_before_running(request: ApprovalRequest) -> ApprovalResponse:
    """Show the program and ask; refuse when nobody is at a terminal to answer."""
    print(f"\n[approval] The coder wants to run:\n{request.code}", flush=True)
    if not sys.stdin.isatty():
        print("[approval] refused: nobody at a terminal to approve it", flush=True)
        return ApprovalResponse(approved=False, reason="Nobody was there to approve the program.")
    answer = input("[approval] Run it? (y/n): ").strip().lower()
    if answer == "y":
        return ApprovalResponse(approved=True, reason="Approved at the terminal.")
    return ApprovalResponse(approved=False, reason="Refused at the terminal.")


async def run_team(
    model: ChatCompletionClient,
    orchestrator_model: ChatCompletionClient,
    url: str,
    files: str,
    runs: str,
    context: BrowserContext | None,
) -> TaskResult:
    """Build the team (without a web surfer when there is no browser) and run it once."""
    async with LocalCommandLineCodeExecutor(work_dir=runs) as executor:
        agents: list[BaseChatAgent] = []
        if context is not None:
            agents.append(
                MultimodalWebSurfer(
                    "WebSurfer", model_client=model, start_page=url, context=context
                )
            )
        agents += [
            FileSurfer("FileSurfer", model_client=model, base_path=files),
            MagenticOneCoderAgent("Coder", model_client=model),
            CodeExecutorAgent(
                "ComputerTerminal", code_executor=executor, approval_func=ask_before_running
            ),
        ]
        # Two steps keep the run short on a CPU (each ledger is generated under a grammar,
        # token by token); a tiny model rarely sees progress, so stalls must not re-plan.
        team = MagenticOneGroupChat(
            agents, model_client=orchestrator_model, max_turns=2, max_stalls=10
        )
        try:
            return await Console(team.run_stream(task=TASK.format(url=url)))
        finally:
            for agent in agents:
                await agent.close()


async def main() -> None:
    url, server = serve_page()
    print(f"Serving the local page on {url}", flush=True)
    with tempfile.TemporaryDirectory() as files, tempfile.TemporaryDirectory() as runs:
        await asyncio.to_thread(Path(files, "notes.txt").write_text, NOTES)
        print(f"The file surfer reads {files}; programs would run in {runs}", flush=True)
        print("(The embedded model loads on the first call; that takes a moment.)", flush=True)
        model = LlamaCppChatCompletionClient(
            max_tokens=48, temperature=0.0, n_ctx=8192, n_threads=2, quiet=True
        )
        # The orchestrator's replies are longer: a progress ledger holds five answers, each
        # with its reason. (Both clients share the one loaded model.)
        orchestrator_model = LlamaCppChatCompletionClient(
            max_tokens=LEDGER_TOKENS, temperature=0.0, n_ctx=8192, n_threads=2, quiet=True
        )
        try:
            chromium: str | None = find_chromium()
        except BrowserNotFoundError as error:
            print(f"No web surfer: {error}", flush=True)
            chromium = None
        async with async_playwright() as playwright:
            if chromium is None:
                result = await run_team(model, orchestrator_model, url, files, runs, None)
            else:
                browser = await playwright.chromium.launch(
                    executable_path=chromium,
                    args=[arg for arg in CHROMIUM_ARGS if arg != "--headless"],
                )
                context = await browser.new_context()
                await context.route("**/*", local_only)
                try:
                    result = await run_team(model, orchestrator_model, url, files, runs, context)
                finally:
                    await context.close()
                    await browser.close()
        await model.close()
        await orchestrator_model.close()
    server.shutdown()
    server.server_close()
    speakers = sorted({m.source for m in result.messages} - {"user", "MagenticOneOrchestrator"})
    print(f"magentic-one finished: {len(result.messages)} messages, turns taken by {speakers}")


if __name__ == "__main__":
    asyncio.run(main())
