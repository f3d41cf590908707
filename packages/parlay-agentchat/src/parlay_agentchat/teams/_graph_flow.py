"""GraphFlow: participants run in the order a directed graph gives, branches concurrently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import AgentConfigurationError, UnknownGraphNodeError
from parlay_agentchat.base import ChatAgent, TerminationCondition
from parlay_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    MessageFactory,
    StopMessage,
)
from parlay_agentchat.state import GraphManagerState
from parlay_agentchat.teams._base_group_chat import (
    BaseGroupChat,
    load_chat_agents,
    load_condition,
)
from parlay_agentchat.teams._digraph import Activation, DiGraph, DiGraphEdge
from parlay_agentchat.teams._manager import BaseGroupChatManager, OutputChannel
from parlay_core import AgentRuntime, CancellationToken, Component, ComponentModel
from parlay_core.exceptions import ComponentTypeError

__all__ = ["GraphFlow", "GraphFlowConfig", "GraphFlowManager"]

Message = BaseAgentEvent | BaseChatMessage

STOP_MESSAGE = "Digraph execution is complete"


class GraphFlowManager(BaseGroupChatManager):
    """Runs the nodes whose incoming edges are satisfied; all ready nodes run concurrently.

    After a node speaks, each outgoing edge whose condition holds for its chat message counts
    towards the target's activation group: an ``"all"`` group queues the target once every
    edge of the group was taken, an ``"any"`` group on the first. When a round ends with
    nothing queued, the flow is complete: the manager ends the run with the stop reason
    ``"Digraph execution is complete"`` (no message is added to the conversation) and goes
    back to the start nodes, so the next run walks the graph again. A run stopped earlier by
    the termination condition or ``max_turns`` keeps its place: the next run goes on from the
    nodes that were queued.
    """

    def __init__(self, *, graph: DiGraph, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._graph = graph
        self._edges: dict[str, list[DiGraphEdge]] = {
            name: node.edges for name, node in graph.nodes.items()
        }
        self._activation: dict[str, dict[str, Activation]] = graph.get_activation_map()
        self._origin_remaining = graph.get_remaining_map()
        self._start_nodes = sorted(graph.get_start_nodes())
        self._remaining: dict[str, dict[str, int]] = {}
        self._enqueued_any: dict[str, dict[str, bool]] = {}
        self._ready: list[str] = []
        self._active_nodes: list[str] = []
        self._reset_flow()

    def _reset_flow(self) -> None:
        self._remaining = {t: dict(groups) for t, groups in self._origin_remaining.items()}
        self._enqueued_any = {
            t: {g: False for g in groups} for t, groups in self._activation.items()
        }
        self._ready = list(self._start_nodes)
        self._active_nodes = []

    async def validate_group_state(self, messages: Sequence[BaseChatMessage] | None) -> None:
        """Nodes cut off by a cancelled run run again first when the flow continues."""
        if self._active_nodes:
            again = [n for n in self._active_nodes if n not in self._ready]
            self._ready = [*again, *self._ready]
            self._active_nodes = []

    async def _after_turn(self, name: str, delta: list[Message], token: CancellationToken) -> None:
        if name in self._active_nodes:
            self._active_nodes.remove(name)
        last = next((m for m in reversed(delta) if isinstance(m, BaseChatMessage)), None)
        if last is not None and name in self._edges:
            try:
                self._propagate(name, last)
            except Exception as error:
                self._fail(error, f"an edge condition of node {name!r}")
                return
        await super()._after_turn(name, delta, token)

    def _propagate(self, source: str, message: BaseChatMessage) -> None:
        for edge in self._edges[source]:
            if not edge.check_condition(message):
                continue
            target, group = edge.target, edge.activation_group
            if self._activation[target][group] == "all":
                self._remaining[target][group] -= 1
                if self._remaining[target][group] == 0:
                    self._ready.append(target)
            elif not self._enqueued_any[target][group]:
                self._enqueued_any[target][group] = True
                self._ready.append(target)

    async def _check_termination(self, delta: Sequence[Message], *, count_turn: bool) -> bool:
        # Completion is checked before the team's condition, as AutoGen does: a round that
        # queues nothing ends the run even when the condition would also fire on it.
        if self._ready:
            return await super()._check_termination(delta, count_turn=count_turn)
        self._reset_flow()
        if self._termination_condition is not None:
            await self._termination_condition.reset()
        self._current_turn = 0
        self._signal_termination(StopMessage(content=STOP_MESSAGE, source=self._name))
        return True

    async def select_speaker(self, thread: Sequence[Message]) -> list[str]:
        """Every queued node, each once (the queue is never empty here: see termination)."""
        speakers = list(dict.fromkeys(self._ready))
        self._ready = []
        for speaker in speakers:
            # The groups that queued this node start counting again, for loops.
            for group, left in self._remaining.get(speaker, {}).items():
                if left <= 0:
                    self._remaining[speaker][group] = self._origin_remaining[speaker][group]
            for group in self._enqueued_any.get(speaker, {}):
                self._enqueued_any[speaker][group] = False
        self._active_nodes = list(speakers)
        return speakers

    async def reset(self) -> None:
        """Go back to the start nodes."""
        self._reset_flow()

    async def save_state(self) -> Mapping[str, Any]:
        """Return a ``GraphManagerState``."""
        return GraphManagerState(
            message_thread=self._dump_thread(),
            current_turn=self._current_turn,
            remaining={t: dict(groups) for t, groups in self._remaining.items()},
            enqueued_any={t: dict(groups) for t, groups in self._enqueued_any.items()},
            ready=list(self._ready),
            active_nodes=list(self._active_nodes),
        ).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a ``GraphManagerState`` (AutoGen's, without ``type``, loads too)."""
        loaded = GraphManagerState.model_validate(dict(state))
        self._load_thread(loaded.message_thread)
        self._current_turn = loaded.current_turn
        self._reset_flow()
        for target, groups in loaded.remaining.items():
            self._remaining.setdefault(target, {}).update(groups)
        for target, flags in loaded.enqueued_any.items():
            self._enqueued_any.setdefault(target, {}).update(flags)
        self._ready = list(loaded.ready)
        self._active_nodes = list(loaded.active_nodes)


class GraphFlowConfig(BaseModel):
    """The component config of :class:`GraphFlow` (string edge conditions only)."""

    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    graph: DiGraph


class GraphFlow(BaseGroupChat, Component[GraphFlowConfig]):
    """A team whose participants run in the order of a directed graph.

    Nodes are participants; edges say who runs after whom. A run starts with the start
    nodes. All nodes that become ready together run **concurrently** (fan-out), and the
    next ones are chosen when all of them are done. A node with several incoming edges runs
    once all of them were taken (``activation="all"``, a join) or after the first
    (``"any"``). An edge may have a condition: a string that must occur in the source's chat
    message, or a predicate on it; loops need such a condition to be left, and a graph with a
    loop needs a ``termination_condition`` or ``max_turns`` as a backstop. When a round ends
    with no node ready, the flow is complete: the run stops with ``stop_reason``
    ``"Digraph execution is complete"``, and the next run starts from the start nodes again.
    A run stopped earlier (by the condition or ``max_turns``) keeps its place in the graph,
    and ``run()`` without a task goes on from there.

    Every participant receives the chat messages broadcast since it last ran (wrap one in a
    :class:`~parlay_agentchat.agents.MessageFilterAgent` to show it less).

    Args:
        participants: The agents, one per graph node (``DiGraphBuilder.get_participants()``).
        graph: The graph (``DiGraphBuilder.build()``).
        termination_condition: Stops the run earlier when it fires.
        max_turns: Stops the run after this many rounds of concurrent nodes.
        runtime: A runtime to run on (you start and stop it); by default an embedded one.
        custom_message_types: Message classes beyond the built-in ones.
        emit_team_events: Report the nodes of each round as a ``SelectSpeakerEvent``.
        name: The team's name.
        description: What the team does.

    Raises:
        GraphValidationError: The graph cannot run (see :meth:`DiGraph.graph_validate`).
        UnknownGraphNodeError: A graph node is not a participant, or a participant is not a
            node.
        AgentConfigurationError: The graph has a cycle and neither ``termination_condition``
            nor ``max_turns`` is given.

    ``dump_component()`` raises ``ComponentTypeError`` when an edge condition is a function:
    configs never carry code, and dropping the condition would change the routing.
    """

    component_config_schema = GraphFlowConfig
    component_provider_override = "parlay_agentchat.teams.GraphFlow"

    def __init__(
        self,
        participants: Sequence[ChatAgent],
        graph: DiGraph,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: AgentRuntime | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        graph.graph_validate()
        names = [p.name for p in participants]
        missing = [n for n in graph.nodes if n not in names]
        if missing:
            raise UnknownGraphNodeError(
                f"Graph nodes {missing} are not participants ({names}); pass every agent of "
                "the graph (DiGraphBuilder.get_participants())."
            )
        outside = [n for n in names if n not in graph.nodes]
        if outside:
            raise UnknownGraphNodeError(
                f"Participants {outside} are not nodes of the graph; add them with "
                "DiGraphBuilder.add_node() or leave them out."
            )
        self._graph = graph
        self._input_participants = list(participants)
        self._input_termination_condition = termination_condition
        super().__init__(
            name=name or "GraphFlow",
            description=description or "A team of agents.",
            participants=list(participants),
            group_chat_manager_name="GraphManager",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            emit_team_events=emit_team_events,
        )

    @property
    def graph(self) -> DiGraph:
        """The graph the team follows."""
        return self._graph

    async def _init(self) -> None:
        # Checked when the flow is first run, as AutoGen does, not at construction: a guide
        # builds a looping flow to show its shape, and a flow may be built before it runs.
        if (
            self._graph.get_has_cycles()
            and self._termination_condition is None
            and self._max_turns is None
        ):
            raise AgentConfigurationError(
                "A termination condition is required for cyclic graphs without a maximum turn "
                "limit: pass termination_condition= or max_turns=, in case a loop never exits."
            )
        await super()._init()

    def _create_manager(
        self, output_channel: OutputChannel, message_factory: MessageFactory
    ) -> GraphFlowManager:
        return GraphFlowManager(
            graph=self._graph, **self._manager_args(output_channel, message_factory)
        )

    def _to_config(self) -> GraphFlowConfig:
        for node in self._graph.nodes.values():
            for edge in node.edges:
                if edge.condition_function is not None:
                    raise ComponentTypeError(
                        f"GraphFlow cannot be dumped: the edge {node.name!r} -> {edge.target!r} "
                        "has a Python function as condition, and component configs never carry "
                        "code (dropping it would change the routing). Use a string condition."
                    )
        condition = self._input_termination_condition
        return GraphFlowConfig(
            name=self._name,
            description=self._description,
            participants=[p.dump_component() for p in self._input_participants],
            termination_condition=condition.dump_component() if condition else None,
            max_turns=self._max_turns,
            graph=self._graph,
        )

    @classmethod
    def _from_config(cls, config: GraphFlowConfig) -> Self:
        return cls(
            load_chat_agents(config.participants, "GraphFlow"),
            graph=config.graph,
            termination_condition=load_condition(config.termination_condition),
            max_turns=config.max_turns,
            name=config.name,
            description=config.description,
        )
