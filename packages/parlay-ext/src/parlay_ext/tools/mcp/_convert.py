"""Translations between MCP's types and Parlay's: tool schemas, tool results, sampling."""

from __future__ import annotations

import json
from typing import Any, cast

from parlay_core import Image
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from parlay_core.tools import (
    ImageResultContent,
    ParametersSchema,
    ResultContent,
    TextResultContent,
    ToolSchema,
)
from parlay_ext.tools.mcp._connection import SamplingCallback, describe
from parlay_ext.tools.mcp._sdk import ClientRequestContext, mcp_types

__all__ = ["result_parts", "sampling_callback", "tool_schema"]

# The name under which the server's sampling messages reach the model, as a message source.
_SAMPLING_SOURCE = "mcp_server"
_STOP_REASONS = {"stop": "endTurn", "length": "maxTokens"}


def tool_schema(
    tool: mcp_types.Tool, name: str | None = None, description: str | None = None
) -> ToolSchema:
    """The function-calling schema of an MCP tool, optionally renamed and redescribed."""
    source = tool.input_schema
    parameters = ParametersSchema(
        type="object",
        properties=dict(source.get("properties", {})),
        required=list(source.get("required", [])),
    )
    if "additionalProperties" in source:
        parameters["additionalProperties"] = bool(source["additionalProperties"])
    # JSON-Schema definitions that properties refer to by "$ref" must travel with them.
    for key in ("$defs", "definitions"):
        if key in source:
            cast("dict[str, Any]", parameters)[key] = source[key]
    return ToolSchema(
        name=name or tool.name,
        description=description if description is not None else (tool.description or ""),
        parameters=parameters,
    )


def _block_parts(block: Any) -> list[ResultContent]:
    if isinstance(block, mcp_types.TextContent):
        return [TextResultContent(content=block.text)]
    if isinstance(block, mcp_types.ImageContent):
        return [ImageResultContent(content=Image.from_base64(block.data, block.mime_type))]
    if isinstance(block, mcp_types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, mcp_types.TextResourceContents):
            return [TextResultContent(content=resource.text)]
    # Audio, blobs and resource links have no Parlay counterpart: the model reads their JSON.
    dumped: str = block.model_dump_json(by_alias=True, exclude_none=True)
    return [TextResultContent(content=dumped)]


def result_parts(result: mcp_types.CallToolResult) -> list[ResultContent]:
    """The parts of a tool result: text, images, and JSON for everything else.

    A result with only ``structured_content`` (no content blocks) becomes its JSON text.
    """
    parts = [part for block in result.content for part in _block_parts(block)]
    if not parts and result.structured_content is not None:
        parts.append(TextResultContent(content=json.dumps(result.structured_content)))
    return parts


def _llm_messages(params: mcp_types.CreateMessageRequestParams) -> list[LLMMessage]:
    messages: list[LLMMessage] = []
    if params.system_prompt:
        messages.append(SystemMessage(content=params.system_prompt))
    for message in params.messages:
        parts: list[str | Image] = []
        for block in message.content_as_list:
            if isinstance(block, mcp_types.TextContent):
                parts.append(block.text)
            elif isinstance(block, mcp_types.ImageContent):
                parts.append(Image.from_base64(block.data, block.mime_type))
            else:
                parts.append(block.model_dump_json(by_alias=True, exclude_none=True))
        if message.role == "assistant":
            text = "\n".join(part for part in parts if isinstance(part, str))
            messages.append(AssistantMessage(content=text, source=_SAMPLING_SOURCE))
        elif all(isinstance(part, str) for part in parts):
            messages.append(
                UserMessage(content="\n".join(map(str, parts)), source=_SAMPLING_SOURCE)
            )
        else:
            messages.append(UserMessage(content=parts, source=_SAMPLING_SOURCE))
    return messages


def sampling_callback(model_client: ChatCompletionClient) -> SamplingCallback:
    """Answer a server's ``sampling/createMessage`` requests with ``model_client``.

    The server's messages and system prompt go to the model as they are; its model
    preferences, temperature and token limit are hints that this client does not apply. A
    model failure, or an answer that is not text, goes back to the server as an MCP error.
    """

    async def answer(
        context: ClientRequestContext, params: mcp_types.CreateMessageRequestParams
    ) -> mcp_types.CreateMessageResult | mcp_types.ErrorData:
        del context  # the request's id and session are not needed to answer it
        try:
            result = await model_client.create(_llm_messages(params))
        except Exception as exc:
            return mcp_types.ErrorData(
                code=mcp_types.jsonrpc.INTERNAL_ERROR,
                message=f"The client's model failed: {describe(exc)}",
            )
        if not isinstance(result.content, str):
            return mcp_types.ErrorData(
                code=mcp_types.jsonrpc.INTERNAL_ERROR,
                message="The client's model answered with tool calls instead of text.",
            )
        return mcp_types.CreateMessageResult(
            role="assistant",
            content=mcp_types.TextContent(text=result.content),
            model=str(model_client.model_info.get("family", "unknown")),
            stop_reason=_STOP_REASONS.get(result.finish_reason),
        )

    return answer
