"""A model client wrapper that answers repeated requests from a cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python
from typing_extensions import Self

from parlay_core import CacheStore, CancellationToken, Component, ComponentModel, InMemoryStore
from parlay_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
)
from parlay_ext.models._common import ToolChoice, tool_schemas

if TYPE_CHECKING:
    from parlay_core.tools import Tool, ToolSchema

__all__ = ["CHAT_CACHE_VALUE_TYPE", "ChatCompletionCache", "ChatCompletionCacheConfig"]

CHAT_CACHE_VALUE_TYPE = Union[CreateResult, list[Union[str, CreateResult]]]
"""What the cache stores: a result, or the chunks and final result of a stream."""

_NO_EXTRA_ARGS: Mapping[str, Any] = MappingProxyType({})
_STREAM = TypeAdapter(list[Union[CreateResult, str]])


class ChatCompletionCacheConfig(BaseModel):
    """Configuration of :class:`ChatCompletionCache`: the wrapped client and the store."""

    client: ComponentModel
    store: ComponentModel | None = None


class ChatCompletionCache(ChatCompletionClient, Component[ChatCompletionCacheConfig]):
    """Wraps a model client and serves identical requests from a :class:`~parlay_core.CacheStore`.

    A request's key is a SHA-256 of everything that shapes the answer: the messages, the tool
    schemas, the tool choice, the JSON mode or output schema and the extra create arguments.
    A hit returns the stored result with ``cached=True`` (a stream replays its chunks), costs
    no tokens and does not change :meth:`total_usage`. Results are stored only when the call
    succeeds, so errors are never cached.

    Use :class:`parlay_core.InMemoryStore` (the default) for one process, or
    :class:`parlay_ext.cache_store.sqlite.SQLiteStore` to keep answers across runs, for example
    to make tests and demos repeatable and free.

    Args:
        client: The client to wrap.
        store: Where to keep results; default: a new in-memory store.

    Example:
        >>> from parlay_core.testing import ReplayChatCompletionClient
        >>> cached = ChatCompletionCache(ReplayChatCompletionClient(["Hi"]))
    """

    component_config_schema = ChatCompletionCacheConfig
    component_provider_override = "parlay_ext.models.cache.ChatCompletionCache"

    def __init__(
        self,
        client: ChatCompletionClient,
        store: CacheStore[CHAT_CACHE_VALUE_TYPE] | None = None,
    ) -> None:
        self.client = client
        self.store: CacheStore[CHAT_CACHE_VALUE_TYPE] = (
            store if store is not None else InMemoryStore[CHAT_CACHE_VALUE_TYPE]()
        )
        self._explicit_store = store is not None
        self._last = RequestUsage(prompt_tokens=0, completion_tokens=0)

    @property
    def model_info(self) -> ModelInfo:
        """The wrapped client's model info."""
        return self.client.model_info

    def cache_key(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Union[Tool, ToolSchema]],
        tool_choice: ToolChoice,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> str:
        """Return the key a request is cached under."""
        if isinstance(json_output, type):
            output: Any = {"schema": json_output.model_json_schema()}
        else:
            output = json_output
        choice = tool_choice if isinstance(tool_choice, str) else {"tool": tool_choice.name}
        payload = {
            "messages": [m.model_dump(mode="json") for m in messages],
            "tools": to_jsonable_python(tool_schemas(tools)),
            "tool_choice": choice,
            "json_output": output,
            "extra_create_args": to_jsonable_python(dict(extra_create_args), fallback=repr),
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def _lookup(self, key: str) -> CHAT_CACHE_VALUE_TYPE | None:
        found: object = self.store.get(key)
        if found is None:
            return None
        # A persistent store hands back JSON (dicts and lists), an in-memory one the objects.
        try:
            if isinstance(found, (CreateResult, dict)):
                return CreateResult.model_validate(found)
            return _STREAM.validate_python(found)
        except ValidationError:
            return None  # an entry from an incompatible version: treat it as a miss

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
        """Return the cached result for this request, or call the client and cache its result."""
        key = self.cache_key(messages, tools, tool_choice, json_output, extra_create_args)
        hit = self._lookup(key)
        if isinstance(hit, CreateResult):
            self._last = RequestUsage(prompt_tokens=0, completion_tokens=0)
            return hit.model_copy(update={"cached": True})
        result = await self.client.create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        self.store.set(key, result)
        self._last = result.usage
        return result

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
        """Replay a cached stream, or stream from the client and cache the whole stream."""
        key = self.cache_key(messages, tools, tool_choice, json_output, extra_create_args)
        hit = self._lookup(key)
        if isinstance(hit, list):
            self._last = RequestUsage(prompt_tokens=0, completion_tokens=0)
            for item in hit:
                yield (
                    item.model_copy(update={"cached": True})
                    if isinstance(item, CreateResult)
                    else item
                )
            return
        recorded: list[Union[str, CreateResult]] = []
        async for item in self.client.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        ):
            recorded.append(item)
            if isinstance(item, CreateResult):
                self._last = item.usage
            yield item
        # Only a stream that ran to its final result is worth replaying.
        if recorded and isinstance(recorded[-1], CreateResult):
            self.store.set(key, recorded)

    async def close(self) -> None:
        """Close the wrapped client."""
        await self.client.close()

    def actual_usage(self) -> RequestUsage:
        """Usage of the most recent call: zero when it was served from the cache."""
        return self._last

    def total_usage(self) -> RequestUsage:
        """The wrapped client's total usage (cache hits add nothing)."""
        return self.client.total_usage()

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """The wrapped client's token count."""
        return self.client.count_tokens(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Union[Tool, ToolSchema]] = ()
    ) -> int:
        """The wrapped client's remaining tokens."""
        return self.client.remaining_tokens(messages, tools=tools)

    def _to_config(self) -> ChatCompletionCacheConfig:
        store = self.store.dump_component() if self._explicit_store else None
        return ChatCompletionCacheConfig(client=self.client.dump_component(), store=store)

    @classmethod
    def _from_config(cls, config: ChatCompletionCacheConfig) -> Self:
        client = ChatCompletionClient.load_component(config.client)
        store: CacheStore[CHAT_CACHE_VALUE_TYPE] | None = None
        if config.store is not None:
            store = cast(
                "CacheStore[CHAT_CACHE_VALUE_TYPE]", CacheStore.load_component(config.store)
            )
        return cls(client, store)
