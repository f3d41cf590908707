"""Every example runs and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# What each example must print; an example added without an entry here fails the suite.
EXPECTED: dict[str, list[str]] = {
    "hello_world.py": [
        "manager received: Hello World!",
        "manager sending to my_worker_agent/worker...",
        "worker received from my_manager_agent/manager: Hello World!",
        "manager got reply from my_worker_agent/worker: OK, Got it!",
    ],
    "pubsub.py": [
        "[billing order-1] charged 8.00 for saucers (total 32.50)",
        "agents created lazily: ['billing/order-1', 'billing/order-2', 'shipping/order-1', 'shipping/order-2']",
    ],
    # A 135M model's words are not predictable: check that the agent was asked and answered.
    "ai_agent.py": ["user: 中国的首都是哪个城市?", "my_agent replied ("],
    "demo.py": [
        "=== Step 1:",
        "OK, Got it!",
        "=== Step 2:",
        "=== Step 3:",
        "[tool call] get_weather(",
        "team finished: 5 messages, 1 tool run(s)",
        "Demo finished",
    ],
    # AgentChat teams on the default model: the structure of each run, never the words.
    "team_tool_use.py": [
        "Building the team",
        "[tool call] get_weather(",
        "[tool result] get_weather: It is 21 degrees and sunny in",
        "Stop reason: Maximum number of turns 2 reached.",
        "team finished: 5 messages, 1 tool run(s)",
    ],
    "tool_http.py": [
        "Serving the stock API on http://127.0.0.1:",
        "[tool call] get_stock(",
        "[api] GET /stock/",
        '[tool result] get_stock: {"item": "',
        "agent finished: 4 messages, 1 tool run(s), 0 error(s)",
        "[error result] is_error=True: Invalid arguments for tool 'get_stock'",
    ],
    "team_round_robin.py": ["─ writer ─", "Stop reason: ", "round robin finished: "],
    "team_selector.py": [
        "Stop reason: Maximum number of turns 3 reached.",
        "selector finished: 4 messages",
    ],
    "team_swarm.py": [
        "[tool call] transfer_to_",
        "[HandoffMessage] Transferred to ",
        "Stop reason: Maximum number of turns 2 reached.",
        "handoffs ['triage -> ",
    ],
    # Magentic-One on the embedded model, a local page and a temporary folder: the structure
    # of the run (at most two steps, then the final answer), never the words. The tiny model
    # may declare the request satisfied at once, so the stop reason is its own.
    "magentic_one_local.py": [
        "Serving the local page on http://127.0.0.1:",
        "Stop reason: ",
        "magentic-one finished: ",
    ],
    # The MCP server is a subprocess (examples/servers/, not itself an example).
    "tool_mcp.py": [
        "MCP tools: ['get_weather']",
        "[tool call] get_weather(",
        "[tool result] get_weather: It is 21 degrees and sunny in",
        "assistant finished: 1 tool run(s) on the MCP server",
        "MCP server stopped",
    ],
    "team_saved.py": [
        "saved the team config",
        "─ writer ─",
        "Stop reason: Maximum number of messages 3 reached",
        "parlay run exited with status 0",
    ],
    # parlay serve's HTTP API driven by a client; the example team on the default model.
    "serve_client.py": [
        "started parlay serve on http://127.0.0.1:",
        "teams: assistant",
        "waiting: you is asked: Enter your response:",
        "answering: APPROVE",
        "session finished: Finished: Text 'APPROVE' mentioned.",
        "server stopped",
    ],
    # Code blocks sent to a CodeExecutorAgent on a Jupyter kernel: no model, exact output.
    "code_executor_jupyter.py": [
        "(runner) loaded 3 prices",
        "(runner) total 12.75, with tax 15.30",
        "(POSIX exit code: 124)",
        "interrupted; the kernel keeps its state.",
        "(runner) still there: ['cake', 'soup', 'tea']",
        "jupyter example finished",
    ],
    # The manager runs in the script's process, the worker in a second one, over NATS.
    "distributed/hello_world.py": [
        "manager received: Hello World!",
        "manager sending to my_worker_agent/worker...",
        "worker received from my_manager_agent/manager: Hello World!",
        "manager got reply from my_worker_agent/worker: OK, Got it!",
    ],
    # AutoGen's gRPC hello world, imports renamed: the host and worker2 here, worker1 in a
    # second process; the host is a nats-server.
    "distributed/grpc_hello.py": [
        "worker1 ready",
        "worker2 ready",
        "worker1: Hello x 5",
        "worker2: Hello x 5",
        "grpc hello world finished",
    ],
    # The manager here, the writer and the critic in two worker processes, over NATS.
    "distributed/team.py": [
        "hosts writer",
        "hosts critic",
        "(writer) Autumn wind rises",
        "(critic) Approved. [pid ",
        "Stop reason: Maximum number of turns 4 reached.",
        "distributed team finished",
    ],
}

# Folders of examples run like the top-level ones; their "_" modules are helpers, not examples.
SUBFOLDERS = ("distributed",)


def _scripts() -> list[str]:
    top = [p.name for p in EXAMPLES.glob("*.py")]
    nested = [
        f"{folder}/{p.name}"
        for folder in SUBFOLDERS
        for p in (EXAMPLES / folder).glob("*.py")
        if not p.name.startswith("_")
    ]
    return sorted(top + nested)


def test_every_example_has_expectations() -> None:
    assert set(_scripts()) == set(EXPECTED)


@pytest.mark.parametrize("script", _scripts())
def test_example_runs(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=EXAMPLES.parent,
        # The embedded model even where a provider key is set: CI stays offline.
        env={**os.environ, "PARLAY_MODEL_CLIENT": "local"},
    )
    assert result.returncode == 0, result.stderr
    for line in EXPECTED[script]:
        assert line in result.stdout, f"{script} did not print {line!r}:\n{result.stdout}"
