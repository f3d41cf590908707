"""Other agent frameworks on the team benchmark's shape, for ``bench_team.py``'s peer table.

Each peer runs the same conversation as the team benchmark: three agents take turns in a fixed
order, each answering ``"ok"`` from a scripted model that returns at once, until 200 agent
messages (20 with ``--quick``) follow the task. Every run builds fresh agents, so no conversation
grows from run to run. Each peer is written the way its documentation shows for this shape:

* **AG2** (``ag2``, the ``autogen`` package of the AutoGen 0.2 line): a ``GroupChat`` with
  ``speaker_selection_method="round_robin"`` under a ``GroupChatManager``, started with
  ``a_initiate_chat``; each ``ConversableAgent`` has no LLM and a registered reply function
  that returns ``"ok"`` (AG2's way to script an agent without a model). That skips AG2's model
  client layer altogether, so AG2's row is lighter than the others, which all go through their
  model abstraction; with a model client, AG2's async reply runs the call in a worker thread.
  AG2 1.x replaced this API with a networked hub; its last release with the group chat is 0.14.
* **LangGraph** (``langgraph``): a ``StateGraph`` over ``MessagesState`` with one node per agent;
  each node awaits a LangChain ``BaseChatModel`` whose ``_agenerate`` answers ``"ok"``, and a
  conditional edge hands the turn to the next node or ends the graph.
* **Microsoft Agent Framework** (``agent-framework-core`` and ``agent-framework-orchestrations``):
  a ``GroupChatBuilder`` workflow of three ``Agent`` s on a ``BaseChatClient`` that answers
  ``"ok"``, a round-robin selection function and ``max_rounds``.
* **OpenAI Agents SDK** (``openai-agents``): three ``Agent`` s on a ``Model`` that answers
  ``"ok"``; it has no group chat, so the turns are ``Runner.run`` calls in order, each given the
  conversation so far (``to_input_list()``).

No peer reaches the network: every model is local, and telemetry is switched off before the
peers are imported (LangSmith tracing, the OpenAI Agents SDK's trace export, Agent Framework's
OpenTelemetry instrumentation), as Parlay's and AutoGen's tracing is off in the benchmark.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

AGENTS = 3
TASK = "Take turns."

# Before any peer is imported: nothing is exported, nothing is traced.
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"
os.environ["ENABLE_INSTRUMENTATION"] = "false"


@dataclass(frozen=True)
class Peer:
    """One peer framework."""

    key: str
    """A short key for the summary, for example ``"langgraph"``."""
    name: str
    """The framework's name, as printed."""
    distribution: str
    """The distribution whose version is printed."""
    modules: tuple[str, ...]
    """Modules that must be importable for the peer to run."""
    make_run: Callable[[], Callable[[int], Awaitable[int]]]
    """Imports the peer and returns ``run(messages)``, which runs one conversation of
    ``messages`` agent messages and returns how many the peer produced."""

    @property
    def label(self) -> str:
        """Name and version."""
        try:
            version = importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        return f"{self.name} {version}"

    def installed(self) -> bool:
        """Whether every module the peer needs is importable."""
        for module in self.modules:
            try:
                if importlib.util.find_spec(module) is None:
                    return False
            except ImportError:  # the parent package is missing
                return False
        return True


# --- AG2 -----------------------------------------------------------------------------------


def _ag2() -> Callable[[int], Awaitable[int]]:
    from autogen import ConversableAgent, GroupChat, GroupChatManager  # pyright: ignore
    from autogen.io.base import IOStream  # pyright: ignore

    class Silent:
        """AG2 prints every message to its default stream; the others print nothing."""

        def print(
            self, *objects: Any, sep: str = " ", end: str = "\n", flush: bool = False
        ) -> None:
            return None

        def send(self, message: Any) -> None:
            return None

        def input(self, prompt: str = "", *, password: bool = False) -> str:
            return ""

    async def answer(
        recipient: Any, messages: Any = None, sender: Any = None, config: Any = None
    ) -> tuple[bool, str]:
        return True, "ok"

    async def run(messages: int) -> int:
        agents = [
            ConversableAgent(
                f"agent{i}", llm_config=False, human_input_mode="NEVER", code_execution_config=False
            )
            for i in range(AGENTS)
        ]
        for agent in agents:
            agent.register_reply(
                [ConversableAgent, None], answer, position=0, ignore_async_in_sync_chat=True
            )
        # The task message is the first round.
        chat = GroupChat(
            agents=agents,
            messages=[],
            max_round=messages + 1,
            speaker_selection_method="round_robin",
        )
        manager = GroupChatManager(groupchat=chat, llm_config=False)
        with IOStream.set_default(Silent()):
            await agents[0].a_initiate_chat(manager, message=TASK, silent=True)
        return len(chat.messages) - 1

    return run


# --- LangGraph -----------------------------------------------------------------------------


def _langgraph() -> Callable[[int], Awaitable[int]]:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langgraph.graph import END, START, MessagesState, StateGraph

    class ScriptedModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "scripted"

        def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))])

        async def _agenerate(
            self, messages: list[BaseMessage], *args: Any, **kwargs: Any
        ) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))])

    def build(messages: int) -> Any:
        graph: Any = StateGraph(MessagesState)
        names = [f"agent{i}" for i in range(AGENTS)]
        for name in names:
            model = ScriptedModel()

            async def node(state: Any, name: str = name, model: ScriptedModel = model) -> Any:
                reply = await model.ainvoke(state["messages"])
                return {"messages": [AIMessage(content=reply.content, name=name)]}

            graph.add_node(name, node)
        graph.add_edge(START, names[0])
        for index, name in enumerate(names):
            after = names[(index + 1) % AGENTS]

            def route(state: Any, after: str = after) -> str:
                return END if len(state["messages"]) > messages else after

            graph.add_conditional_edges(name, route, [after, END])
        return graph.compile()

    async def run(messages: int) -> int:
        out = await build(messages).ainvoke(
            {"messages": [HumanMessage(content=TASK)]}, {"recursion_limit": messages + 10}
        )
        return len(out["messages"]) - 1

    return run


# --- Microsoft Agent Framework -------------------------------------------------------------


def _agent_framework() -> Callable[[int], Awaitable[int]]:
    from agent_framework import Agent, BaseChatClient, ChatResponse, Message
    from agent_framework.orchestrations import GroupChatBuilder

    # It warns, for each agent, that this client does not invoke functions (none are used), and
    # for each run that it stopped at max_rounds (as asked).
    for name in ("agent_framework", "agent_framework_orchestrations"):
        logging.getLogger(name).setLevel(logging.ERROR)
    calls = [0]

    class ScriptedClient(BaseChatClient):  # type: ignore[misc]
        async def _inner_get_response(  # type: ignore[override]
            self, *, messages: Any, stream: bool, options: Any, **kwargs: Any
        ) -> Any:
            calls[0] += 1
            return ChatResponse(messages=[Message(role="assistant", contents=["ok"])])

    def round_robin(state: Any) -> str:
        names = list(state.participants)
        return names[state.current_round % len(names)]

    async def run(messages: int) -> int:
        agents = [
            Agent(ScriptedClient(), name=f"agent{i}", description=f"Agent {i}.")
            for i in range(AGENTS)
        ]
        workflow: Any = GroupChatBuilder(
            participants=agents, selection_func=round_robin, max_rounds=messages
        ).build()
        # Each round is two of the workflow's supersteps; its default limit (100) would stop a
        # 200-message run with an error.
        workflow.max_iterations = workflow._runner._max_iterations = 4 * messages + 10
        calls[0] = 0
        await workflow.run(TASK)
        return calls[0]

    return run


# --- OpenAI Agents SDK ---------------------------------------------------------------------


def _openai_agents() -> Callable[[int], Awaitable[int]]:
    from agents import Agent, Model, ModelResponse, Runner, Usage, set_tracing_disabled
    from openai.types.responses import ResponseOutputMessage, ResponseOutputText

    set_tracing_disabled(True)

    class ScriptedModel(Model):  # type: ignore[misc]
        async def get_response(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            text = ResponseOutputText(annotations=[], text="ok", type="output_text")
            message = ResponseOutputMessage(
                id="msg", content=[text], role="assistant", status="completed", type="message"
            )
            return ModelResponse(output=[message], usage=Usage(), response_id=None)

        def stream_response(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            raise NotImplementedError("the benchmark does not stream")

    async def run(messages: int) -> int:
        agents = [
            Agent(name=f"agent{i}", instructions="Take your turn.", model=ScriptedModel())
            for i in range(AGENTS)
        ]
        history: Any = [{"role": "user", "content": TASK}]
        for turn in range(messages):
            result = await Runner.run(agents[turn % AGENTS], history)
            history = result.to_input_list()
        return len(history) - 1

    return run


PEERS = [
    Peer("ag2", "AG2", "ag2", ("autogen.agentchat",), _ag2),
    Peer("langgraph", "LangGraph", "langgraph", ("langgraph.graph", "langchain_core"), _langgraph),
    Peer(
        "agent_framework",
        "Agent Framework",
        "agent-framework-core",
        ("agent_framework", "agent_framework_orchestrations"),
        _agent_framework,
    ),
    Peer(
        "openai_agents", "OpenAI Agents SDK", "openai-agents", ("agents", "openai"), _openai_agents
    ),
]
"""Every peer, in the order of the table."""
