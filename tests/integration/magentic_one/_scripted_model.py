"""A scripted model behind OpenAI's wire format on 127.0.0.1, and a small local web site.

Unlike the ext tests' ``WireServer``, which replays replies in a fixed order, this server asks a
Python function for each reply, given the request. A Magentic-One team has five model users
(the orchestrator and four agents) that call in an order the team decides, so the script reads
each request (its tools, its system message, its response format, the conversation) and answers
as that caller's model would. Requests and replies cross a real socket through the real OpenAI
SDK.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "Request",
    "ScriptedModelServer",
    "completion",
    "serve_pages",
    "text_of",
    "tool_calls",
]


@dataclass
class Request:
    """One chat-completion request, with the parts a script routes on."""

    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def tools(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.body.get("tools", [])]

    @property
    def system(self) -> str:
        return "\n".join(text_of(m) for m in self.messages if m.get("role") == "system")

    @property
    def wants_json(self) -> bool:
        return "response_format" in self.body

    @property
    def last(self) -> str:
        return text_of(self.messages[-1]) if self.messages else ""

    @property
    def conversation(self) -> str:
        return "\n".join(text_of(m) for m in self.messages)


def text_of(message: dict[str, Any]) -> str:
    """The text of a wire message (the text parts of a multimodal one)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) for part in content if part.get("type") == "text"
        )
    return ""


def completion(content: str | None, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A chat.completion body with text or tool calls."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A chat.completion body that calls the given tools."""
    return completion(
        None,
        [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for index, (name, arguments) in enumerate(calls)
        ],
    )


class ScriptedModelServer:
    """Answers ``POST .../chat/completions`` with ``script(request)``; records every request.

    A script that raises is answered with HTTP 500 and the error's text, so the test fails
    with the script's own complaint.
    """

    def __init__(self, script: Callable[[Request], dict[str, Any]]) -> None:
        self.requests: list[Request] = []
        self.errors: list[str] = []
        server = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = Request(json.loads(self.rfile.read(length) or b"{}"))
                status = 200
                with lock:
                    server.requests.append(request)
                    try:
                        body = script(request)
                    except Exception as error:
                        status = 500
                        server.errors.append(f"{type(error).__name__}: {error}")
                        body = {"error": {"message": f"script failed: {error}"}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The OpenAI-style base URL (``http://127.0.0.1:<port>/v1``)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ScriptedModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def serve_pages(pages: dict[str, str], visited: list[str] | None = None) -> Iterator[str]:
    """Serve HTML pages (by path) on a free loopback port; yields the root URL.

    Each requested path is appended to ``visited``, when given.
    """

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if visited is not None:
                visited.append(path)
            page = pages.get(path)
            payload = (page or "<html><body>Not found</body></html>").encode()
            self.send_response(200 if page is not None else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def ledger(satisfied: bool, speaker: str, instruction: str, reason: str) -> dict[str, Any]:
    """A progress ledger reply, in the JSON shape the orchestrator asks for."""
    return completion(
        json.dumps(
            {
                "is_request_satisfied": {"reason": reason, "answer": satisfied},
                "is_in_loop": {"reason": "Each step asks for something new.", "answer": False},
                "is_progress_being_made": {"reason": "Steps add facts.", "answer": True},
                "next_speaker": {"reason": "It is their part of the plan.", "answer": speaker},
                "instruction_or_question": {"reason": "The plan says so.", "answer": instruction},
            }
        )
    )


class TeamScript:
    """The models of a Magentic-One team, played by one script.

    Each caller is recognised by its request: the file surfer by its ``open_path`` tool, the
    web surfer by ``visit_url``, the coder by its system message, an assistant by having any
    other system message, and the orchestrator by having none (its progress ledger also asks
    for JSON). The orchestrator gives the turn to ``speakers`` in order, then declares the
    request satisfied with ``done_reason`` and answers with ``final(conversation)``.

    Args:
        speakers: Who the orchestrator picks, step by step.
        coder_system: The coder's system message, to recognise it.
        code: The coder's reply, from the conversation it was given.
        final: The orchestrator's final answer, from the conversation it was given.
        page_url: Where the web surfer goes.
        file_name: What the file surfer opens.
        assistant_reply: What a plain assistant answers.
        done_reason: Why the request is satisfied (the run's stop reason).
    """

    def __init__(
        self,
        speakers: list[str],
        *,
        coder_system: str = "",
        code: Callable[[str], str] = lambda conversation: "No code needed.",
        final: Callable[[str], str] = lambda conversation: "Done.",
        page_url: str = "",
        file_name: str = "",
        assistant_reply: str = "Here is my answer.",
        done_reason: str = "Every part of the request is answered.",
    ) -> None:
        self.plan = list(speakers)
        self.first = speakers[0] if speakers else ""
        self.coder_system = coder_system
        self.code = code
        self.final = final
        self.page_url = page_url
        self.file_name = file_name
        self.assistant_reply = assistant_reply
        self.done_reason = done_reason
        self.done = False
        self.picked: list[str] = []

    def __call__(self, request: Request) -> dict[str, Any]:
        if "open_path" in request.tools:
            return tool_calls(("open_path", {"path": self.file_name}))
        if "visit_url" in request.tools:
            reasoning = "The orchestrator named the page to read."
            return tool_calls(("visit_url", {"reasoning": reasoning, "url": self.page_url}))
        if self.coder_system and request.system == self.coder_system:
            return completion(self.code(request.conversation))
        if request.system:
            return completion(self.assistant_reply)
        if request.wants_json:
            if self.plan:
                speaker = self.plan.pop(0)
                self.picked.append(speaker)
                return ledger(
                    False, speaker, f"{speaker}, please do your part of the plan.", "Not yet."
                )
            self.done = True
            return ledger(True, self.first, "Thank you all.", self.done_reason)
        if self.done:
            return completion(self.final(request.conversation))
        # The orchestrator's facts and plan.
        return completion("Facts: the request needs the team. Plan: each member does one step.")
