"""DiGraph: the directed graph a :class:`GraphFlow` follows, with its validation rules.

The graph is a pydantic model so it can sit in a component config; a callable edge condition
is kept beside the model's fields and left out of dumps (a function cannot be written to JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator
from pydantic.json_schema import SkipJsonSchema

from parlay_agentchat._exceptions import (
    GraphCycleError,
    GraphStartNodeError,
    GraphValidationError,
    UnknownGraphNodeError,
)
from parlay_agentchat.messages import BaseChatMessage

__all__ = ["Activation", "DiGraph", "DiGraphEdge", "DiGraphNode", "EdgeCondition"]

Activation = Literal["all", "any"]
EdgeCondition = Callable[[BaseChatMessage], bool]
"""A predicate on the message the source node produced; the edge is taken when it is True."""


class DiGraphEdge(BaseModel):
    """An edge to ``target``, taken when its condition holds for the source's message.

    Attributes:
        target: The name of the node the edge leads to.
        condition: ``None`` (always taken), a string (taken when it occurs in the text of the
            source's chat message) or a callable predicate on that message. A callable is
            moved to ``condition_function`` and is not part of dumps.
        condition_function: The callable condition, if any (excluded from dumps).
        activation_group: Edges into the same target with the same group are counted
            together for ``"all"`` activation; defaults to the target's name.
        activation_condition: ``"all"``: the target runs once every edge of the group was
            taken; ``"any"``: once one of them was.
    """

    target: str
    # Functions have no JSON schema: the config schema shows string conditions only.
    condition: str | SkipJsonSchema[EdgeCondition] | None = Field(default=None)
    condition_function: SkipJsonSchema[EdgeCondition | None] = Field(default=None, exclude=True)
    activation_group: str = Field(default="")
    activation_condition: Activation = "all"

    @model_validator(mode="after")
    def _split_condition(self) -> DiGraphEdge:
        if callable(self.condition):
            self.condition_function = self.condition
            self.condition = None
        if not self.activation_group:
            self.activation_group = self.target
        return self

    @property
    def is_conditional(self) -> bool:
        """Whether the edge has a condition (a string or a callable)."""
        return self.condition is not None or self.condition_function is not None

    def check_condition(self, message: BaseChatMessage) -> bool:
        """Whether the edge is taken after its source produced ``message``."""
        if self.condition_function is not None:
            return self.condition_function(message)
        if isinstance(self.condition, str):
            return self.condition in message.to_model_text()
        return True


class DiGraphNode(BaseModel):
    """A node of the graph: a participant's name and its outgoing edges.

    Attributes:
        name: The participant's name.
        edges: The outgoing edges.
        activation: The default activation of edges into this node (kept for AutoGen
            compatibility; each edge's ``activation_condition`` decides).
    """

    name: str
    edges: list[DiGraphEdge] = Field(default_factory=list[DiGraphEdge])
    activation: Activation = "all"


class DiGraph(BaseModel):
    """A directed graph of participants.

    Attributes:
        nodes: The nodes by name.
        default_start_node: The node that starts every run; when ``None``, every node
            without incoming edges starts (concurrently).
    """

    nodes: dict[str, DiGraphNode]
    default_start_node: str | None = None
    _has_cycles: bool | None = PrivateAttr(default=None)

    def get_parents(self) -> dict[str, list[str]]:
        """Each node's parents (sources of its incoming edges)."""
        parents: dict[str, list[str]] = {name: [] for name in self.nodes}
        for node in self.nodes.values():
            for edge in node.edges:
                parents.setdefault(edge.target, []).append(node.name)
        return parents

    def get_start_nodes(self) -> set[str]:
        """The nodes a run starts with."""
        if self.default_start_node:
            return {self.default_start_node}
        return {name for name, parents in self.get_parents().items() if not parents}

    def get_leaf_nodes(self) -> set[str]:
        """The nodes without outgoing edges."""
        return {name for name, node in self.nodes.items() if not node.edges}

    def get_remaining_map(self) -> dict[str, dict[str, int]]:
        """For each target and activation group, how many edges lead into it."""
        remaining: dict[str, dict[str, int]] = {}
        for node in self.nodes.values():
            for edge in node.edges:
                groups = remaining.setdefault(edge.target, {})
                groups[edge.activation_group] = groups.get(edge.activation_group, 0) + 1
        return remaining

    def get_activation_map(self) -> dict[str, dict[str, Activation]]:
        """For each target and activation group, whether it waits for all edges or any."""
        activation: dict[str, dict[str, Activation]] = {}
        for node in self.nodes.values():
            for edge in node.edges:
                groups = activation.setdefault(edge.target, {})
                groups.setdefault(edge.activation_group, edge.activation_condition)
        return activation

    def has_cycles_with_exit(self) -> bool:
        """Whether the graph has cycles; each must contain a conditional edge.

        Raises:
            GraphCycleError: A cycle has no conditional edge, so it could never be left.
        """
        visited: set[str] = set()
        on_path: list[str] = []
        found = False

        def visit(name: str) -> None:
            nonlocal found
            visited.add(name)
            on_path.append(name)
            for edge in self.nodes[name].edges:
                if edge.target in on_path:
                    found = True
                    cycle = on_path[on_path.index(edge.target) :]
                    if not any(e.is_conditional for n in cycle for e in self.nodes[n].edges):
                        route = " -> ".join([*cycle, cycle[0]])
                        raise GraphCycleError(
                            f"Cycle detected without exit condition: {route}. Give an edge of "
                            "the cycle a condition (and another edge out of it), so the loop "
                            "can end."
                        )
                elif edge.target not in visited:
                    visit(edge.target)
            on_path.pop()

        for name in self.nodes:
            if name not in visited:
                visit(name)
        return found

    def get_has_cycles(self) -> bool:
        """Whether the graph has cycles (validated to have exits)."""
        if self._has_cycles is None:
            self._has_cycles = self.has_cycles_with_exit()
        return self._has_cycles

    def graph_validate(self) -> None:
        """Check the graph can run.

        Raises:
            GraphValidationError: The graph has no nodes or no leaf node, a node mixes
                conditional and unconditional edges, or edges into one activation group
                disagree on ``activation_condition``.
            UnknownGraphNodeError: An edge or the start node names a node not in the graph.
            GraphStartNodeError: No node can start (every node has a parent and no
                ``default_start_node`` is set).
            GraphCycleError: A cycle has no conditional edge.
        """
        if not self.nodes:
            raise GraphValidationError("Graph has no nodes. Add a node for each participant.")
        for key, node in self.nodes.items():
            if key != node.name:
                raise GraphValidationError(
                    f"Node {node.name!r} is stored under the key {key!r}; use its name as key."
                )
            for edge in node.edges:
                if edge.target not in self.nodes:
                    raise UnknownGraphNodeError(
                        f"Node {node.name!r} has an edge to {edge.target!r}, which is not a "
                        f"node of the graph ({sorted(self.nodes)}). Add that node first."
                    )
        start = self.default_start_node
        if start is not None and start not in self.nodes:
            raise UnknownGraphNodeError(
                f"The start node {start!r} is not a node of the graph ({sorted(self.nodes)})."
            )
        if not self.get_start_nodes():
            raise GraphStartNodeError(
                "Graph must have at least one start node: every node has incoming edges. "
                "Set one with DiGraphBuilder.set_entry_point() (default_start_node)."
            )
        if not self.get_leaf_nodes():
            raise GraphValidationError(
                "Graph must have at least one leaf node (a node without outgoing edges), "
                "where the flow can end."
            )
        for node in self.nodes.values():
            conditional = [e.is_conditional for e in node.edges]
            if any(conditional) and not all(conditional):
                raise GraphValidationError(
                    f"Node '{node.name}' has a mix of conditional and unconditional edges. "
                    "Give every outgoing edge of a branching node a condition."
                )
        self._check_activation_groups()
        self._has_cycles = self.has_cycles_with_exit()

    def _check_activation_groups(self) -> None:
        seen: dict[tuple[str, str], tuple[Activation, str]] = {}
        for node in self.nodes.values():
            for edge in node.edges:
                key = (edge.target, edge.activation_group)
                previous = seen.setdefault(key, (edge.activation_condition, node.name))
                if previous[0] != edge.activation_condition:
                    raise GraphValidationError(
                        f"Conflicting activation conditions for target '{edge.target}' group "
                        f"'{edge.activation_group}': '{previous[0]}' (from node "
                        f"'{previous[1]}') and '{edge.activation_condition}' (from node "
                        f"'{node.name}'). Use one condition per group, or separate groups."
                    )
