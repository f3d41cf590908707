"""FunctionTool schemas, argument validation, execution, cancellation, state and configs."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parlay_core import EVENT_LOGGER_NAME, CancellationToken
from parlay_core._component_config import ComponentModel
from parlay_core._exceptions import (
    ComponentConfigError,
    ComponentError,
    ComponentNotAllowedError,
    ToolArgumentsError,
    ToolArgumentsValidationError,
    ToolError,
    ToolSchemaError,
)
from parlay_core._import_statements import Alias, ImportFromModule
from parlay_core.logging import ToolCallEvent
from parlay_core.tools import (
    BaseStreamTool,
    BaseTool,
    BaseToolWithState,
    FunctionTool,
    StreamTool,
    Tool,
)


def add(a: int, b: int) -> int:
    return a + b


def greet(
    name: Annotated[str, "Who to greet"],
    punctuation: Annotated[str, "Ends the greeting"] = "!",
    times: int = 1,
) -> str:
    return " ".join([f"Hello {name}{punctuation}"] * times)


class Point(BaseModel):
    x: int
    y: int = 0


def distance(
    origin: Annotated[Point, "Where to start"], target: Point, cancellation_token: CancellationToken
) -> float:
    return float(((target.x - origin.x) ** 2 + (target.y - origin.y) ** 2) ** 0.5)


def kinds(
    maybe: Optional[str],
    mode: Literal["fast", "slow"],
    tags: list[str],
    weights: dict[str, float],
    limit: Annotated[int, Field(ge=1, le=10), "How many"] = 5,
) -> str:
    return f"{maybe}|{mode}|{tags}|{weights}|{limit}"


def params(tool: Tool) -> dict[str, Any]:
    """The ``parameters`` part of a tool's schema, as a plain dict."""
    schema: dict[str, Any] = dict(tool.schema)
    return dict(schema["parameters"])


POINT_SCHEMA = {
    "properties": {
        "x": {"title": "X", "type": "integer"},
        "y": {"default": 0, "title": "Y", "type": "integer"},
    },
    "required": ["x"],
    "title": "Point",
    "type": "object",
}


def test_schema_of_plain_parameters_uses_names_as_descriptions() -> None:
    tool = FunctionTool(add, description="Add two integers.")
    assert tool.schema == {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {
                "a": {"description": "a", "title": "A", "type": "integer"},
                "b": {"description": "b", "title": "B", "type": "integer"},
            },
            "required": ["a", "b"],
            "additionalProperties": False,
        },
        "strict": False,
    }
    assert tool.name == "add"
    assert tool.description == "Add two integers."
    assert tool.return_type() is int


def test_schema_takes_annotated_descriptions_and_defaults() -> None:
    tool = FunctionTool(greet, description="Greet someone.", name="say_hello")
    assert tool.schema == {
        "name": "say_hello",
        "description": "Greet someone.",
        "parameters": {
            "type": "object",
            "properties": {
                "name": {"description": "Who to greet", "title": "Name", "type": "string"},
                "punctuation": {
                    "default": "!",
                    "description": "Ends the greeting",
                    "title": "Punctuation",
                    "type": "string",
                },
                "times": {
                    "default": 1,
                    "description": "times",
                    "title": "Times",
                    "type": "integer",
                },
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        "strict": False,
    }


def test_schema_writes_pydantic_models_in_place_and_hides_the_token() -> None:
    tool = FunctionTool(distance, description="Distance between two points.")
    assert params(tool) == {
        "type": "object",
        "properties": {
            "origin": {**POINT_SCHEMA, "description": "Where to start"},
            "target": {**POINT_SCHEMA, "description": "target"},
        },
        "required": ["origin", "target"],
        "additionalProperties": False,
    }
    assert "$defs" not in json.dumps(tool.schema)


def test_schema_of_optional_literal_list_dict_and_constraints() -> None:
    tool = FunctionTool(kinds, description="Many kinds.")
    assert params(tool) == {
        "type": "object",
        "properties": {
            "maybe": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "maybe",
                "title": "Maybe",
            },
            "mode": {
                "description": "mode",
                "enum": ["fast", "slow"],
                "title": "Mode",
                "type": "string",
            },
            "tags": {
                "description": "tags",
                "items": {"type": "string"},
                "title": "Tags",
                "type": "array",
            },
            "weights": {
                "additionalProperties": {"type": "number"},
                "description": "weights",
                "title": "Weights",
                "type": "object",
            },
            "limit": {
                "default": 5,
                "description": "How many",
                "maximum": 10,
                "minimum": 1,
                "title": "Limit",
                "type": "integer",
            },
        },
        "required": ["maybe", "mode", "tags", "weights"],
        "additionalProperties": False,
    }


def test_optional_model_argument_is_written_in_place() -> None:
    def move(to: Annotated[Optional[Point], "Destination"] = None) -> str:
        return str(to)

    tool = FunctionTool(move, description="Move.")
    assert params(tool)["properties"] == {
        "to": {
            "anyOf": [POINT_SCHEMA, {"type": "null"}],
            "default": None,
            "description": "Destination",
        }
    }


def test_partial_keeps_only_open_parameters_and_the_function_name() -> None:
    tool = FunctionTool(functools.partial(add, b=10), description="Add ten.")
    assert tool.name == "add"
    assert params(tool)["properties"]["b"]["default"] == 10
    assert params(tool)["required"] == ["a"]


def test_schema_is_a_copy_that_callers_may_change() -> None:
    tool = FunctionTool(add, description="Add.")
    schema = tool.schema
    schema["name"] = "changed"
    assert tool.schema["name"] == "add"


def test_strict_schema_requires_every_parameter() -> None:
    tool = FunctionTool(add, description="Add.", strict=True)
    schema: dict[str, Any] = dict(tool.schema)
    assert schema["strict"] is True
    assert schema["parameters"]["additionalProperties"] is False
    assert schema["parameters"]["required"] == ["a", "b"]


def test_strict_refuses_default_values_naming_them() -> None:
    with pytest.raises(ToolSchemaError, match=r"\['punctuation', 'times'\]") as info:
        FunctionTool(greet, description="Greet.", strict=True)
    assert isinstance(info.value, ValueError)
    assert "strict=False" in str(info.value)
    # AutoGen's wording, which code written for it matches.
    assert str(info.value).startswith("Strict mode is enabled")


def test_an_annotated_return_type_is_its_inner_type() -> None:
    def shout(text: str) -> Annotated[str, "the text in capitals"]:
        return text.upper()

    assert FunctionTool(shout, description="Shout.").return_type() is str


class Pair(BaseModel):
    x: int
    y: int


def total(pair: Pair) -> int:
    return pair.x + pair.y


async def test_invalid_arguments_are_also_a_pydantic_validation_error() -> None:
    tool = FunctionTool(total, description="Total.")
    with pytest.raises(ValidationError) as info:
        await tool.run_json({"pair": {"x": 2}}, CancellationToken())
    error = info.value
    assert isinstance(error, ToolArgumentsValidationError)
    assert isinstance(error, ToolArgumentsError)
    assert [(e["type"], e["loc"]) for e in error.errors()] == [("missing", ("pair", "y"))]
    assert str(error) == (
        "Invalid arguments for tool 'total': pair.y: Field required. "
        "Call it again with arguments that match its schema."
    )


def test_strict_refuses_an_argument_model_that_allows_extras() -> None:
    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")
        a: int

    class LooseTool(BaseTool[Loose, int]):
        def __init__(self) -> None:
            super().__init__(Loose, int, "loose", "Loose.", strict=True)

        async def run(self, args: Loose, cancellation_token: CancellationToken) -> int:
            return args.a

    with pytest.raises(ToolSchemaError, match="extra"):
        LooseTool()


def test_unannotated_and_variadic_parameters_are_refused() -> None:
    def untyped(a, b: int) -> int:  # type: ignore[no-untyped-def]
        return b

    def variadic(*values: int) -> int:
        return sum(values)

    with pytest.raises(ToolSchemaError, match=r"'a'.*no type annotation"):
        FunctionTool(untyped, description="x")  # pyright: ignore[reportUnknownArgumentType]
    with pytest.raises(ToolSchemaError, match=r"\*args or \*\*kwargs"):
        FunctionTool(variadic, description="x")


class Node(BaseModel):
    value: int
    children: list[Node] = []


def test_recursive_model_is_refused_with_advice() -> None:
    def walk(tree: Node) -> int:
        return tree.value

    with pytest.raises(ToolSchemaError, match="refers to itself"):
        FunctionTool(walk, description="Walk.")


async def test_run_json_validates_and_converts_arguments() -> None:
    tool = FunctionTool(distance, description="Distance.")
    result = await tool.run_json(
        {"origin": {"x": 0}, "target": {"x": 3, "y": "4"}}, CancellationToken()
    )
    assert result == 5.0
    assert tool.return_value_as_string(result) == "5.0"


async def test_invalid_arguments_raise_a_typed_error_listing_each_field() -> None:
    tool = FunctionTool(greet, description="Greet.")
    with pytest.raises(ToolArgumentsError) as info:
        await tool.run_json({"times": "many"}, CancellationToken())
    message = str(info.value)
    assert "'greet'" in message
    assert "name: Field required" in message
    assert "times: Input should be a valid integer" in message
    assert "'many'" in message
    assert isinstance(info.value, ValueError)


async def test_nested_field_errors_name_the_path_and_constraints_apply() -> None:
    tool = FunctionTool(kinds, description="Kinds.")
    with pytest.raises(ToolArgumentsError, match=r"limit: Input should be less than or equal"):
        await tool.run_json(
            {"maybe": None, "mode": "fast", "tags": [], "weights": {}, "limit": 11},
            CancellationToken(),
        )
    dist = FunctionTool(distance, description="Distance.")
    with pytest.raises(ToolArgumentsError, match=r"origin\.x: Field required"):
        await dist.run_json({"origin": {}, "target": {"x": 1}}, CancellationToken())


async def test_arguments_must_be_an_object() -> None:
    tool = FunctionTool(add, description="Add.")
    with pytest.raises(ToolArgumentsError, match="JSON object"):
        await tool.run_json([1, 2], CancellationToken())  # type: ignore[arg-type]


async def test_extra_arguments_are_ignored_unless_strict() -> None:
    lenient = FunctionTool(add, description="Add.")
    assert await lenient.run_json({"a": 1, "b": 2, "c": 3}, CancellationToken()) == 3
    strict = FunctionTool(add, description="Add.", strict=True)
    with pytest.raises(ToolArgumentsError, match=r"unexpected \['c'\]"):
        await strict.run_json({"a": 1, "b": 2, "c": 3}, CancellationToken())
    assert await strict.run_json({"a": 1, "b": 2}, CancellationToken()) == 3


async def test_sync_functions_run_in_a_worker_thread() -> None:
    threads: list[int] = []

    def where() -> str:
        threads.append(threading.get_ident())
        return "done"

    tool = FunctionTool(where, description="Where.")
    assert await tool.run_json({}, CancellationToken()) == "done"
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


async def test_async_functions_are_awaited_and_receive_the_token() -> None:
    seen: list[CancellationToken] = []

    async def double(value: int, cancellation_token: CancellationToken) -> int:
        seen.append(cancellation_token)
        await asyncio.sleep(0)
        return value * 2

    token = CancellationToken()
    tool = FunctionTool(double, description="Double.")
    assert "cancellation_token" not in params(tool)["properties"]
    assert await tool.run_json({"value": 21}, token) == 42
    assert seen == [token]


async def test_async_callable_object_is_awaited() -> None:
    class Doubler:
        __name__ = "doubler"

        async def __call__(self, value: int) -> int:
            return value * 2

    tool = FunctionTool(Doubler(), description="Double.")
    assert await tool.run_json({"value": 4}, CancellationToken()) == 8


async def test_cancelling_the_token_stops_a_running_async_tool() -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def wait_forever() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return "finished"

    tool = FunctionTool(wait_forever, description="Wait.")
    token = CancellationToken()
    call = asyncio.create_task(tool.run_json({}, token))
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert outcome == ["cancelled"]


async def test_an_already_cancelled_token_never_runs_the_function() -> None:
    calls: list[int] = []

    async def record() -> None:
        calls.append(1)

    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await FunctionTool(record, description="Record.").run_json({}, token)
    assert calls == []


async def test_exceptions_from_the_function_propagate_unchanged() -> None:
    def fail(reason: str) -> None:
        raise KeyError(reason)

    with pytest.raises(KeyError, match="missing"):
        await FunctionTool(fail, description="Fail.").run_json(
            {"reason": "missing"}, CancellationToken()
        )


def test_return_values_render_models_as_json() -> None:
    tool = FunctionTool(add, description="Add.")
    assert tool.return_value_as_string(Point(x=1)) == '{"x": 1, "y": 0}'
    assert tool.return_value_as_string([1, 2]) == "[1, 2]"


def test_tools_satisfy_the_tool_protocol() -> None:
    tool = FunctionTool(add, description="Add.")
    assert isinstance(tool, Tool)
    assert not isinstance(tool, StreamTool)
    assert tool.state_type() is None
    assert tool.args_type().model_fields.keys() == {"a", "b"}


class CounterArgs(BaseModel):
    step: int


class CounterState(BaseModel):
    total: int = 0


class Counter(BaseToolWithState[CounterArgs, int, CounterState]):
    def __init__(self) -> None:
        super().__init__(CounterArgs, int, CounterState, "counter", "Count up.")
        self.total = 0

    async def run(self, args: CounterArgs, cancellation_token: CancellationToken) -> int:
        self.total += args.step
        return self.total

    def save_state(self) -> CounterState:
        return CounterState(total=self.total)

    def load_state(self, state: CounterState) -> None:
        self.total = state.total


async def test_stateful_tool_saves_and_loads_json_state() -> None:
    counter = Counter()
    await counter.run_json({"step": 3}, CancellationToken())
    state = await counter.save_state_json()
    assert state == {"total": 3}
    assert json.loads(json.dumps(state)) == state
    fresh = Counter()
    await fresh.load_state_json(state)
    assert await fresh.run_json({"step": 1}, CancellationToken()) == 4
    assert fresh.state_type() is CounterState


async def test_stateless_tool_state_is_empty() -> None:
    tool = FunctionTool(add, description="Add.")
    assert await tool.save_state_json() == {}
    await tool.load_state_json({"ignored": True})
    assert await tool.run_json({"a": 1, "b": 1}, CancellationToken()) == 2


class CountdownArgs(BaseModel):
    start: int


class Countdown(BaseStreamTool[CountdownArgs, str, int]):
    def __init__(self) -> None:
        super().__init__(CountdownArgs, int, "countdown", "Count down to zero.")

    async def run_stream(
        self, args: CountdownArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[str | int, None]:
        for value in range(args.start, 0, -1):
            yield f"tick {value}"
        yield 0


async def test_stream_tool_yields_items_then_the_result() -> None:
    tool = Countdown()
    assert isinstance(tool, StreamTool)
    items = [item async for item in tool.run_json_stream({"start": 2}, CancellationToken())]
    assert items == ["tick 2", "tick 1", 0]
    assert await tool.run_json({"start": 3}, CancellationToken()) == 0


async def test_stream_tool_validates_arguments_before_streaming() -> None:
    with pytest.raises(ToolArgumentsError, match="start: Field required"):
        async for _ in Countdown().run_json_stream({}, CancellationToken()):
            pass


async def test_stream_tool_that_yields_nothing_is_an_error() -> None:
    class Silent(BaseStreamTool[CountdownArgs, str, int]):
        def __init__(self) -> None:
            super().__init__(CountdownArgs, int, "silent", "Says nothing.")

        async def run_stream(
            self, args: CountdownArgs, cancellation_token: CancellationToken
        ) -> AsyncGenerator[str | int, None]:
            return
            yield 0

    with pytest.raises(ToolError, match="must yield its result"):
        await Silent().run_json({"start": 1}, CancellationToken())


def test_function_tool_config_carries_the_source_code() -> None:
    tool = FunctionTool(greet, description="Greet someone.", strict=False)
    model = tool.dump_component()
    assert model.provider == "parlay_core.tools.FunctionTool"
    assert model.component_type == "tool"
    assert model.config["name"] == "greet"
    assert model.config["description"] == "Greet someone."
    assert model.config["has_cancellation_support"] is False
    assert model.config["source_code"].startswith("def greet(")
    assert 'return " ".join' in model.config["source_code"]


def test_loading_source_code_is_refused_without_permission(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    model = ComponentModel(
        provider="parlay_core.tools.FunctionTool",
        component_type="tool",
        config={
            "source_code": f"open({str(marker)!r}, 'w').close()\n\ndef f() -> int:\n    return 1\n",
            "name": "f",
            "description": "One.",
            "global_imports": [],
            "has_cancellation_support": False,
        },
    )
    with pytest.raises(ComponentNotAllowedError, match="allow_code_execution=True") as info:
        FunctionTool.load_component(model)
    assert "FunctionTool 'f'" in str(info.value)
    assert not marker.exists()
    tool = FunctionTool.load_component(model, allow_code_execution=True)
    assert marker.exists()
    assert tool.name == "f"


async def test_round_trip_with_imports_and_permission() -> None:
    original = FunctionTool(
        distance,
        description="Distance.",
        global_imports=[
            ImportFromModule("typing", ("Annotated",)),
            Alias(name="tests.core.test_tools", alias="here"),
            ImportFromModule("tests.core.test_tools", [Alias("Point", "Point")]),
            ImportFromModule("parlay_core", ("CancellationToken",)),
        ],
    )
    data = json.loads(original.dump_component().model_dump_json())
    assert data["config"]["has_cancellation_support"] is True
    assert data["config"]["global_imports"][0] == {"module": "typing", "imports": ["Annotated"]}
    loaded = FunctionTool.load_component(data, allow_code_execution=True)
    assert loaded.schema == original.schema
    args = {"origin": {"x": 0}, "target": {"x": 6, "y": 8}}
    assert await loaded.run_json(args, CancellationToken()) == 10.0
    # A loaded tool remembers its source, so it can be dumped again.
    assert loaded.dump_component().config == original.dump_component().config


def test_strict_flag_survives_a_round_trip() -> None:
    original = FunctionTool(add, description="Add.", strict=True)
    loaded = FunctionTool.load_component(original.dump_component(), allow_code_execution=True)
    assert dict(loaded.schema).get("strict") is True


def test_imports_that_are_not_names_are_refused() -> None:
    with pytest.raises(ValueError, match="not a module or attribute name"):
        ImportFromModule("os; import sys", ("path",))
    model = FunctionTool(add, description="Add.").dump_component()
    model.config["global_imports"] = ["os; print('x')"]
    with pytest.raises(ComponentConfigError, match="Invalid import"):
        FunctionTool.load_component(model, allow_code_execution=True)


def test_source_without_a_function_is_a_config_error() -> None:
    model = FunctionTool(add, description="Add.").dump_component()
    model.config["source_code"] = "x = 1\n"
    with pytest.raises(ComponentConfigError, match="defines no function"):
        FunctionTool.load_component(model, allow_code_execution=True)


def test_lambdas_and_partials_cannot_be_dumped() -> None:
    with pytest.raises(ComponentError, match="lambda"):
        FunctionTool(lambda: 1, description="One.", name="one").dump_component()
    with pytest.raises(ComponentError, match="partial"):
        FunctionTool(functools.partial(add, b=1), description="Inc.").dump_component()


def test_schema_is_plain_json() -> None:
    schema: dict[str, Any] = dict(FunctionTool(distance, description="D.").schema)
    assert json.loads(json.dumps(schema)) == schema


async def test_each_call_is_logged_as_a_tool_call_event(caplog: pytest.LogCaptureFixture) -> None:
    tool = FunctionTool(add, description="Add.")
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await tool.run_json({"a": 1, "b": 2}, CancellationToken())
        await Countdown().run_json({"start": 1}, CancellationToken())
    events = [record.msg for record in caplog.records if isinstance(record.msg, ToolCallEvent)]
    assert [json.loads(str(event)) for event in events] == [
        {
            "type": "ToolCallEvent",
            "tool_name": "add",
            "arguments": {"a": 1, "b": 2},
            "result": "3",
            "agent_id": None,
        },
        {
            "type": "ToolCallEvent",
            "tool_name": "countdown",
            "arguments": {"start": 1},
            "result": "0",
            "agent_id": None,
        },
    ]
