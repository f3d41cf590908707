"""CodeExecutorAgent: runs the code blocks it is given, or writes code with a model and runs it."""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Union, cast

from pydantic import BaseModel, ValidationError
from typing_extensions import Self

from parlay_agentchat._exceptions import AgentConfigurationError, ModelStreamError
from parlay_agentchat.agents._assistant_setup import without_images
from parlay_agentchat.agents._base_chat_agent import BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    CodeExecutionEvent,
    CodeGenerationEvent,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
    ThoughtEvent,
)
from parlay_agentchat.state import CodeExecutorAgentState
from parlay_core import CancellationToken, Component, ComponentModel, require_code_execution
from parlay_core.code_executor import CodeBlock, CodeExecutor, CodeResult
from parlay_core.exceptions import ComponentError
from parlay_core.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

__all__ = [
    "ApprovalFuncType",
    "ApprovalRequest",
    "ApprovalResponse",
    "CodeExecutorAgent",
    "CodeExecutorAgentConfig",
]

DEFAULT_TERMINAL_DESCRIPTION = (
    "A computer terminal that performs no other action than running Python scripts (provided "
    "to it quoted in ```python code blocks), or sh shell scripts (provided to it quoted in "
    "```sh code blocks)."
)
DEFAULT_AGENT_DESCRIPTION = (
    "A Code Execution Agent that generates and executes Python and shell scripts based on "
    "user instructions."
)
DEFAULT_SYSTEM_MESSAGE = (
    "You are a Code Execution Agent. Your role is to generate and execute Python code and "
    "shell scripts based on user instructions, ensuring correctness, efficiency, and minimal "
    "errors. Handle edge cases gracefully. Python code should be provided in ```python code "
    "blocks, and sh shell scripts should be provided in ```sh code blocks for execution."
)
NO_CODE_BLOCKS_FOUND_MESSAGE = (
    "No code blocks found in the thread. Please provide at least one markdown-encoded code "
    "block to execute."
)


class ApprovalRequest(BaseModel):
    """What an approval function is asked to approve.

    Attributes:
        code: The code about to run (the blocks, fenced, one after the other).
        context: The model context at that point (empty without a model).
    """

    code: str
    context: list[LLMMessage]


class ApprovalResponse(BaseModel):
    """An approval function's decision.

    Attributes:
        approved: Whether the code may run.
        reason: Why; reported back when the code is not run.
    """

    approved: bool
    reason: str


ApprovalFuncType = Union[
    Callable[[ApprovalRequest], ApprovalResponse],
    Callable[[ApprovalRequest], Awaitable[ApprovalResponse]],
]
"""Decides whether code may run: sync or async, given an :class:`ApprovalRequest`."""


class CodeExecutorAgentConfig(BaseModel):
    """The component config of :class:`CodeExecutorAgent` (an agent with an approval function
    cannot be dumped, since the function cannot be saved)."""

    name: str
    code_executor: ComponentModel
    model_client: ComponentModel | None = None
    description: str | None = None
    sources: list[str] | None = None
    system_message: str | None = None
    model_client_stream: bool = False
    model_context: ComponentModel | None = None
    supported_languages: list[str] | None = None
    max_retries_on_error: int = 0


class _RetryDecision(BaseModel):
    """The model's answer to "should the failed code be fixed and run again?"."""

    reason: str
    retry: bool


_RETRY_PROMPT = (
    "Running the latest code failed:\n{output}\n\nShould we try to fix it? Answer with 'retry' "
    "(a boolean: whether to write corrected code and run it again) and 'reason' (what went "
    "wrong, why you decided as you did, and how you would fix it if retrying)."
)

# A fence opens with ``` and a language and closes at the next ```, which need not start a line:
# models often write the closing fence right after the last line of code.
_LENIENT_FENCE = re.compile(r"```[ \t]*(?P<language>[\w+\-]+)[^\n`]*\n(?P<body>.*?)```", re.DOTALL)


def _describe(result: CodeResult) -> CodeResult:
    # The plain output says nothing when a script prints nothing or fails silently.
    if not result.output.strip():
        output = (
            "The script ran but produced no output to console. The POSIX exit code was: "
            f"{result.exit_code}. If you were expecting output, consider revising the script "
            "to ensure content is printed to stdout."
        )
    elif result.exit_code != 0:
        output = (
            f"The script ran, then exited with an error (POSIX exit code: {result.exit_code})\n"
            f"Its output was:\n{result.output}"
        )
    else:
        output = result.output
    return CodeResult(exit_code=result.exit_code, output=output)


class CodeExecutorAgent(BaseChatAgent, Component[CodeExecutorAgentConfig]):
    """Runs code blocks from the conversation; with a model, writes the code first.

    Without ``model_client``, each turn runs the fenced code blocks (in a supported language)
    of the new messages, from ``sources`` only if given, and answers with the output.

    With ``model_client``, the model writes code from the conversation; the blocks are run
    (a :class:`CodeGenerationEvent`, then a :class:`CodeExecutionEvent`), and on failure the
    model may try again up to ``max_retries_on_error`` times, seeing the error. The turn ends
    with the model's reflection on the result, or with its reply if it wrote no code.

    Args:
        name: The agent's name.
        code_executor: Where the code runs.
        model_client: Optional model that writes the code.
        model_context: The conversation kept for the model.
        model_client_stream: Stream the model's replies as chunk events.
        max_retries_on_error: Extra attempts after a failing run (model mode).
        description: What the agent does.
        system_message: The model's system message (model mode).
        sources: Only messages from these sources are searched for code (no-model mode).
        supported_languages: The languages that run; ``["python", "sh"]`` by default.
        approval_func: Asked before any code runs; refused code is not run. An agent with one
            cannot be dumped as a component config.

    Raises:
        AgentConfigurationError: ``max_retries_on_error`` > 0 without a model client that
            supports structured output (the retry decision is a structured answer).
    """

    component_config_schema = CodeExecutorAgentConfig
    component_provider_override = "parlay_agentchat.agents.CodeExecutorAgent"

    def __init__(
        self,
        name: str,
        code_executor: CodeExecutor,
        *,
        model_client: ChatCompletionClient | None = None,
        model_context: ChatCompletionContext | None = None,
        model_client_stream: bool = False,
        max_retries_on_error: int = 0,
        description: str | None = None,
        system_message: str | None = DEFAULT_SYSTEM_MESSAGE,
        sources: Sequence[str] | None = None,
        supported_languages: Sequence[str] | None = None,
        approval_func: ApprovalFuncType | None = None,
    ) -> None:
        default = DEFAULT_AGENT_DESCRIPTION if model_client else DEFAULT_TERMINAL_DESCRIPTION
        super().__init__(name=name, description=description or default)
        self._code_executor = code_executor
        self._model_client = model_client
        self._model_context = model_context or UnboundedChatCompletionContext()
        self._model_client_stream = model_client_stream
        if max_retries_on_error > 0:
            # Deciding whether to retry asks the model for a structured answer.
            if model_client is None:
                raise AgentConfigurationError(
                    "max_retries_on_error > 0 needs a model_client (with model_info) to write "
                    "corrected code."
                )
            if not model_client.model_info.get("structured_output", False):
                raise AgentConfigurationError(
                    "max_retries_on_error > 0 needs a model client that supports structured "
                    "output mode (model_info['structured_output']); the specified model_client "
                    "doesn't support structured output mode."
                )
        self._max_retries_on_error = max(0, max_retries_on_error)
        self._system_message = system_message
        self._sources = list(sources) if sources is not None else None
        self._supported_languages = [
            language.lower() for language in (supported_languages or ("python", "sh"))
        ]
        self._approval_func = approval_func

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """TextMessage."""
        return (TextMessage,)

    @property
    def model_context(self) -> ChatCompletionContext:
        """The conversation kept for the model."""
        return self._model_context

    def _code_blocks(self, text: str) -> list[CodeBlock]:
        blocks: list[CodeBlock] = []
        for match in _LENIENT_FENCE.finditer(text):
            language = match.group("language").lower()
            if language in self._supported_languages:
                blocks.append(CodeBlock(code=match.group("body"), language=language))
        return blocks

    async def execute_code_block(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        """Run code blocks (after approval, if an approval function is set).

        Returns:
            The result, with an explanatory output when the script printed nothing or failed.
        """
        if self._approval_func is not None:
            code = "\n".join(f"```{b.language}\n{b.code}\n```" for b in code_blocks)
            context = await self._model_context.get_messages() if self._model_client else []
            decision = self._approval_func(ApprovalRequest(code=code, context=context))
            if inspect.isawaitable(decision):
                decision = await decision
            if not decision.approved:
                return CodeResult(
                    exit_code=1,
                    output=f"Code execution was not approved. Reason: {decision.reason}",
                )
        result = await self._code_executor.execute_code_blocks(code_blocks, cancellation_token)
        return _describe(result)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Run one turn and return its response."""
        async for item in self.on_messages_stream(messages, cancellation_token):
            if isinstance(item, Response):
                return item
        raise AssertionError("on_messages_stream always ends with a Response")

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Run one turn, yielding code events as they happen and then the response."""
        if self._model_client is None:
            blocks: list[CodeBlock] = []
            for message in messages:
                if self._sources is None or message.source in self._sources:
                    blocks.extend(self._code_blocks(message.to_text()))
            if not blocks:
                content = NO_CODE_BLOCKS_FOUND_MESSAGE
            else:
                content = (await self.execute_code_block(blocks, cancellation_token)).output
            yield Response(chat_message=TextMessage(content=content, source=self.name))
            return
        async for item in self._model_turn(self._model_client, messages, cancellation_token):
            yield item

    async def _call_model(
        self, client: ChatCompletionClient, token: CancellationToken
    ) -> AsyncGenerator[ModelClientStreamingChunkEvent | CreateResult, None]:
        system = (
            [] if self._system_message is None else [SystemMessage(content=self._system_message)]
        )
        prompt: list[LLMMessage] = [*system, *await self._model_context.get_messages()]
        if not client.model_info.get("vision", False):
            prompt = without_images(prompt)
        if not self._model_client_stream:
            yield await client.create(prompt, cancellation_token=token)
            return
        result: CreateResult | None = None
        async for raw in client.create_stream(prompt, cancellation_token=token):
            # Typed str | CreateResult, but a client written without a type checker may yield
            # anything: say which rule it broke instead of failing later.
            chunk = cast(object, raw)
            if isinstance(chunk, CreateResult):
                result = chunk
            elif isinstance(chunk, str):
                yield ModelClientStreamingChunkEvent(content=chunk, source=self.name)
            else:
                raise ModelStreamError(
                    f"Invalid chunk type: {type(chunk).__name__}. The model client's "
                    "create_stream must yield str chunks and then one CreateResult."
                )
        if result is None:
            raise ModelStreamError(
                "No final model result in streaming mode: the model client's create_stream "
                "ended without a CreateResult."
            )
        yield result

    async def _reply(
        self, client: ChatCompletionClient, token: CancellationToken
    ) -> AsyncGenerator[ModelClientStreamingChunkEvent | ThoughtEvent | CreateResult, None]:
        """Call the model, yielding chunks, a thought (if any), then the result (in context)."""
        async for item in self._call_model(client, token):
            if isinstance(item, CreateResult):
                if item.thought:
                    yield ThoughtEvent(content=item.thought, source=self.name)
                text = item.content if isinstance(item.content, str) else str(item.content)
                await self._model_context.add_message(
                    AssistantMessage(content=text, source=self.name, thought=item.thought)
                )
            yield item

    async def _should_retry(
        self, client: ChatCompletionClient, outcome: CodeResult, token: CancellationToken
    ) -> _RetryDecision | None:
        """Ask the model whether to fix failed code; ``None`` means do not retry."""
        prompt: list[LLMMessage] = [
            *await self._model_context.get_messages(),
            UserMessage(content=_RETRY_PROMPT.format(output=outcome.output), source=self.name),
        ]
        answer = await client.create(prompt, json_output=_RetryDecision, cancellation_token=token)
        try:
            decision = _RetryDecision.model_validate_json(str(answer.content))
        except ValidationError:
            # An unreadable decision ends the retries; the failure is already in the context,
            # so the reflection that follows still reports it.
            return None
        return decision if decision.retry else None

    async def _model_turn(
        self,
        client: ChatCompletionClient,
        messages: Sequence[BaseChatMessage],
        token: CancellationToken,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        for message in messages:
            if isinstance(message, HandoffMessage):
                for passed in message.context:
                    await self._model_context.add_message(passed)
            await self._model_context.add_message(message.to_model_message())
        inner: list[BaseAgentEvent | BaseChatMessage] = []
        for attempt in range(self._max_retries_on_error + 1):
            result: CreateResult | None = None
            async for item in self._reply(client, token):
                if isinstance(item, CreateResult):
                    result = item
                    continue
                if isinstance(item, ThoughtEvent):
                    inner.append(item)
                yield item
            assert result is not None
            text = result.content if isinstance(result.content, str) else str(result.content)
            blocks = self._code_blocks(text)
            if not blocks:
                yield Response(
                    chat_message=TextMessage(
                        content=text, source=self.name, models_usage=result.usage
                    ),
                    inner_messages=inner,
                )
                return
            generated = CodeGenerationEvent(
                retry_attempt=attempt,
                content=text,
                code_blocks=blocks,
                source=self.name,
                models_usage=result.usage,
            )
            inner.append(generated)
            yield generated
            outcome = await self.execute_code_block(blocks, token)
            await self._model_context.add_message(
                UserMessage(content=outcome.output, source=self.name)
            )
            executed = CodeExecutionEvent(retry_attempt=attempt, result=outcome, source=self.name)
            inner.append(executed)
            yield executed
            if outcome.exit_code == 0 or attempt == self._max_retries_on_error:
                break
            decision = await self._should_retry(client, outcome, token)
            if decision is None:
                break
            proposal = CodeGenerationEvent(
                retry_attempt=attempt,
                content=f"Attempt number: {attempt + 1}\nProposed correction: {decision.reason}",
                code_blocks=[],
                source=self.name,
            )
            inner.append(proposal)
            yield proposal
        reflection: CreateResult | None = None
        async for item in self._reply(client, token):
            if isinstance(item, CreateResult):
                reflection = item
                continue
            if isinstance(item, ThoughtEvent):
                inner.append(item)
            yield item
        assert reflection is not None
        content = (
            reflection.content if isinstance(reflection.content, str) else str(reflection.content)
        )
        yield Response(
            chat_message=TextMessage(
                content=content, source=self.name, models_usage=reflection.usage
            ),
            inner_messages=inner,
        )

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget the model conversation."""
        await self._model_context.clear()

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``CodeExecutorAgentState`` with the model context."""
        context = await self._model_context.save_state()
        return CodeExecutorAgentState(llm_context=context).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore the model context."""
        loaded = CodeExecutorAgentState.model_validate(dict(state))
        await self._model_context.clear()
        await self._model_context.load_state(loaded.llm_context)

    def _to_config(self) -> CodeExecutorAgentConfig:
        if self._approval_func is not None:
            # A loaded copy would run code without asking anyone: refuse rather than drop it.
            raise ComponentError(
                f"Cannot serialize CodeExecutorAgent with approval_func set (agent {self.name!r}):"
                " the approval function is not serializable, and a config without it would run "
                "code unapproved. Build an agent that needs an approval function in code, not "
                "from a config."
            )
        return CodeExecutorAgentConfig(
            name=self.name,
            code_executor=self._code_executor.dump_component(),
            model_client=self._model_client.dump_component() if self._model_client else None,
            description=self.description,
            sources=self._sources,
            system_message=self._system_message,
            model_client_stream=self._model_client_stream,
            model_context=self._model_context.dump_component(),
            supported_languages=self._supported_languages,
            max_retries_on_error=self._max_retries_on_error,
        )

    @classmethod
    def _from_config(cls, config: CodeExecutorAgentConfig) -> Self:
        # Asked before its executor is loaded, and whatever executor it names: the agent runs
        # the code blocks in the conversation (a model's, or a message's), with no approval
        # function, since configs cannot carry one.
        require_code_execution(f"the code blocks CodeExecutorAgent {config.name!r} is given")
        return cls(
            name=config.name,
            code_executor=CodeExecutor.load_component(config.code_executor),
            model_client=ChatCompletionClient.load_component(config.model_client)
            if config.model_client is not None
            else None,
            model_context=ChatCompletionContext.load_component(config.model_context)
            if config.model_context is not None
            else None,
            model_client_stream=config.model_client_stream,
            max_retries_on_error=config.max_retries_on_error,
            description=config.description,
            system_message=config.system_message,
            sources=config.sources,
            supported_languages=config.supported_languages,
        )
