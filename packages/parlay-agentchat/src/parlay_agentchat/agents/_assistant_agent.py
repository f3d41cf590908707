"""AssistantAgent: a model-backed agent with tools, workbenches, handoffs, memory and streaming."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union, cast

from pydantic import BaseModel, ValidationError
from typing_extensions import Self

from parlay_agentchat._exceptions import (
    AgentArgumentTypeError,
    AgentConfigurationError,
    ModelStreamError,
    StructuredOutputError,
)
from parlay_agentchat.agents._assistant_config import AssistantAgentConfig
from parlay_agentchat.agents._assistant_setup import (
    SummaryFormatter,
    ToolLike,
    build_handoffs,
    build_tools,
    build_workbenches,
    handoff_message,
    summary_message,
    without_images,
)
from parlay_agentchat.agents._base_chat_agent import BaseChatAgent
from parlay_agentchat.agents._tool_calls import ToolRouter
from parlay_agentchat.base import Handoff, Response
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    StructuredMessageFactory,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from parlay_agentchat.messages._base import new_message_id
from parlay_agentchat.state import AssistantAgentState
from parlay_core import CancellationToken, Component, FunctionCall
from parlay_core.exceptions import ComponentConfigError
from parlay_core.hosting import CancelScope
from parlay_core.memory import Memory, UpdateContextResult
from parlay_core.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import BaseTool, ToolSchema, Workbench

if TYPE_CHECKING:
    from pydantic_core import InitErrorDetails

__all__ = ["AssistantAgent"]

DEFAULT_DESCRIPTION = "An agent that provides assistance with ability to use tools."
DEFAULT_SYSTEM_MESSAGE = (
    "You are a helpful AI assistant. Solve tasks using your tools. Reply with TERMINATE when "
    "the task has been completed."
)

Event = Union[BaseAgentEvent, BaseChatMessage]

# Each turn builds its reply's model message and chat message from values that are already
# valid; see _record.
_ASSISTANT_MESSAGE = AssistantMessage.__pydantic_validator__
_TEXT_MESSAGE = TextMessage.__pydantic_validator__


class AssistantAgent(BaseChatAgent, Component[AssistantAgentConfig]):
    """An agent that answers with a model, calling tools and handing off when the model asks.

    Each turn: the new messages are added to the model context (as ``UserMessage``s with their
    source), memories may add to it (a :class:`MemoryQueryEvent`), and the model is called
    with the system message, the context and the tools. Then:

    * a text reply ends the turn with a :class:`TextMessage` (or a ``StructuredMessage[T]``
      when ``output_content_type`` is set);
    * tool calls yield a :class:`ToolCallRequestEvent`, run concurrently, and yield a
      :class:`ToolCallExecutionEvent`. A handoff tool ends the turn with a
      :class:`HandoffMessage`. While ``max_tool_iterations`` allows, the model is called again
      with the results. Otherwise the turn ends with a reflection (one more model call without
      tools) if ``reflect_on_tool_use``, or a :class:`ToolCallSummaryMessage`.

    A tool that raises or gets invalid arguments produces an error result the model reads;
    it never ends the turn with an exception.

    Args:
        name: The agent's name (a Python identifier).
        model_client: The model client.
        tools: Tools (``BaseTool`` objects or plain functions). Not together with ``workbench``.
        workbench: One or more workbenches providing tools.
        handoffs: Agents to hand off to, as :class:`Handoff` objects or target names.
        model_context: Where the conversation is kept; an unbounded context by default.
        description: What the agent does (read by speaker selectors).
        system_message: The system message; ``None`` for none.
        model_client_stream: Stream replies, yielding :class:`ModelClientStreamingChunkEvent`
            items whose ``full_message_id`` is the ``id`` of the complete message.
        reflect_on_tool_use: Call the model once more after tool calls to answer in words.
            Defaults to True when ``output_content_type`` is set, else False.
        tool_call_summary_format: Template of each line of a tool-call summary, with
            ``{tool_name}``, ``{arguments}``, ``{result}`` and ``{is_error}``.
        tool_call_summary_formatter: A function ``(call, result) -> str`` used instead of the
            template (not saved in component configs).
        output_content_type: A pydantic model for structured output.
        output_content_type_format: A ``str.format`` template for rendering structured output.
        max_tool_iterations: How many model calls with tools one turn may make (at least 1).
        memory: Memories that enrich the context before each model call.
        metadata: Free-form metadata kept in the component config.

    Raises:
        AgentConfigurationError: Tools and a workbench together, tools or handoffs with a model
            that cannot call functions, clashing tool or handoff names, or
            ``max_tool_iterations`` below 1.
    """

    component_version = 2
    component_config_schema = AssistantAgentConfig
    component_provider_override = "parlay_agentchat.agents.AssistantAgent"

    def __init__(
        self,
        name: str,
        model_client: ChatCompletionClient,
        *,
        tools: Sequence[ToolLike] | None = None,
        workbench: Workbench | Sequence[Workbench] | None = None,
        handoffs: Sequence[Handoff | str] | None = None,
        model_context: ChatCompletionContext | None = None,
        description: str = DEFAULT_DESCRIPTION,
        system_message: str | None = DEFAULT_SYSTEM_MESSAGE,
        model_client_stream: bool = False,
        reflect_on_tool_use: bool | None = None,
        tool_call_summary_format: str = "{result}",
        tool_call_summary_formatter: SummaryFormatter | None = None,
        output_content_type: type[BaseModel] | None = None,
        output_content_type_format: str | None = None,
        max_tool_iterations: int = 1,
        memory: Sequence[Memory] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(name=name, description=description)
        self._model_client = model_client
        self._system_messages: list[LLMMessage] = (
            [] if system_message is None else [SystemMessage(content=system_message)]
        )
        self._system_message = system_message
        self._model_context = model_context or UnboundedChatCompletionContext()
        # Checked at run time: callers without a type checker pass one memory or a str (a
        # Sequence too), which must not be iterated as memories.
        given = cast(object, memory)
        if given is not None and (
            isinstance(given, (str, bytes)) or not isinstance(given, Sequence)
        ):
            raise AgentArgumentTypeError(
                f"Expected Memory, List[Memory], or None for memory, got {type(memory).__name__}."
                " Pass a list of memories."
            )
        self._memory = list(memory) if memory is not None else None
        self._model_client_stream = model_client_stream
        self._tool_call_summary_format = tool_call_summary_format
        self._tool_call_summary_formatter = tool_call_summary_formatter
        self._output_content_type = output_content_type
        self._output_content_type_format = output_content_type_format
        self._structured_message_factory = (
            StructuredMessageFactory(
                input_model=output_content_type, format_string=output_content_type_format
            )
            if output_content_type is not None
            else None
        )
        self._reflect_on_tool_use = (
            output_content_type is not None if reflect_on_tool_use is None else reflect_on_tool_use
        )
        function_calling = bool(model_client.model_info.get("function_calling", False))
        built_tools = build_tools(tools, function_calling)
        self._workbench = build_workbenches(built_tools, workbench)
        self._handoffs = build_handoffs(handoffs, self._workbench, function_calling)
        if max_tool_iterations < 1:
            raise AgentConfigurationError(
                "Maximum number of tool iterations must be greater than or equal to 1, got "
                f"{max_tool_iterations}."
            )
        self._max_tool_iterations = max_tool_iterations
        self._metadata = metadata
        self._router = ToolRouter(self._workbench, self._handoffs)
        self._vision = bool(model_client.model_info.get("vision", False))
        # Whether the context may hold images a model without vision must not get. Scanning
        # the whole context before every call would cost O(conversation) per turn, so it is
        # done only when images may have come in: a context or memory supplied by the caller
        # (unknown content), a loaded state, or an incoming message with a list of parts.
        self._may_hold_images = model_context is not None or bool(self._memory)

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """TextMessage (or the StructuredMessage type), plus ToolCallSummaryMessage and
        HandoffMessage when tools or handoffs can produce them."""
        types: list[type[BaseChatMessage]] = [TextMessage]
        if self._structured_message_factory is not None:
            types = [self._structured_message_factory.StructuredMessage]
        if self._workbench and not self._reflect_on_tool_use:
            types.append(ToolCallSummaryMessage)
        if self._handoffs:
            types.append(HandoffMessage)
        return types

    @property
    def model_context(self) -> ChatCompletionContext:
        """The agent's model context."""
        return self._model_context

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Run one turn and return its response (inner events in ``inner_messages``)."""
        async for item in self.on_messages_stream(messages, cancellation_token):
            if isinstance(item, Response):
                return item
        raise AssertionError("on_messages_stream always ends with a Response")

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """Run one turn, yielding events as they happen and then the :class:`Response`."""
        context = self._model_context
        if await self._add_messages_to_context(context, messages):
            self._may_hold_images = True
        inner: list[Event] = []
        for memory in self._memory or ():
            # A memory that added nothing may return None instead of an empty result.
            update = cast("UpdateContextResult | None", await memory.update_context(context))
            if update is not None and update.memories.results:
                queried = MemoryQueryEvent.model_construct(
                    content=update.memories.results, source=self.name
                )
                inner.append(queried)
                yield queried
        tools = await self._router.schemas() if (self._workbench or self._handoffs) else []
        calls: list[FunctionCall] = []
        results: list[FunctionExecutionResult] = []
        for iteration in range(self._max_tool_iterations):
            message_id = new_message_id()
            result: CreateResult | None = None
            if self._model_client_stream:
                async for item in self._stream_model(tools, cancellation_token, message_id):
                    if isinstance(item, CreateResult):
                        result = item
                    else:
                        yield item
            else:
                result = await self._create(tools, cancellation_token)
            assert result is not None
            for event in await self._record(result):
                inner.append(event)
                yield event
            if isinstance(result.content, str):
                yield Response(
                    chat_message=self._final_message(result, message_id), inner_messages=inner
                )
                return
            calls = list(result.content)
            request = ToolCallRequestEvent.model_construct(
                content=calls, source=self.name, models_usage=result.usage
            )
            inner.append(request)
            yield request
            async for produced in self._router.run(calls, cancellation_token):
                if isinstance(produced, list):
                    results = produced
                else:
                    inner.append(produced)
                    yield produced
            execution = ToolCallExecutionEvent.model_construct(content=results, source=self.name)
            inner.append(execution)
            yield execution
            await context.add_message(
                FunctionExecutionResultMessage.model_construct(content=results)
            )
            handoff = handoff_message(self.name, self._handoffs, calls, results, result.thought)
            if handoff is not None:
                yield Response(chat_message=handoff, inner_messages=inner)
                return
            if iteration + 1 < self._max_tool_iterations:
                continue
        if self._reflect_on_tool_use:
            message_id = new_message_id()
            reflection: CreateResult | None = None
            if self._model_client_stream:
                async for item in self._stream_model([], cancellation_token, message_id):
                    if isinstance(item, CreateResult):
                        reflection = item
                    else:
                        yield item
            else:
                reflection = await self._create([], cancellation_token)
            assert reflection is not None
            for event in await self._record(reflection):
                inner.append(event)
                yield event
            if isinstance(reflection.content, str):
                yield Response(
                    chat_message=self._final_message(reflection, message_id),
                    inner_messages=inner,
                )
                return
        summary = summary_message(
            self.name,
            calls,
            results,
            self._tool_call_summary_format,
            self._tool_call_summary_formatter,
        )
        yield Response(chat_message=summary, inner_messages=inner)

    @staticmethod
    async def _add_messages_to_context(
        model_context: ChatCompletionContext, messages: Sequence[BaseChatMessage]
    ) -> bool:
        """Add the messages to the context, a handoff's passed context first.

        Kept under AutoGen's name: subclasses written for AutoGen call it.

        Returns:
            Whether an added message has a list of parts (so it may hold images).
        """
        may_hold_images = False
        for message in messages:
            if isinstance(message, HandoffMessage):
                for passed in message.context:
                    await model_context.add_message(passed)
                    if isinstance(passed, UserMessage) and isinstance(passed.content, list):
                        may_hold_images = True
            model_message = message.to_model_message()
            if isinstance(model_message.content, list):
                may_hold_images = True
            await model_context.add_message(model_message)
        return may_hold_images

    async def _llm_messages(self) -> list[LLMMessage]:
        llm_messages = [*self._system_messages, *await self._model_context.get_messages()]
        if not self._vision and self._may_hold_images:
            llm_messages = without_images(llm_messages)
        return llm_messages

    @staticmethod
    def _get_compatible_context(
        model_client: ChatCompletionClient, messages: list[LLMMessage]
    ) -> list[LLMMessage]:
        # Kept under AutoGen's name: subclasses written for AutoGen call it.
        if model_client.model_info.get("vision", False):
            return messages
        return without_images(messages)

    async def _create(self, tools: list[ToolSchema], token: CancellationToken) -> CreateResult:
        llm_messages = await self._llm_messages()
        # Awaited in this task (no task of its own): the scope stops it if the token is cancelled.
        with CancelScope(token, "The model call"):
            return await self._model_client.create(
                llm_messages,
                tools=tools,
                json_output=self._output_content_type,
                cancellation_token=token,
            )

    async def _stream_model(
        self, tools: list[ToolSchema], token: CancellationToken, message_id: str
    ) -> AsyncGenerator[ModelClientStreamingChunkEvent | CreateResult, None]:
        result: CreateResult | None = None
        async for raw in self._model_client.create_stream(
            await self._llm_messages(),
            tools=tools,
            json_output=self._output_content_type,
            cancellation_token=token,
        ):
            if token.is_cancelled():
                raise asyncio.CancelledError("The turn was cancelled through its token.")
            # Typed str | CreateResult, but a client written without a type checker may yield
            # anything: say which client broke the rule instead of failing later.
            chunk = cast(object, raw)
            if isinstance(chunk, CreateResult):
                result = chunk
            elif isinstance(chunk, str):
                # Empty chunks are passed on too: a consumer may count or time them.
                yield ModelClientStreamingChunkEvent.model_construct(
                    content=chunk, source=self.name, full_message_id=message_id
                )
            else:
                raise ModelStreamError(
                    f"Invalid chunk type: {type(chunk).__name__}. The model client's "
                    "create_stream must yield str chunks and then one CreateResult."
                )
        if result is None:
            raise ModelStreamError(
                "No final model result in streaming mode: the model client's create_stream "
                "ended without a CreateResult; a stream must end with the complete result."
            )
        yield result

    async def _record(self, result: CreateResult) -> list[BaseAgentEvent]:
        # The reply goes into the context first, so it is there even if the turn fails later.
        # Built from a validated result: pydantic-core's validator does it in about half the
        # instructions of model_construct (which sets four attributes from Python), and the
        # values cannot fail it; should a client hand over something odd, it is kept as is.
        values: dict[str, Any] = {
            "content": result.content,
            "source": self.name,
            "thought": result.thought,
        }
        try:
            reply = cast(AssistantMessage, _ASSISTANT_MESSAGE.validate_python(values))
        except ValidationError:
            reply = AssistantMessage.model_construct(**values)
        await self._model_context.add_message(reply)
        if result.thought:
            return [ThoughtEvent.model_construct(content=result.thought, source=self.name)]
        return []

    def _final_message(self, result: CreateResult, message_id: str) -> BaseChatMessage:
        assert isinstance(result.content, str)
        factory = self._structured_message_factory
        if factory is None:
            values: dict[str, Any] = {
                "id": message_id,
                "content": result.content,
                "source": self.name,
                "models_usage": result.usage,
            }
            try:
                # As in _record: pydantic-core's validator is the cheaper way to build it (the
                # defaults of metadata and created_at are filled in as by model_construct).
                return cast(TextMessage, _TEXT_MESSAGE.validate_python(values))
            except ValidationError:
                return TextMessage.model_construct(**values)
        try:
            content = factory.ContentModel.model_validate_json(result.content)
        except ValidationError as exc:
            # The title names the agent; the error lines quote the reply.
            title = f"{factory.ContentModel.__name__} (the reply of agent {self.name!r})"
            try:
                error = StructuredOutputError.from_exception_data(
                    title, cast("list[InitErrorDetails]", exc.errors())
                )
            except (KeyError, TypeError, ValueError):
                # A custom error type of the model's own validators cannot be rebuilt; the
                # original ValidationError is still what AutoGen code expects.
                raise exc from None
            raise error from exc
        return factory.StructuredMessage(
            id=message_id,
            content=content,
            source=self.name,
            models_usage=result.usage,
            format_string=self._output_content_type_format,
        )

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Clear the model context."""
        await self._model_context.clear()

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "AssistantAgentState", "version": "1.0.0", "llm_context": ...}``."""
        context = await self._model_context.save_state()
        return AssistantAgentState(llm_context=context).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Replace the model context with the one in ``state``."""
        loaded = AssistantAgentState.model_validate(dict(state))
        self._may_hold_images = True
        # A context's load_state replaces what it holds, so no clear() first.
        await self._model_context.load_state(loaded.llm_context)

    async def close(self) -> None:
        """Close the model client."""
        await self._model_client.close()

    def _to_config(self) -> AssistantAgentConfig:
        if self._tool_call_summary_formatter is not None:
            warnings.warn(
                f"Agent {self.name!r}: tool_call_summary_formatter is a function and is not "
                "saved in the component config; the loaded agent uses tool_call_summary_format.",
                UserWarning,
                stacklevel=3,
            )
        factory = self._structured_message_factory
        return AssistantAgentConfig(
            name=self.name,
            model_client=self._model_client.dump_component(),
            workbench=[w.dump_component() for w in self._workbench] or None,
            handoffs=list(self._handoffs.values()) or None,
            model_context=self._model_context.dump_component(),
            memory=[m.dump_component() for m in self._memory] if self._memory else None,
            description=self.description,
            system_message=self._system_message,
            model_client_stream=self._model_client_stream,
            reflect_on_tool_use=self._reflect_on_tool_use,
            tool_call_summary_format=self._tool_call_summary_format,
            max_tool_iterations=self._max_tool_iterations,
            metadata=self._metadata,
            structured_message_factory=factory.dump_component() if factory else None,
        )

    @classmethod
    def _from_config(cls, config: AssistantAgentConfig) -> Self:
        tools: list[ToolLike] | None = (
            [BaseTool.load_component(t) for t in config.tools] if config.tools else None
        )
        workbench = (
            [Workbench.load_component(w) for w in config.workbench] if config.workbench else None
        )
        factory = (
            StructuredMessageFactory.load_component(config.structured_message_factory)
            if config.structured_message_factory is not None
            else None
        )
        return cls(
            name=config.name,
            model_client=ChatCompletionClient.load_component(config.model_client),
            tools=tools,
            workbench=workbench,
            handoffs=config.handoffs,
            model_context=ChatCompletionContext.load_component(config.model_context)
            if config.model_context is not None
            else None,
            memory=[Memory.load_component(m) for m in config.memory] if config.memory else None,
            description=config.description,
            system_message=config.system_message,
            model_client_stream=config.model_client_stream,
            reflect_on_tool_use=config.reflect_on_tool_use,
            tool_call_summary_format=config.tool_call_summary_format,
            output_content_type=factory.ContentModel if factory is not None else None,
            output_content_type_format=factory.format_string if factory is not None else None,
            max_tool_iterations=config.max_tool_iterations,
            metadata=config.metadata,
        )

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Self:
        """Read a version-1 config, which lists ``tools`` instead of workbenches.

        Raises:
            ComponentConfigError: The config does not validate (also a ``ValueError``, like the
                pydantic error AutoGen lets through).
        """
        try:
            validated = AssistantAgentConfig.model_validate(config)
        except ValidationError as exc:
            fields = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or '<config>'}: {item['msg']}"
                for item in exc.errors(include_url=False)
            )
            raise ComponentConfigError(
                f"The version-{version} AssistantAgent config does not match "
                f"AssistantAgentConfig: {fields}. Fix these fields, or dump the agent again "
                "with this version."
            ) from exc
        return cls._from_config(validated)
