"""Converting between Parlay's model messages and the OpenAI chat-completions wire format.

Requests are built as plain JSON-shaped dicts rather than the SDK's TypedDicts: the shapes are
the public wire format, which OpenAI-compatible servers share and which changes more slowly than
the SDK's type names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any, Literal, Union, cast

from pydantic import BaseModel

from parlay_core import FunctionCall, Image
from parlay_core.exceptions import ModelCapabilityError
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionTokenLogprob,
    FinishReasons,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    TopLogprob,
    UserMessage,
)
from parlay_core.tools import ToolSchema

__all__ = [
    "convert_logprobs",
    "convert_messages",
    "convert_tool_choice",
    "convert_tools",
    "finish_reason",
    "function_calls",
    "merge_system_messages",
    "model_class",
    "prefix_names",
    "reasoning_text",
    "response_format",
    "rstrip_final_assistant",
    "strict_json_schema",
    "usage_of",
]

# OpenAI accepts a message's ``name`` only in this form; anything else is a 400, so other
# sources are left out rather than sent.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_FINISH: dict[str, FinishReasons] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",
    "content_filter": "content_filter",
}


def _user_content(message: UserMessage) -> Union[str, list[dict[str, Any]]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, Image):
            parts.append({"type": "image_url", "image_url": {"url": part.data_uri}})
        else:
            parts.append({"type": "text", "text": part})
    return parts


def _convert_one(message: LLMMessage, include_name: bool) -> list[dict[str, Any]]:
    if isinstance(message, SystemMessage):
        return [{"role": "system", "content": message.content}]
    if isinstance(message, UserMessage):
        user: dict[str, Any] = {"role": "user", "content": _user_content(message)}
        if include_name and _NAME.match(message.source):
            user["name"] = message.source
        return [user]
    if isinstance(message, AssistantMessage):
        if isinstance(message.content, str):
            return [{"role": "assistant", "content": message.content}]
        calls = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.content
        ]
        # The text a model wrote next to its tool calls travels back as the message content,
        # so the model sees its own explanation on the next turn.
        return [{"role": "assistant", "content": message.thought, "tool_calls": calls}]
    if isinstance(message, FunctionExecutionResultMessage):  # pyright: ignore[reportUnnecessaryIsInstance]
        return [
            {"role": "tool", "tool_call_id": result.call_id, "content": result.content}
            for result in message.content
        ]
    raise TypeError(f"Not a model message: {type(message).__name__}")  # pragma: no cover


def convert_messages(
    messages: Sequence[LLMMessage], *, include_name: bool = True
) -> list[dict[str, Any]]:
    """Convert a conversation to the ``messages`` list of a chat-completions request.

    Args:
        messages: The conversation.
        include_name: Send each user message's ``source`` as its ``name`` (when OpenAI would
            accept it as a name). Some compatible servers reject the field; turn it off there.
    """
    converted: list[dict[str, Any]] = []
    for message in messages:
        converted.extend(_convert_one(message, include_name))
    return converted


def convert_tools(schemas: Sequence[ToolSchema]) -> list[dict[str, Any]]:
    """Convert tool schemas to the request's ``tools`` list."""
    tools: list[dict[str, Any]] = []
    for schema in schemas:
        function: dict[str, Any] = {"name": schema["name"]}
        if "description" in schema:
            function["description"] = schema["description"]
        function["parameters"] = dict(
            schema.get("parameters", {"type": "object", "properties": {}})
        )
        if "strict" in schema:
            function["strict"] = schema["strict"]
        tools.append({"type": "function", "function": function})
    return tools


def convert_tool_choice(
    choice: Literal["auto", "required", "none"], forced: str | None
) -> Union[str, dict[str, Any]]:
    """Convert a tool choice (a mode, or the name of the one tool forced) to the wire form."""
    if forced is not None:
        return {"type": "function", "function": {"name": forced}}
    return choice


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a pydantic JSON schema that OpenAI's strict structured output accepts.

    Strict mode wants every object closed (``additionalProperties: false``) with every property
    listed as required, and has no use for defaults; optional fields stay nullable through their
    ``anyOf`` with ``null``, so no information is lost.
    """
    result = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            obj = cast("dict[str, Any]", node)
            obj.pop("default", None)
            if obj.get("type") == "object" and isinstance(obj.get("properties"), dict):
                properties = cast("dict[str, Any]", obj["properties"])
                obj["additionalProperties"] = False
                obj["required"] = list(properties)
            for value in obj.values():
                visit(value)
        elif isinstance(node, list):
            for item in cast("list[object]", node):
                visit(item)

    visit(result)
    return result


def response_format(json_output: bool | type[BaseModel] | None) -> dict[str, Any] | None:
    """Build the request's ``response_format``: JSON mode, a JSON schema, or nothing."""
    if json_output is None or json_output is False:
        return None
    if json_output is True:
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {
            "name": json_output.__name__,
            "schema": strict_json_schema(json_output.model_json_schema()),
            "strict": True,
        },
    }


def prefix_names(messages: Sequence[LLMMessage]) -> list[LLMMessage]:
    """Start each user message's text with ``"<source> said:"`` (AutoGen's ``add_name_prefixes``).

    For models that ignore the ``name`` field, this tells them who said what. In a message
    with images, the first text part gets the prefix.
    """
    prefixed: list[LLMMessage] = []
    for message in messages:
        if isinstance(message, UserMessage):
            prefix = f"{message.source} said:\n"
            if isinstance(message.content, str):
                message = message.model_copy(update={"content": prefix + message.content})
            else:
                parts = list(message.content)
                for i, part in enumerate(parts):
                    if isinstance(part, str):
                        parts[i] = prefix + part
                        break
                message = message.model_copy(update={"content": parts})
        prefixed.append(message)
    return prefixed


def rstrip_final_assistant(messages: Sequence[LLMMessage]) -> list[LLMMessage]:
    """Strip trailing whitespace from a conversation's final assistant text.

    Anthropic refuses a request whose last message is an assistant turn (a prefill) ending in
    whitespace, or empty; AutoGen's client strips it for Claude models, and so does Parlay's,
    which also leaves out a final assistant turn that is nothing but whitespace.
    """
    result = list(messages)
    if result:
        last = result[-1]
        if isinstance(last, AssistantMessage) and isinstance(last.content, str):
            text = last.content.rstrip()
            if text:
                result[-1] = last.model_copy(update={"content": text})
            else:
                result.pop()
    return result


def merge_system_messages(messages: Sequence[LLMMessage], model: str) -> list[LLMMessage]:
    """Join adjacent system messages into one, for a model that takes a single system prompt.

    The merged message stays where the first one was, its parts joined by newlines (as
    AutoGen's client does for models whose ``multiple_system_messages`` is false).

    Raises:
        ModelCapabilityError: System messages appear at separate places in the conversation;
            joining them would move instructions out of order.
    """
    positions = [i for i, message in enumerate(messages) if isinstance(message, SystemMessage)]
    if len(positions) < 2:
        return list(messages)
    if positions[-1] - positions[0] != len(positions) - 1:
        raise ModelCapabilityError(
            f"Model {model!r} takes a single system message (model_info["
            "'multiple_system_messages'] is False), but the conversation has system messages "
            "apart from each other, which cannot be merged without reordering them. If the "
            "server accepts several, pass a model_info with multiple_system_messages=True."
        )
    first, last = positions[0], positions[-1]
    joined = "\n".join(cast(SystemMessage, messages[i]).content for i in positions)
    return [*messages[:first], SystemMessage(content=joined), *messages[last + 1 :]]


def model_class(value: object) -> type[BaseModel] | None:
    """Return ``value`` if it is a pydantic model class (a structured-output type), else None."""
    if isinstance(value, type) and issubclass(value, BaseModel):
        return value
    return None


def finish_reason(reason: str | None, has_calls: bool) -> FinishReasons:
    """Map a provider finish reason to Parlay's; tool calls always mean ``function_calls``."""
    if has_calls:
        return "function_calls"
    return _FINISH.get(reason or "", "unknown")


def reasoning_text(message: object) -> str | None:
    """Return the reasoning a compatible server attached to a message or delta, if any.

    OpenAI's own API does not return reasoning text; DeepSeek and vLLM send it as
    ``reasoning_content``, Ollama and llama.cpp server as ``reasoning``. Both arrive as extra
    fields of the SDK's models.
    """
    for field in ("reasoning_content", "reasoning"):
        value = getattr(message, field, None)
        if isinstance(value, str) and value:
            return value
    return None


def usage_of(usage: object | None) -> RequestUsage:
    """Read prompt and completion tokens from a provider usage object (zero when absent)."""
    if usage is None:
        return RequestUsage(prompt_tokens=0, completion_tokens=0)
    prompt = getattr(usage, "prompt_tokens", 0)
    completion = getattr(usage, "completion_tokens", 0)
    return RequestUsage(
        prompt_tokens=prompt if isinstance(prompt, int) else 0,
        completion_tokens=completion if isinstance(completion, int) else 0,
    )


def convert_logprobs(logprobs: object | None) -> list[ChatCompletionTokenLogprob] | None:
    """Convert a choice's ``logprobs.content`` to Parlay's token log probabilities."""
    content = getattr(logprobs, "content", None)
    if not content:
        return None
    converted: list[ChatCompletionTokenLogprob] = []
    for item in cast("list[Any]", content):
        top = [
            TopLogprob(logprob=alt.logprob, bytes=alt.bytes)
            for alt in cast("list[Any]", getattr(item, "top_logprobs", None) or [])
        ]
        converted.append(
            ChatCompletionTokenLogprob(
                token=item.token, logprob=item.logprob, top_logprobs=top or None, bytes=item.bytes
            )
        )
    return converted


def function_calls(tool_calls: Sequence[Any]) -> list[FunctionCall]:
    """Convert a message's function tool calls; arguments stay exactly as the model wrote them."""
    calls: list[FunctionCall] = []
    for call in tool_calls:
        function = getattr(call, "function", None)
        if function is None:
            continue  # a custom (free-form) tool call, which Parlay never offers
        calls.append(
            FunctionCall(id=call.id, name=function.name, arguments=function.arguments or "")
        )
    return calls
