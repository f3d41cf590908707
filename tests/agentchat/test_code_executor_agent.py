"""CodeExecutorAgent: running given code, writing code with a model, retries and approval."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat.agents import ApprovalRequest, ApprovalResponse, CodeExecutorAgent
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.messages import CodeExecutionEvent, CodeGenerationEvent, TextMessage
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_core import CancellationToken, Component, load_component
from parlay_core.code_executor import CodeBlock, CodeExecutor, CodeResult
from parlay_core.exceptions import ComponentError, ComponentPermissionError
from parlay_core.models import ModelInfo, UserMessage
from parlay_core.testing import ReplayChatCompletionClient


class FakeExecutorConfig(BaseModel):
    outputs: list[tuple[int, str]]


class FakeExecutor(CodeExecutor, Component[FakeExecutorConfig]):
    """Returns scripted results and records what it was asked to run."""

    component_config_schema = FakeExecutorConfig

    def __init__(self, outputs: list[tuple[int, str]]) -> None:
        self.outputs = list(outputs)
        self.ran: list[list[CodeBlock]] = []

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        self.ran.append(code_blocks)
        exit_code, output = self.outputs.pop(0)
        return CodeResult(exit_code=exit_code, output=output)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def restart(self) -> None:
        pass

    def _to_config(self) -> FakeExecutorConfig:
        return FakeExecutorConfig(outputs=self.outputs)

    @classmethod
    def _from_config(cls, config: FakeExecutorConfig) -> Self:
        return cls(config.outputs)


STRUCTURED_MODEL = ModelInfo(
    vision=False,
    function_calling=False,
    json_output=True,
    family="unknown",
    structured_output=True,
)

CODE = "Here:\n```python\nprint(1 + 2)\n```\nand\n```js\nconsole.log(1)\n```\n"


async def test_runs_code_blocks_from_the_messages() -> None:
    executor = FakeExecutor([(0, "3\n")])
    agent = CodeExecutorAgent("runner", executor)
    result = await agent.run(task=CODE)
    assert result.messages[-1] == TextMessage(
        id=result.messages[-1].id,
        created_at=result.messages[-1].created_at,
        content="3\n",
        source="runner",
    )
    assert executor.ran == [[CodeBlock(code="print(1 + 2)\n", language="python")]]


async def test_no_code_silent_scripts_errors_and_sources() -> None:
    executor = FakeExecutor([(0, ""), (2, "Traceback: boom")])
    agent = CodeExecutorAgent("runner", executor, sources=["coder"])
    no_code = await agent.on_messages(
        [TextMessage(content=CODE, source="someone else")], CancellationToken()
    )
    assert no_code.chat_message.to_text().startswith("No code blocks found in the thread.")
    silent = await agent.on_messages(
        [TextMessage(content=CODE, source="coder")], CancellationToken()
    )
    assert "produced no output to console" in silent.chat_message.to_text()
    failed = await agent.on_messages(
        [TextMessage(content=CODE, source="coder")], CancellationToken()
    )
    assert failed.chat_message.to_text() == (
        "The script ran, then exited with an error (POSIX exit code: 2)\n"
        "Its output was:\nTraceback: boom"
    )


async def test_refused_code_is_not_run() -> None:
    executor = FakeExecutor([])
    requests: list[ApprovalRequest] = []

    async def deny(request: ApprovalRequest) -> ApprovalResponse:
        requests.append(request)
        return ApprovalResponse(approved=False, reason="not today")

    agent = CodeExecutorAgent("runner", executor, approval_func=deny)
    result = await agent.run(task=CODE)
    assert result.messages[-1].to_text() == "Code execution was not approved. Reason: not today"
    assert executor.ran == []
    assert "print(1 + 2)" in requests[0].code


async def test_model_writes_code_retries_on_error_and_reflects() -> None:
    executor = FakeExecutor([(1, "NameError: x"), (0, "42\n")])
    model = ReplayChatCompletionClient(
        [
            "```python\nprint(x)\n```",
            '{"retry": true, "reason": "x is undefined; print 42 directly"}',
            "```python\nprint(42)\n```",
            "The answer is 42.",
        ],
        model_info=STRUCTURED_MODEL,
    )
    agent = CodeExecutorAgent("coder", executor, model_client=model, max_retries_on_error=1)
    result = await agent.run(task="Print the answer.")
    kinds = [type(m).__name__ for m in result.messages]
    assert kinds == [
        "TextMessage",
        "CodeGenerationEvent",
        "CodeExecutionEvent",
        "CodeGenerationEvent",
        "CodeGenerationEvent",
        "CodeExecutionEvent",
        "TextMessage",
    ]
    # The model is asked for a structured retry decision, which becomes an event without code.
    assert model.create_calls[1]["json_output"] is not None
    proposal = result.messages[3]
    assert isinstance(proposal, CodeGenerationEvent)
    assert proposal.code_blocks == []
    assert proposal.content == (
        "Attempt number: 1\nProposed correction: x is undefined; print 42 directly"
    )
    second = result.messages[4]
    assert isinstance(second, CodeGenerationEvent)
    assert second.retry_attempt == 1
    executed = result.messages[5]
    assert isinstance(executed, CodeExecutionEvent)
    assert executed.result.output == "42\n"
    assert result.messages[-1].to_text() == "The answer is 42."
    retry_prompt = model.create_calls[2]["messages"]
    assert (
        UserMessage(
            content="The script ran, then exited with an error (POSIX exit code: 1)\n"
            "Its output was:\nNameError: x",
            source="coder",
        )
        in retry_prompt
    )
    state = await agent.save_state()
    assert state["type"] == "CodeExecutorAgentState"
    assert len(state["llm_context"]["messages"]) == 6


async def test_model_reply_without_code_ends_the_turn() -> None:
    agent = CodeExecutorAgent(
        "coder", FakeExecutor([]), model_client=ReplayChatCompletionClient(["No code needed."])
    )
    result = await agent.run(task="Say hi.")
    assert [m.to_text() for m in result.messages] == ["Say hi.", "No code needed."]


def test_config_round_trip() -> None:
    agent = CodeExecutorAgent(
        "runner", FakeExecutor([(0, "x")]), sources=["coder"], supported_languages=["Python"]
    )
    model = agent.dump_component()
    assert model.provider == "parlay_agentchat.agents.CodeExecutorAgent"
    assert model.config["supported_languages"] == ["python"]
    loaded = load_component(
        model, expected=CodeExecutorAgent, allow_import_paths=["tests"], allow_code_execution=True
    )
    assert loaded.dump_component() == model


def test_loading_the_agent_needs_permission_to_execute_code() -> None:
    # Whatever its executor: the agent itself runs the code in the conversation, unapproved.
    model = CodeExecutorAgent("runner", FakeExecutor([(0, "x")])).dump_component()
    with pytest.raises(ComponentPermissionError, match="allow_code_execution=True") as caught:
        load_component(model, allow_import_paths=["tests"])
    assert caught.value.permission == "allow_code_execution"
    assert "CodeExecutorAgent 'runner'" in caught.value.reason


async def test_a_retry_decision_of_no_ends_the_retries() -> None:
    executor = FakeExecutor([(1, "boom")])
    model = ReplayChatCompletionClient(
        [
            "```python\nraise SystemExit(1)\n```",
            '{"retry": false, "reason": "cannot fix"}',
            "Failed.",
        ],
        model_info=STRUCTURED_MODEL,
    )
    agent = CodeExecutorAgent("coder", executor, model_client=model, max_retries_on_error=3)
    result = await agent.run(task="Try.")
    kinds = [type(m).__name__ for m in result.messages]
    assert kinds == ["TextMessage", "CodeGenerationEvent", "CodeExecutionEvent", "TextMessage"]
    assert result.messages[-1].to_text() == "Failed."
    assert len(executor.ran) == 1


def test_retries_need_a_model_with_structured_output() -> None:
    with pytest.raises(AgentConfigurationError, match="needs a model_client"):
        CodeExecutorAgent("coder", FakeExecutor([]), max_retries_on_error=1)
    with pytest.raises(ValueError, match="doesn't support structured output mode"):
        CodeExecutorAgent(
            "coder",
            FakeExecutor([]),
            model_client=ReplayChatCompletionClient([]),
            max_retries_on_error=1,
        )


async def test_a_closing_fence_right_after_the_code_still_ends_the_block() -> None:
    executor = FakeExecutor([(0, "6.481\n")])
    model = ReplayChatCompletionClient(["Here:\n```python\nprint(6.481)```", "Done."])
    agent = CodeExecutorAgent("coder", executor, model_client=model)
    result = await agent.run(task="Compute.")
    generated = result.messages[1]
    assert isinstance(generated, CodeGenerationEvent)
    assert generated.code_blocks == [CodeBlock(code="print(6.481)", language="python")]
    assert executor.ran == [[CodeBlock(code="print(6.481)", language="python")]]


def test_an_agent_with_an_approval_function_cannot_be_dumped() -> None:
    def allow(request: ApprovalRequest) -> ApprovalResponse:
        return ApprovalResponse(approved=True, reason="fine")

    agent = CodeExecutorAgent("runner", FakeExecutor([]), approval_func=allow)
    # A loaded copy would run code without approval, so dumping refuses.
    with pytest.raises(ComponentError, match="approval_func"):
        agent.dump_component()
    # Nor does a team holding it drop the approval on the way.
    team = RoundRobinGroupChat([agent], max_turns=1)
    with pytest.raises(ComponentError, match="approval_func"):
        team.dump_component()
