"""FileSurfer: an agent whose model reads local files through a confined text browser."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from typing import Any, ClassVar, cast

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat.agents import BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.messages import BaseChatMessage, TextMessage
from parlay_agentchat.utils import remove_images
from parlay_core import CancellationToken, Component, ComponentModel, FunctionCall
from parlay_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from parlay_ext.agents.file_surfer._browser import FileBrowser
from parlay_ext.agents.file_surfer._tools import FILE_SURFER_TOOLS

__all__ = ["FileSurfer", "FileSurferConfig"]

_SYSTEM_MESSAGE = (
    "You read local files for your team with a text-mode file browser. Use its tools to open "
    "files and folders, page through them and search them; when you can answer the request "
    "from what you have read, answer in plain text."
)


class FileSurferConfig(BaseModel):
    """The component config of :class:`FileSurfer`.

    ``base_path`` is written only when the agent was given one; without it a loaded agent reads
    the working directory of the process that loads it, as in AutoGen.
    """

    name: str
    model_client: ComponentModel
    description: str | None = None
    base_path: str | None = None


class FileSurfer(BaseChatAgent, Component[FileSurferConfig]):
    """An agent that opens, pages through and searches local files, converted to text.

    Each turn the model gets the conversation, where the browser stands, and five tools
    (``open_path``, ``page_up``, ``page_down``, ``find_on_page_ctrl_f``, ``find_next``). If it
    calls tools, they run in order and the reply is the browser's state (path, title, page
    position) and the text on show; if it answers in text, that is the reply. Documents are
    converted with markitdown (HTML, text, CSV, JSON, XML, notebooks, ZIP archives; PDF, Word,
    Excel and PowerPoint once markitdown's matching extras are installed).

    The browser is confined to ``base_path``: paths are resolved, ``..`` and symbolic links
    included, and anything outside is refused. A failing tool (a missing file, a bad argument)
    is reported in the reply rather than raised, so the team can carry on.

    Needs the ``file-surfer`` extra: ``pip install "parlay-ext[file-surfer]"``.

    Args:
        name: The agent's name.
        model_client: The model; it must support function calling.
        description: What the agent does, for the team's orchestrator.
        base_path: The folder the agent may read (with its subfolders); the current working
            directory by default.

    Raises:
        AgentConfigurationError: ``base_path`` is not an existing folder.
    """

    component_config_schema = FileSurferConfig
    component_provider_override = "parlay_ext.agents.file_surfer.FileSurfer"

    DEFAULT_DESCRIPTION = (
        "An agent that reads local files and folders: it opens them as text, pages through "
        "them and searches them."
    )

    DEFAULT_SYSTEM_MESSAGES: ClassVar[list[SystemMessage]] = [
        SystemMessage(content=_SYSTEM_MESSAGE)
    ]

    def __init__(
        self,
        name: str,
        model_client: ChatCompletionClient,
        description: str = DEFAULT_DESCRIPTION,
        base_path: str | None = None,
    ) -> None:
        super().__init__(name, description)
        self._model_client = model_client
        self._given_base_path = base_path
        self._browser = FileBrowser(base_path if base_path is not None else os.getcwd())
        self._chat_history: list[LLMMessage] = []

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """TextMessage."""
        return (TextMessage,)

    @property
    def browser(self) -> FileBrowser:
        """The agent's file browser."""
        return self._browser

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Let the model act on the newest request and answer with the result."""
        for message in messages:
            self._chat_history.append(message.to_model_message())
        usage: RequestUsage | None = None
        try:
            content, usage = await self._generate_reply(cancellation_token)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # The team goes on: the orchestrator sees the failure and can re-plan.
            content = f"File surfing error: {type(error).__name__}: {error}"
        self._chat_history.append(AssistantMessage(content=content, source=self.name))
        return Response(
            chat_message=TextMessage(content=content, source=self.name, models_usage=usage)
        )

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget the conversation (the browser stays where it is)."""
        self._chat_history.clear()

    def _state_text(self) -> str:
        browser = self._browser
        lines = [f"Path: {browser.path}"]
        if browser.page_title is not None:
            lines.append(f"Title: {browser.page_title}")
        lines.append(
            f"Viewport position: Showing page {browser.viewport_current_page + 1} of "
            f"{len(browser.viewport_pages)}."
        )
        if browser.notice:
            lines.append(browser.notice)
        return "\n".join(lines) + "\n=======================\n" + browser.viewport

    async def _generate_reply(
        self, cancellation_token: CancellationToken
    ) -> tuple[str, RequestUsage | None]:
        request = self._chat_history[-1] if self._chat_history else None
        if not isinstance(request, UserMessage):
            return "There is no request for me to act on.", None
        # The newest message is the request; the browser's position goes just before it.
        history = self._chat_history[:-1]
        where = (
            f"Your file browser is open at '{self._browser.path}'"
            + (f" (title: '{self._browser.page_title}')" if self._browser.page_title else "")
            + "."
        )
        prompt: list[LLMMessage] = [
            *self.DEFAULT_SYSTEM_MESSAGES,
            *history,
            UserMessage(content=where, source="user"),
            UserMessage(content=request.content, source="user"),
        ]
        if not self._model_client.model_info.get("vision", False):
            prompt = remove_images(prompt)
        result = await self._model_client.create(
            prompt, tools=FILE_SURFER_TOOLS, cancellation_token=cancellation_token
        )
        if isinstance(result.content, str):
            return result.content, result.usage
        calls = cast(list[object], result.content)
        if not all(isinstance(call, FunctionCall) for call in calls):
            return "TERMINATE", result.usage
        for call in cast(list[FunctionCall], calls):
            problem = await self._run_tool(call)
            if problem is not None:
                return problem, result.usage
        return self._state_text(), result.usage

    async def _run_tool(self, call: FunctionCall) -> str | None:
        """Run one tool call on the browser; return what was wrong with it, if anything."""
        try:
            arguments: Any = json.loads(call.arguments or "{}")
        except json.JSONDecodeError as error:
            return f"The arguments of {call.name} are not valid JSON ({error}); nothing was done."
        if not isinstance(arguments, dict):
            return f"The arguments of {call.name} must be a JSON object; nothing was done."
        args = cast(dict[str, Any], arguments)
        browser = self._browser
        if call.name == "open_path":
            path = args.get("path")
            if not isinstance(path, str):
                return "open_path needs a 'path' string; nothing was opened."
            # Converting a document can take a while: keep the event loop free.
            await asyncio.to_thread(browser.open_path, path)
        elif call.name == "page_up":
            browser.page_up()
        elif call.name == "page_down":
            browser.page_down()
        elif call.name == "find_on_page_ctrl_f":
            query = args.get("search_string")
            if not isinstance(query, str):
                return "find_on_page_ctrl_f needs a 'search_string' string; nothing was searched."
            browser.find_on_page(query)
        elif call.name == "find_next":
            browser.find_next()
        else:
            known = ", ".join(tool["name"] for tool in FILE_SURFER_TOOLS)
            return f"There is no tool {call.name!r}; the tools are {known}."
        return None

    def _to_config(self) -> FileSurferConfig:
        return FileSurferConfig(
            name=self.name,
            model_client=self._model_client.dump_component(),
            description=self.description,
            base_path=self._given_base_path,
        )

    @classmethod
    def _from_config(cls, config: FileSurferConfig) -> Self:
        return cls(
            name=config.name,
            model_client=ChatCompletionClient.load_component(config.model_client),
            description=config.description or cls.DEFAULT_DESCRIPTION,
            base_path=config.base_path,
        )
