"""DiGraphBuilder: a fluent way to write the graph of a :class:`GraphFlow`."""

from __future__ import annotations

from typing import Union

from typing_extensions import Self

from parlay_agentchat._exceptions import UnknownGraphNodeError
from parlay_agentchat.base import ChatAgent
from parlay_agentchat.teams._digraph import (
    Activation,
    DiGraph,
    DiGraphEdge,
    DiGraphNode,
    EdgeCondition,
)

__all__ = ["DiGraphBuilder"]

NodeRef = Union[str, ChatAgent]


class DiGraphBuilder:
    """Builds a :class:`DiGraph` node by node and edge by edge; every method chains.

    Example:
        >>> builder = DiGraphBuilder()
        >>> builder.add_node(writer).add_node(reviewer).add_node(publisher)
        >>> builder.add_edge(writer, reviewer)
        >>> builder.add_edge(reviewer, publisher, condition="APPROVE")
        >>> builder.add_edge(reviewer, writer, condition=lambda m: "APPROVE" not in m.to_text())
        >>> builder.set_entry_point(writer)
        >>> team = GraphFlow(builder.get_participants(), graph=builder.build())
    """

    def __init__(self) -> None:
        self.nodes: dict[str, DiGraphNode] = {}
        self.agents: dict[str, ChatAgent] = {}
        self._default_start_node: str | None = None

    @staticmethod
    def _name(ref: NodeRef) -> str:
        return ref if isinstance(ref, str) else ref.name

    def _known(self, ref: NodeRef, role: str) -> str:
        name = self._name(ref)
        if name not in self.nodes:
            raise UnknownGraphNodeError(
                f"{role} node '{name}' is not in the graph; add it with add_node() first."
            )
        return name

    def add_node(self, agent: ChatAgent, activation: Activation = "all") -> Self:
        """Add ``agent`` as a node (a second call for the same name is ignored).

        Args:
            agent: The participant.
            activation: The default ``activation_condition`` of edges into this node:
                ``"all"`` waits for every parent, ``"any"`` runs after the first.
        """
        if agent.name not in self.nodes:
            self.nodes[agent.name] = DiGraphNode(name=agent.name, activation=activation)
            self.agents[agent.name] = agent
        return self

    def add_edge(
        self,
        source: NodeRef,
        target: NodeRef,
        condition: str | EdgeCondition | None = None,
        activation_group: str | None = None,
        activation_condition: Activation | None = None,
    ) -> Self:
        """Add an edge from ``source`` to ``target``.

        Args:
            source: The source node (a name or the agent).
            target: The target node (a name or the agent).
            condition: ``None`` (always), a string that must occur in the source's message,
                or a predicate on that message.
            activation_group: Groups edges into ``target`` (default: the target's name).
            activation_condition: ``"all"`` or ``"any"`` (default: the target node's
                ``activation``).

        Raises:
            UnknownGraphNodeError: ``source`` or ``target`` was not added.
        """
        source_name = self._known(source, "Source")
        target_name = self._known(target, "Target")
        edge = DiGraphEdge(
            target=target_name,
            condition=condition,
            activation_group=activation_group or target_name,
            activation_condition=activation_condition or self.nodes[target_name].activation,
        )
        self.nodes[source_name].edges.append(edge)
        return self

    def add_conditional_edges(
        self, source: NodeRef, condition_to_target: dict[str, NodeRef]
    ) -> Self:
        """Add one edge per ``{text: target}``, taken when ``text`` occurs in the message."""
        for text, target in condition_to_target.items():
            self.add_edge(source, target, condition=text)
        return self

    def set_entry_point(self, name: NodeRef) -> Self:
        """Make ``name`` the node every run starts with.

        Raises:
            UnknownGraphNodeError: The node was not added.
        """
        self._default_start_node = self._known(name, "Start")
        return self

    def build(self) -> DiGraph:
        """Return the validated graph (see :meth:`DiGraph.graph_validate` for the errors)."""
        graph = DiGraph(nodes=dict(self.nodes), default_start_node=self._default_start_node)
        graph.graph_validate()
        return graph

    def get_participants(self) -> list[ChatAgent]:
        """The agents added, in order."""
        return list(self.agents.values())
