"""MagenticOne: a MagenticOneGroupChat preset with Magentic-One's agents."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Union

from parlay_agentchat.agents import (
    ApprovalFuncType,
    CodeExecutorAgent,
    UserProxyAgent,
)
from parlay_agentchat.base import ChatAgent, TerminationCondition
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_agentchat.teams import MagenticOneGroupChat
from parlay_core import CancellationToken
from parlay_core.code_executor import CodeExecutor
from parlay_core.models import ChatCompletionClient
from parlay_ext.agents.file_surfer import FileSurfer
from parlay_ext.agents.magentic_one import MagenticOneCoderAgent
from parlay_ext.agents.web_surfer import MultimodalWebSurfer

__all__ = ["AsyncInputFunc", "InputFuncType", "MagenticOne", "SyncInputFunc"]

SyncInputFunc = Callable[[str], str]
"""A blocking input function: given the prompt, returns the user's answer."""
AsyncInputFunc = Callable[[str, Union[CancellationToken, None]], Awaitable[str]]
"""An async input function: given the prompt and a cancellation token, returns the answer."""
InputFuncType = Union[SyncInputFunc, AsyncInputFunc]
"""The input function of the human in the loop (``hil_mode``)."""

_logger = logging.getLogger("parlay_ext.teams.magentic_one")


class MagenticOne(MagenticOneGroupChat):
    """Magentic-One: an orchestrator that plans the work and directs a team of agents.

    The team, all on ``client``:

    - ``FileSurfer`` (:class:`~parlay_ext.agents.file_surfer.FileSurfer`) reads local files,
      confined to the current working directory (or ``file_surfer_base_path``);
    - ``WebSurfer`` (:class:`~parlay_ext.agents.web_surfer.MultimodalWebSurfer`) drives a
      Chromium browser;
    - ``Coder`` (:class:`~parlay_ext.agents.magentic_one.MagenticOneCoderAgent`) writes
      programs and analyses results;
    - ``ComputerTerminal`` (a :class:`~parlay_agentchat.agents.CodeExecutorAgent`) runs the
      coder's programs, only when both ``code_executor`` and ``approval_func`` are given;
    - ``User`` (a :class:`~parlay_agentchat.agents.UserProxyAgent`) in ``hil_mode``.

    Unlike AutoGen, code execution is never on by default: without ``code_executor`` the team
    has no terminal (the coder's programs are not run), and an executor without
    ``approval_func`` is refused. To run unattended inside a sandbox such as the Docker
    executor, pass an approval function that approves.

    The web surfer follows what web pages tell it and the coder's programs run with the
    executor's rights: run the team in a sandbox, with approval, and watch it.

    Args:
        client: The model of the orchestrator and of every agent; it needs function calling
            and JSON output (a warning says when its ``model_info`` lacks them).
        hil_mode: Add the ``User`` agent, whom the orchestrator may ask for input.
        input_func: How the ``User`` agent asks (``input`` by default).
        code_executor: Where the coder's programs run.
        approval_func: Asked before each program runs (sync or async); refused programs are
            not run.
        max_turns: The most orchestrator steps per task (a Parlay addition).
        max_stalls: Stalled steps before the orchestrator re-plans (a Parlay addition).
        termination_condition: Stops the run earlier (a Parlay addition).
        web_surfer_start_page: The page the web surfer opens first (and after a reset);
            Bing by default, as in AutoGen (a Parlay addition).
        file_surfer_base_path: The folder the file surfer may read; the current working
            directory by default, as in AutoGen (a Parlay addition).

    Raises:
        AgentConfigurationError: ``code_executor`` without ``approval_func``, or the reverse.
    """

    def __init__(
        self,
        client: ChatCompletionClient,
        hil_mode: bool = False,
        input_func: InputFuncType | None = None,
        code_executor: CodeExecutor | None = None,
        approval_func: ApprovalFuncType | None = None,
        *,
        max_turns: int | None = 20,
        max_stalls: int = 3,
        termination_condition: TerminationCondition | None = None,
        web_surfer_start_page: str | None = None,
        file_surfer_base_path: str | None = None,
    ) -> None:
        self.client = client
        self._validate_client_capabilities(client)
        if code_executor is not None and approval_func is None:
            raise AgentConfigurationError(
                "MagenticOne runs the coder's programs only with approval: pass approval_func "
                "along with code_executor (to run unattended in a sandbox, pass one that "
                "approves: lambda request: ApprovalResponse(approved=True, reason='sandboxed'))."
            )
        if approval_func is not None and code_executor is None:
            raise AgentConfigurationError(
                "approval_func was given without code_executor, so there is nothing to approve: "
                "pass the code_executor the coder's programs should run on."
            )
        agents: list[ChatAgent] = [
            FileSurfer("FileSurfer", model_client=client, base_path=file_surfer_base_path),
            MultimodalWebSurfer(
                "WebSurfer",
                model_client=client,
                start_page=web_surfer_start_page or MultimodalWebSurfer.DEFAULT_START_PAGE,
            ),
            MagenticOneCoderAgent("Coder", model_client=client),
        ]
        if code_executor is not None:
            agents.append(
                CodeExecutorAgent(
                    "ComputerTerminal", code_executor=code_executor, approval_func=approval_func
                )
            )
        else:
            _logger.info(
                "MagenticOne has no ComputerTerminal: without code_executor and approval_func "
                "the coder's programs are not run."
            )
        if hil_mode:
            agents.append(UserProxyAgent("User", input_func=input_func))
        super().__init__(
            agents,
            model_client=client,
            max_turns=max_turns,
            max_stalls=max_stalls,
            termination_condition=termination_condition,
        )

    def _validate_client_capabilities(self, client: ChatCompletionClient) -> None:
        info = client.model_info
        missing = [key for key in ("function_calling", "json_output") if not info.get(key)]
        if missing:
            warnings.warn(
                f"MagenticOne's client lacks {', '.join(missing)} in its model_info; the "
                "orchestrator needs JSON output and the surfers need function calling.",
                UserWarning,
                stacklevel=3,
            )

    async def close(self) -> None:
        """Close the agents (the web surfer's browser among them); the team cannot run after."""
        for participant in self._participants:
            if isinstance(participant, ChatAgent):
                await participant.close()
