"""GraphFlow: sequences, conditions, loops, concurrent fan-out, joins, validation, state."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Sequence

import pytest

from parlay_agentchat.agents import AssistantAgent, BaseChatAgent
from parlay_agentchat.base import Response
from parlay_agentchat.conditions import MaxMessageTermination
from parlay_agentchat.exceptions import (
    AgentConfigurationError,
    GraphCycleError,
    GraphStartNodeError,
    GraphValidationError,
    TeamRunError,
    UnknownGraphNodeError,
)
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage, TextMessage
from parlay_agentchat.teams import (
    DiGraph,
    DiGraphBuilder,
    DiGraphEdge,
    DiGraphNode,
    GraphFlow,
    GraphFlowConfig,
)
from parlay_core import CancellationToken, load_component
from parlay_core.exceptions import ComponentTypeError
from parlay_core.testing import ReplayChatCompletionClient
from tests.agentchat._support import Scripted

Thread = Sequence[BaseAgentEvent | BaseChatMessage]
DONE = "Digraph execution is complete"


def texts(messages: Thread) -> list[tuple[str, str]]:
    return [(m.source, m.to_text()) for m in messages]


def chain(*agents: Scripted) -> DiGraphBuilder:
    builder = DiGraphBuilder()
    for agent in agents:
        builder.add_node(agent)
    for source, target in itertools.pairwise(agents):
        builder.add_edge(source, target)
    return builder


class Rendezvous(BaseChatAgent):
    """Replies only once its partner has started too: run one after the other, both would
    wait for ever (each waits at most 5 s, then fails the run)."""

    def __init__(self, name: str, here: asyncio.Event, partner: asyncio.Event) -> None:
        super().__init__(name, f"Meets its partner ({name}).")
        self._here = here
        self._partner = partner

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        self._here.set()
        await asyncio.wait_for(self._partner.wait(), 5)
        return Response(chat_message=TextMessage(content=f"{self.name} met", source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self._here.clear()


async def test_a_sequence_runs_in_order_and_ends_when_the_graph_is_complete() -> None:
    a, b, c = Scripted("a", ["A"]), Scripted("b", ["B"]), Scripted("c", ["C"])
    builder = chain(a, b, c)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="go")
    assert texts(result.messages) == [("user", "go"), ("a", "A"), ("b", "B"), ("c", "C")]
    # The end of the flow is the stop reason, not a message of the conversation.
    assert not any(isinstance(m, StopMessage) for m in result.messages)
    assert result.stop_reason == DONE
    # Every participant receives what was broadcast since it last ran.
    assert c.seen == [["go", "A", "B"]]


async def test_the_flow_starts_over_on_the_next_run() -> None:
    a, b = Scripted("a", ["A1", "A2"]), Scripted("b", ["B1", "B2"])
    builder = chain(a, b)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    await team.run(task="one")
    result = await team.run(task="two")
    assert texts(result.messages) == [("user", "two"), ("a", "A2"), ("b", "B2")]


async def test_string_conditions_pick_the_branch_whose_text_appears() -> None:
    router = Scripted("router", ["this is big"])
    big, small = Scripted("big", ["B"]), Scripted("small", ["S"])
    builder = DiGraphBuilder().add_node(router).add_node(big).add_node(small)
    builder.add_conditional_edges(router, {"big": big, "small": "small"})
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="route")
    assert texts(result.messages) == [
        ("user", "route"),
        ("router", "this is big"),
        ("big", "B"),
    ]
    assert small.seen == []


async def test_callable_conditions_receive_the_source_message() -> None:
    router = Scripted("router", ["42"])
    even, odd = Scripted("even", ["E"]), Scripted("odd", ["O"])
    checked: list[BaseChatMessage] = []

    def is_even(message: BaseChatMessage) -> bool:
        checked.append(message)
        return int(message.to_text()) % 2 == 0

    builder = DiGraphBuilder().add_node(router).add_node(even).add_node(odd)
    builder.add_edge(router, even, condition=is_even)
    builder.add_edge(router, odd, condition=lambda m: int(m.to_text()) % 2 == 1)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="n")
    assert texts(result.messages)[2:] == [("even", "E")]
    assert [m.source for m in checked] == ["router"]


async def test_a_loop_repeats_until_its_exit_condition_holds() -> None:
    writer = Scripted("writer", ["draft 1", "draft 2", "draft 3"])
    reviewer = Scripted("reviewer", ["revise", "revise again", "APPROVE"])
    publisher = Scripted("publisher", ["published"])
    builder = DiGraphBuilder().add_node(writer).add_node(reviewer).add_node(publisher)
    builder.add_edge(writer, reviewer)
    builder.add_edge(reviewer, publisher, condition="APPROVE")
    builder.add_edge(reviewer, writer, condition=lambda m: "APPROVE" not in m.to_text())
    builder.set_entry_point(writer)
    team = GraphFlow(builder.get_participants(), graph=builder.build(), max_turns=20)
    result = await team.run(task="write")
    assert [m.source for m in result.messages] == [
        "user",
        "writer",
        "reviewer",
        "writer",
        "reviewer",
        "writer",
        "reviewer",
        "publisher",
    ]
    assert result.messages[-1].to_text() == "published"
    assert result.stop_reason == DONE


async def test_activation_groups_let_a_loop_reenter_a_node_with_another_parent() -> None:
    a = Scripted("a", ["start"])
    b = Scripted("b", ["b1", "b2"])
    c = Scripted("c", ["loop", "done"])
    d = Scripted("d", ["end"])
    builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c).add_node(d)
    # b is entered from a first and from c afterwards: separate groups, so neither waits for
    # the other (in one group, "all" would wait for both edges and b would never run).
    builder.add_edge(a, b, activation_group="enter").add_edge(b, c)
    builder.add_edge(c, b, condition="loop", activation_group="again")
    builder.add_edge(c, d, condition="done")
    team = GraphFlow(builder.get_participants(), graph=builder.build(), max_turns=20)
    result = await team.run(task="go")
    assert [m.source for m in result.messages] == [
        "user",
        "a",
        "b",
        "c",
        "b",
        "c",
        "d",
    ]

    # Without the groups, b waits for both a and c, so the flow ends after a.
    a2, b2, c2, d2 = Scripted("a", ["start"]), Scripted("b"), Scripted("c"), Scripted("d")
    plain = DiGraphBuilder().add_node(a2).add_node(b2).add_node(c2).add_node(d2)
    plain.add_edge(a2, b2).add_edge(b2, c2)
    plain.add_edge(c2, b2, condition="loop").add_edge(c2, d2, condition="done")
    plain_team = GraphFlow(plain.get_participants(), graph=plain.build(), max_turns=20)
    result = await plain_team.run(task="go")
    assert [m.source for m in result.messages] == ["user", "a"]


async def test_a_termination_condition_stops_a_loop_early() -> None:
    writer = Scripted("writer", ["d1", "d2", "d3"])
    reviewer = Scripted("reviewer", ["no", "no", "no"])
    done = Scripted("done", ["x"])
    builder = DiGraphBuilder().add_node(writer).add_node(reviewer).add_node(done)
    builder.add_edge(writer, reviewer)
    builder.add_edge(reviewer, writer, condition="no")
    builder.add_edge(reviewer, done, condition="yes")
    builder.set_entry_point(writer)
    team = GraphFlow(
        builder.get_participants(),
        graph=builder.build(),
        termination_condition=MaxMessageTermination(4),
    )
    result = await team.run(task="go")
    assert [m.source for m in result.messages] == ["user", "writer", "reviewer", "writer"]
    assert result.stop_reason == "Maximum number of messages 4 reached, current message count: 4"


async def test_a_run_stopped_by_the_condition_keeps_its_place_in_the_graph() -> None:
    a, b, c = Scripted("a", ["A", "A2"]), Scripted("b", ["B", "B2"]), Scripted("c", ["C", "C2"])
    builder = chain(a, b, c)
    team = GraphFlow(
        builder.get_participants(),
        graph=builder.build(),
        termination_condition=MaxMessageTermination(2),
    )
    result = await team.run(task="go")
    assert texts(result.messages) == [("user", "go"), ("a", "A")]
    assert result.stop_reason is not None and result.stop_reason != DONE
    # Going on without a task continues with the node that was queued, to the end.
    result = await team.run()
    assert texts(result.messages) == [("b", "B"), ("c", "C")]
    assert result.stop_reason == DONE
    # A completed flow starts over.
    result = await team.run(task="again")
    assert [m.source for m in result.messages] == ["user", "a"]


async def test_fan_out_branches_really_run_concurrently_and_join_waits_for_all() -> None:
    met_b, met_c = asyncio.Event(), asyncio.Event()
    start = Scripted("start", ["split"])
    b = Rendezvous("b", met_b, met_c)
    c = Rendezvous("c", met_c, met_b)
    join = Scripted("join", ["joined"])
    builder = DiGraphBuilder().add_node(start).add_node(b).add_node(c).add_node(join)
    builder.add_edge(start, b).add_edge(start, c).add_edge(b, join).add_edge(c, join)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="go")
    pairs = texts(result.messages)
    assert pairs[:2] == [("user", "go"), ("start", "split")]
    assert sorted(pairs[2:4]) == [("b", "b met"), ("c", "c met")]
    assert pairs[4:] == [("join", "joined")]
    # The join ran once, after both branches, and saw both.
    assert len(join.seen) == 1
    assert {"b met", "c met"} <= set(join.seen[0])


async def test_an_all_join_does_not_run_when_a_branch_was_not_taken() -> None:
    start = Scripted("start", ["left only"])
    left, right = Scripted("left", ["L"]), Scripted("right", ["R"])
    join = Scripted("join", ["J"])
    builder = DiGraphBuilder().add_node(start).add_node(left).add_node(right).add_node(join)
    builder.add_edge(start, left, condition="left").add_edge(start, right, condition="right")
    builder.add_edge(left, join).add_edge(right, join)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="go")
    assert [m.source for m in result.messages] == ["user", "start", "left"]


async def test_an_any_join_runs_once_after_the_first_branch() -> None:
    start = Scripted("start", ["left and right"])
    left, right = Scripted("left", ["L"]), Scripted("right", ["R"])
    join = Scripted("join", ["J"])
    builder = DiGraphBuilder().add_node(start).add_node(left).add_node(right)
    builder.add_node(join, activation="any")
    builder.add_edge(start, left, condition="left").add_edge(start, right, condition="right")
    builder.add_edge(left, join).add_edge(right, join)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="go")
    sources = [m.source for m in result.messages]
    assert sources[:2] == ["user", "start"]
    assert sorted(sources[2:4]) == ["left", "right"]
    assert sources[4:] == ["join"]

    # With only one branch taken, "any" still runs the join.
    start.replies = ["left"]
    left.replies = ["L2"]
    join.replies = ["J2"]
    result = await team.run(task="again")
    assert [m.source for m in result.messages] == [
        "user",
        "start",
        "left",
        "join",
    ]


async def test_several_start_nodes_run_together() -> None:
    met_a, met_b = asyncio.Event(), asyncio.Event()
    a, b = Rendezvous("a", met_a, met_b), Rendezvous("b", met_b, met_a)
    builder = DiGraphBuilder().add_node(a).add_node(b)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="go")
    assert sorted(texts(result.messages)[1:3]) == [("a", "a met"), ("b", "b met")]


async def test_a_node_queued_by_two_groups_in_one_round_runs_once() -> None:
    a, b, c = Scripted("a", ["A"]), Scripted("b", ["B"]), Scripted("c", ["C", "again"])
    builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c)
    builder.add_edge(a, c, activation_group="from_a").add_edge(b, c, activation_group="from_b")
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await team.run(task="go")
    sources = [m.source for m in result.messages]
    assert sorted(sources[1:3]) == ["a", "b"]
    assert sources[3:] == ["c"]


# --- validation --------------------------------------------------------------------------------


def test_a_cycle_without_a_condition_is_refused() -> None:
    a, b, c, d = Scripted("a"), Scripted("b"), Scripted("c"), Scripted("d")
    builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c).add_node(d)
    builder.add_edge(a, b).add_edge(b, c).add_edge(c, b).add_edge(b, d)
    with pytest.raises(GraphCycleError, match="Cycle detected without exit condition: b -> c -> b"):
        builder.build()


def test_edges_and_entry_points_must_name_added_nodes() -> None:
    builder = DiGraphBuilder().add_node(Scripted("a"))
    with pytest.raises(UnknownGraphNodeError, match="Target node 'ghost'"):
        builder.add_edge("a", "ghost")
    with pytest.raises(UnknownGraphNodeError, match="Start node 'ghost'"):
        builder.set_entry_point("ghost")
    graph = DiGraph(nodes={"a": DiGraphNode(name="a", edges=[DiGraphEdge(target="ghost")])})
    with pytest.raises(UnknownGraphNodeError, match="'ghost', which is not a node"):
        graph.graph_validate()


def test_a_graph_without_a_start_node_is_refused() -> None:
    a, b, c = Scripted("a"), Scripted("b"), Scripted("c")
    builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c)
    builder.add_edge(a, b).add_edge(b, a, condition="again").add_edge(b, c, condition="done")
    builder.add_edge(c, a, condition="x")
    with pytest.raises(GraphStartNodeError, match="set_entry_point"):
        builder.build()
    builder.set_entry_point(a)
    with pytest.raises(GraphValidationError, match="leaf node"):
        builder.build()


def test_other_invalid_graphs_are_refused() -> None:
    with pytest.raises(GraphValidationError, match="no nodes"):
        DiGraph(nodes={}).graph_validate()
    a, b, c = Scripted("a"), Scripted("b"), Scripted("c")
    mixed = DiGraphBuilder().add_node(a).add_node(b).add_node(c)
    mixed.add_edge(a, b).add_edge(a, c, condition="x")
    with pytest.raises(GraphValidationError, match="mix of conditional and unconditional"):
        mixed.build()
    conflict = DiGraphBuilder().add_node(a).add_node(b).add_node(c)
    conflict.add_edge(a, c, activation_condition="all").add_edge(b, c, activation_condition="any")
    with pytest.raises(GraphValidationError, match="Conflicting activation conditions"):
        conflict.build()
    assert issubclass(GraphValidationError, AgentConfigurationError)
    assert issubclass(GraphValidationError, ValueError)


def test_participants_and_nodes_must_match() -> None:
    a, b = Scripted("a"), Scripted("b")
    builder = chain(a, b)
    graph = builder.build()
    with pytest.raises(UnknownGraphNodeError, match=r"Graph nodes \['b'\] are not participants"):
        GraphFlow([a], graph=graph)
    with pytest.raises(UnknownGraphNodeError, match=r"Participants \['c'\] are not nodes"):
        GraphFlow([a, b, Scripted("c")], graph=graph)


async def test_a_loop_without_a_backstop_is_refused_when_it_runs() -> None:
    # A loop needs a backstop, in case its exit condition never holds. As in AutoGen the flow
    # can still be built (a guide builds one to show its shape, a config may add the
    # condition); running it is what fails, with a ValueError, before any agent speaks.
    w, r, p = Scripted("w", ["draft"]), Scripted("r"), Scripted("p")
    loop = DiGraphBuilder().add_node(w).add_node(r).add_node(p).set_entry_point(w)
    loop.add_edge(w, r).add_edge(r, w, condition="again").add_edge(r, p, condition="done")
    flow = GraphFlow(loop.get_participants(), graph=loop.build())
    with pytest.raises(AgentConfigurationError, match="required for cyclic graphs") as info:
        await flow.run(task="go")
    assert isinstance(info.value, ValueError)
    assert w.seen == []
    # The failed start leaves the flow idle: running it again gives the same answer.
    with pytest.raises(AgentConfigurationError, match="required for cyclic graphs"):
        await flow.run(task="go")
    GraphFlow(loop.get_participants(), graph=loop.build(), max_turns=10)


async def test_a_failing_condition_fails_the_run() -> None:
    a, b = Scripted("a", ["A"]), Scripted("b", ["B"])
    builder = DiGraphBuilder().add_node(a).add_node(b)

    def broken(message: BaseChatMessage) -> bool:
        raise KeyError("no such field")

    builder.add_edge(a, b, condition=broken)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    with pytest.raises(TeamRunError, match="edge condition of node 'a'") as caught:
        await team.run(task="go")
    assert isinstance(caught.value.__cause__, KeyError)


# --- state and config --------------------------------------------------------------------------


async def test_a_cancelled_flow_is_saved_and_continues_with_the_cut_off_node() -> None:
    a, b, c = Scripted("a", ["A"]), Scripted("b", ["B"], gated=True), Scripted("c", ["C"])
    builder = chain(a, b, c)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    token = CancellationToken()
    run = asyncio.ensure_future(team.run(task="go", cancellation_token=token))
    await b.entered.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    state = await team.save_state()
    manager = state["agent_states"]["GraphManager"]
    assert manager["type"] == "GraphManagerState"
    assert manager["version"] == "1.0.0"
    assert manager["active_nodes"] == ["b"]
    assert manager["ready"] == []
    assert manager["remaining"] == {"b": {"b": 1}, "c": {"c": 1}}  # b counts afresh
    assert [m["source"] for m in manager["message_thread"]] == ["user", "a"]
    assert set(state["agent_states"]) == {"a", "b", "c", "GraphManager"}
    json.dumps(state)

    # Scripted agents keep their unused replies in their state.
    a2, b2, c2 = Scripted("a", ["unused"]), Scripted("b"), Scripted("c")
    fresh = chain(a2, b2, c2)
    other = GraphFlow(fresh.get_participants(), graph=fresh.build())
    await other.load_state(state)
    result = await other.run()
    assert texts(result.messages) == [("b", "B"), ("c", "C")]
    assert a2.seen == []


async def test_an_autogen_shaped_manager_state_loads() -> None:
    a, b = Scripted("a", ["A"]), Scripted("b", ["B"])
    builder = chain(a, b)
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    state = dict(await team.save_state())
    agent_states = dict(state["agent_states"])
    agent_states["GraphManager"] = {
        "message_thread": [],
        "current_turn": 1,
        "remaining": {"b": {"b": 0}},
        "enqueued_any": {"b": {"b": False}},
        "ready": ["b"],
    }
    state["agent_states"] = agent_states
    await team.load_state(state)
    result = await team.run()
    assert texts(result.messages) == [("b", "B")]
    assert a.seen == []


async def test_the_component_config_round_trips() -> None:
    def agent(name: str, *replies: str) -> AssistantAgent:
        return AssistantAgent(name, ReplayChatCompletionClient(list(replies)))

    a, b, c = agent("a", "go left"), agent("b", "B"), agent("c", "C")
    builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c, activation="any")
    builder.add_edge(a, b, condition="left").add_edge(a, c, condition="right")
    team = GraphFlow(
        builder.get_participants(),
        graph=builder.build(),
        termination_condition=MaxMessageTermination(10),
        max_turns=8,
        name="flow",
    )
    model = team.dump_component()
    assert model.provider == "parlay_agentchat.teams.GraphFlow"
    config = json.loads(model.model_dump_json())["config"]
    assert [p["config"]["name"] for p in config["participants"]] == ["a", "b", "c"]
    edges = config["graph"]["nodes"]["a"]["edges"]
    assert edges[0] == {
        "target": "b",
        "condition": "left",
        "activation_group": "b",
        "activation_condition": "all",
    }
    assert edges[1]["activation_condition"] == "any"
    assert config["termination_condition"]["provider"].endswith("MaxMessageTermination")
    assert config["max_turns"] == 8

    edge_schema = GraphFlowConfig.model_json_schema()["$defs"]["DiGraphEdge"]["properties"]
    assert set(edge_schema) == {"target", "condition", "activation_group", "activation_condition"}

    loaded = load_component(json.loads(model.model_dump_json()), expected=GraphFlow)
    assert loaded.dump_component() == model
    result = await loaded.run(task="start")
    assert [m.source for m in result.messages] == ["user", "a", "b"]


def test_a_graph_with_function_conditions_cannot_be_dumped() -> None:
    a, b = Scripted("a"), Scripted("b")
    builder = DiGraphBuilder().add_node(a).add_node(b)
    builder.add_edge(a, b, condition=lambda m: "x" in m.to_text())
    team = GraphFlow(builder.get_participants(), graph=builder.build())
    with pytest.raises(ComponentTypeError, match="'a' -> 'b' has a Python function"):
        team.dump_component()
