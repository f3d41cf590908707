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

A tiny model does not follow the orchestrator's JSON instructions on its own, so this example
hands the embedded model the progress ledger's exact shape as a JSON schema (generation is then
constrained to it), and, since such a model declares the task done at once, offers it the
members in turn (the web surfer first), without a way to finish until all have spoken. Larger
models need no such help. The run stops after two steps ("Max rounds reached."): generating under a grammar is
slow on a CPU. Without a Chromium on the machine, the team runs without its web surfer.

Run it with ``python examples/magentic_one_local.py`` (needs the ``magentic-one`` and ``local``
extras and a Chromium; see docs/magentic-one.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from collections.abc import AsyncGenerator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from playwright.async_api import BrowserContext, Route, async_playwright
from pydantic import BaseModel, Field, create_model

from parlay_agentchat.agents import (
    ApprovalRequest,
    ApprovalResponse,
    BaseChatAgent,
    CodeExecutorAgent,
)
from parlay_agentchat.base import TaskResult
from parlay_agentchat.teams import MagenticOneGroupChat
from parlay_agentchat.ui import Console
from parlay_core import CancellationToken
from parlay_core.exceptions import BrowserNotFoundError
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
    UserMessage,
)
from parlay_core.tools import Tool, ToolSchema
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
LEDGER_TOKENS = 160
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


def ledger_schema(speakers: Sequence[str], may_finish: bool) -> type[BaseModel]:
    """The progress ledger as a JSON schema: its keys, booleans, and a speaker from the list."""
    # The speaker and the instruction come first: a small model that has written them down
    # judges the request's state better than one asked for that verdict before anything else.
    fields: dict[str, Any] = {
        "next_speaker": (str, Field(json_schema_extra={"enum": list(speakers)})),
        "instruction_or_question": (str, Field(max_length=40)),
        "is_progress_being_made": (bool, ...),
        "is_in_loop": (bool, ...),
        "is_request_satisfied": (bool, Field(json_schema_extra={"enum": [True, False]}))
        if may_finish
        else (bool, Field(json_schema_extra={"enum": [False]})),
    }
    return create_model("ProgressLedger", **fields)


class LedgerShaped(ChatCompletionClient):
    """The embedded model, given the ledger's schema whenever the orchestrator asks for JSON.

    The orchestrator asks for plain JSON only for its progress ledger; every other call passes
    through unchanged. A 135M model declares the request satisfied at once, so until every
    member has had a turn the schema leaves it only the next member in the team's order and no
    way to finish: a tour of the team, not a judgement the model makes.
    """

    def __init__(self, inner: ChatCompletionClient, names: Sequence[str]) -> None:
        self._inner = inner
        self._names = list(names)

    def _schema(self, messages: Sequence[LLMMessage]) -> type[BaseModel]:
        spoke = {m.source for m in messages if isinstance(m, UserMessage)}
        waiting = [name for name in self._names if name not in spoke]
        return ledger_schema(waiting[:1] or self._names, may_finish=not waiting)

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        if json_output is not True:
            return await self._inner.create(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                json_output=json_output,
                extra_create_args=extra_create_args,
                cancellation_token=cancellation_token,
            )
        # The ledger is longer than the short prose replies the client is limited to.
        return await self._inner.create(
            messages,
            json_output=self._schema(messages),
            extra_create_args={**extra_create_args, "max_tokens": LEDGER_TOKENS},
            cancellation_token=cancellation_token,
        )

    def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        return self._inner.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    async def close(self) -> None:
        await self._inner.close()

    def actual_usage(self) -> RequestUsage:
        return self._inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self._inner.total_usage()

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()
    ) -> int:
        return self._inner.count_tokens(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()
    ) -> int:
        return self._inner.remaining_tokens(messages, tools=tools)

    @property
    def model_info(self) -> ModelInfo:
        return self._inner.model_info


async def run_team(
    model: ChatCompletionClient, url: str, files: str, runs: str, context: BrowserContext | None
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
        names = [agent.name for agent in agents]
        # Two steps keep the run short on a CPU (each ledger is generated under a grammar,
        # token by token); a tiny model rarely sees progress, so stalls must not re-plan.
        team = MagenticOneGroupChat(
            agents, model_client=LedgerShaped(model, names), max_turns=2, max_stalls=10
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
        try:
            chromium: str | None = find_chromium()
        except BrowserNotFoundError as error:
            print(f"No web surfer: {error}", flush=True)
            chromium = None
        async with async_playwright() as playwright:
            if chromium is None:
                result = await run_team(model, url, files, runs, None)
            else:
                browser = await playwright.chromium.launch(
                    executable_path=chromium,
                    args=[arg for arg in CHROMIUM_ARGS if arg != "--headless"],
                )
                context = await browser.new_context()
                await context.route("**/*", local_only)
                try:
                    result = await run_team(model, url, files, runs, context)
                finally:
                    await context.close()
                    await browser.close()
        await model.close()
    server.shutdown()
    server.server_close()
    speakers = sorted({m.source for m in result.messages} - {"user", "MagenticOneOrchestrator"})
    print(f"magentic-one finished: {len(result.messages)} messages, turns taken by {speakers}")


if __name__ == "__main__":
    asyncio.run(main())
