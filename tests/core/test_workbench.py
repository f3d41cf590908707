"""Workbenches: listing, calling, error results, overrides, streaming, state and configs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from parlay_core import CancellationToken
from parlay_core._exceptions import ComponentNotAllowedError, ToolSchemaError
from parlay_core._image import Image
from parlay_core._import_statements import ImportFromModule
from parlay_core.tools import (
    BaseStreamTool,
    BaseToolWithState,
    FunctionTool,
    ImageResultContent,
    StaticStreamWorkbench,
    StaticWorkbench,
    TextResultContent,
    ToolOverride,
    ToolResult,
    Workbench,
)

PNG = Image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)


def add(a: Annotated[int, "first"], b: Annotated[int, "second"]) -> int:
    return a + b


def shout(text: str) -> str:
    return text.upper()


def explode(reason: str) -> str:
    raise RuntimeError(f"boom: {reason}")


def snapshot() -> Image:
    return PNG


def add_tool() -> FunctionTool:
    return FunctionTool(add, description="Add two integers.")


def shout_tool() -> FunctionTool:
    return FunctionTool(shout, description="Upper-case the text.")


async def test_list_tools_returns_each_schema() -> None:
    bench = StaticWorkbench([add_tool(), shout_tool()])
    schemas = await bench.list_tools()
    assert [schema["name"] for schema in schemas] == ["add", "shout"]
    assert schemas[0] == add_tool().schema


async def test_call_tool_returns_the_result_as_text() -> None:
    bench = StaticWorkbench([add_tool()])
    result = await bench.call_tool("add", {"a": 2, "b": 3}, call_id="c1")
    assert result == ToolResult(name="add", result=[TextResultContent(content="5")], is_error=False)
    assert result.to_text() == "5"


async def test_unknown_tool_is_an_error_result_listing_available_tools() -> None:
    bench = StaticWorkbench([add_tool(), shout_tool()])
    result = await bench.call_tool("multiply", {"a": 1})
    assert result.is_error
    assert result.name == "multiply"
    assert result.to_text() == "Tool multiply not found. Available tools: add, shout."


async def test_invalid_arguments_are_an_error_result_listing_field_errors() -> None:
    bench = StaticWorkbench([add_tool()])
    result = await bench.call_tool("add", {"a": "two"})
    assert result.is_error
    text = result.to_text()
    assert "a: Input should be a valid integer" in text
    assert "b: Field required" in text


async def test_missing_arguments_mean_an_empty_object() -> None:
    def ping() -> str:
        return "pong"

    bench = StaticWorkbench([FunctionTool(ping, description="Ping.")])
    assert (await bench.call_tool("ping")).to_text() == "pong"


async def test_a_raising_tool_gives_its_message_as_an_error_result() -> None:
    bench = StaticWorkbench([FunctionTool(explode, description="Explode.")])
    result = await bench.call_tool("explode", {"reason": "test"})
    assert result.is_error
    assert result.to_text() == "boom: test"


async def test_an_exception_without_message_is_named() -> None:
    def quiet() -> None:
        raise KeyError()

    bench = StaticWorkbench([FunctionTool(quiet, description="Quiet.")])
    result = await bench.call_tool("quiet")
    assert result.is_error
    assert result.to_text() == "KeyError"


async def test_cancelling_the_token_cancels_the_call() -> None:
    started = asyncio.Event()
    stopped: list[bool] = []

    async def slow() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append(True)
            raise
        return "never"

    bench = StaticWorkbench([FunctionTool(slow, description="Slow.")])
    token = CancellationToken()
    call = asyncio.create_task(bench.call_tool("slow", {}, token))
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert stopped == [True]


async def test_overrides_rename_and_redescribe_tools() -> None:
    bench = StaticWorkbench(
        [add_tool(), shout_tool()],
        tool_overrides={
            "add": ToolOverride(name="plus", description="Sum."),
            "shout": ToolOverride(description="Make it loud."),
        },
    )
    schemas = await bench.list_tools()
    assert [(s["name"], s.get("description")) for s in schemas] == [
        ("plus", "Sum."),
        ("shout", "Make it loud."),
    ]
    assert dict(schemas[0]).get("parameters") == dict(add_tool().schema).get("parameters")
    renamed = await bench.call_tool("plus", {"a": 1, "b": 1})
    assert (renamed.name, renamed.to_text(), renamed.is_error) == ("plus", "2", False)
    # Code that still uses the tool's own name keeps working, as in AutoGen.
    assert (await bench.call_tool("add", {"a": 2, "b": 2})).to_text() == "4"
    missing = await bench.call_tool("sum", {})
    assert missing.to_text() == "Tool sum not found. Available tools: plus, shout."


def test_clashing_names_are_refused() -> None:
    with pytest.raises(ToolSchemaError, match="'shout'"):
        StaticWorkbench(
            [add_tool(), shout_tool()], tool_overrides={"add": ToolOverride(name="shout")}
        )
    with pytest.raises(ToolSchemaError, match="'add'"):
        StaticWorkbench([add_tool(), add_tool()])
    with pytest.raises(ToolSchemaError, match="'nope'"):
        StaticWorkbench([add_tool()], tool_overrides={"nope": ToolOverride(name="x")})


async def test_image_results_become_image_content() -> None:
    def album() -> list[Any]:
        return ["cover", PNG]

    bench = StaticWorkbench(
        [FunctionTool(snapshot, description="Snap."), FunctionTool(album, description="Album.")]
    )
    single = await bench.call_tool("snapshot")
    assert single.result == [ImageResultContent(content=PNG)]
    assert single.to_text() == f"[Image: {PNG.to_base64()}]"
    mixed = await bench.call_tool("album")
    assert mixed.to_text(replace_image="<image>") == "cover\n<image>"


def test_tool_results_round_trip_through_json() -> None:
    result = ToolResult(
        name="snap",
        result=[TextResultContent(content="here"), ImageResultContent(content=PNG)],
    )
    restored = ToolResult.model_validate_json(result.model_dump_json())
    assert restored == result
    assert restored.is_error is False


class NoteArgs(BaseModel):
    text: str


class NotesState(BaseModel):
    notes: list[str] = []


class Notes(BaseToolWithState[NoteArgs, int, NotesState]):
    def __init__(self) -> None:
        super().__init__(NoteArgs, int, NotesState, "note", "Keep a note.")
        self.notes: list[str] = []

    async def run(self, args: NoteArgs, cancellation_token: CancellationToken) -> int:
        self.notes.append(args.text)
        return len(self.notes)

    def save_state(self) -> NotesState:
        return NotesState(notes=list(self.notes))

    def load_state(self, state: NotesState) -> None:
        self.notes = list(state.notes)


async def test_state_is_saved_per_tool_and_loaded_back() -> None:
    bench = StaticWorkbench([Notes(), add_tool()])
    await bench.call_tool("note", {"text": "first"})
    state = await bench.save_state()
    assert state == {
        "type": "StaticWorkbenchState",
        "tools": {"note": {"notes": ["first"]}, "add": {}},
    }
    fresh_notes = Notes()
    fresh = StaticWorkbench([fresh_notes, add_tool()])
    await fresh.load_state(json.loads(json.dumps(state)))
    assert fresh_notes.notes == ["first"]
    assert (await fresh.call_tool("note", {"text": "second"})).to_text() == "2"


async def test_workbench_is_an_async_context_manager() -> None:
    async with StaticWorkbench([add_tool()]) as bench:
        assert isinstance(bench, Workbench)
        assert (await bench.call_tool("add", {"a": 1, "b": 2})).to_text() == "3"
        await bench.reset()


class ProgressArgs(BaseModel):
    steps: int
    fail_at: int = -1


class Progress(BaseStreamTool[ProgressArgs, str, str]):
    def __init__(self) -> None:
        super().__init__(ProgressArgs, str, "progress", "Report progress.")

    async def run_stream(
        self, args: ProgressArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[str, None]:
        for step in range(args.steps):
            if step == args.fail_at:
                raise ValueError(f"failed at step {step}")
            yield f"step {step}"
        yield "done"


async def collect(stream: AsyncGenerator[Any, None]) -> list[Any]:
    return [item async for item in stream]


async def test_stream_workbench_yields_progress_then_the_result() -> None:
    bench = StaticStreamWorkbench([Progress(), add_tool()])
    items = await collect(bench.call_tool_stream("progress", {"steps": 2}))
    assert items == [
        "step 0",
        "step 1",
        ToolResult(name="progress", result=[TextResultContent(content="done")]),
    ]


async def test_stream_workbench_runs_plain_tools_as_one_result() -> None:
    bench = StaticStreamWorkbench([add_tool()])
    items = await collect(bench.call_tool_stream("add", {"a": 1, "b": 1}))
    assert items == [ToolResult(name="add", result=[TextResultContent(content="2")])]


async def test_stream_failure_keeps_earlier_items_and_ends_with_an_error() -> None:
    bench = StaticStreamWorkbench([Progress()])
    items = await collect(bench.call_tool_stream("progress", {"steps": 3, "fail_at": 2}))
    assert items[:2] == ["step 0", "step 1"]
    assert items[2] == ToolResult(
        name="progress", result=[TextResultContent(content="failed at step 2")], is_error=True
    )
    assert len(items) == 3


async def test_stream_errors_for_unknown_tools_and_bad_arguments() -> None:
    bench = StaticStreamWorkbench([Progress()])
    unknown = await collect(bench.call_tool_stream("nope"))
    assert len(unknown) == 1
    assert unknown[0].is_error
    assert "Available tools: progress" in unknown[0].to_text()
    invalid = await collect(bench.call_tool_stream("progress", {"steps": "x"}))
    assert len(invalid) == 1
    assert invalid[0].is_error
    assert "steps: Input should be a valid integer" in invalid[0].to_text()


async def test_cancelling_a_stream_call_stops_the_tool() -> None:
    started = asyncio.Event()
    stopped: list[bool] = []

    class Hanging(BaseStreamTool[ProgressArgs, str, str]):
        def __init__(self) -> None:
            super().__init__(ProgressArgs, str, "hang", "Hang.")

        async def run_stream(
            self, args: ProgressArgs, cancellation_token: CancellationToken
        ) -> AsyncGenerator[str, None]:
            yield "started"
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                stopped.append(True)
                raise
            yield "never"

    bench = StaticStreamWorkbench([Hanging()])
    token = CancellationToken()
    task = asyncio.create_task(collect(bench.call_tool_stream("hang", {"steps": 1}, token)))
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped == [True]


async def test_a_stream_tool_sees_a_token_cancelled_between_items_and_finishes() -> None:
    class Polite(BaseStreamTool[ProgressArgs, str, str]):
        def __init__(self) -> None:
            super().__init__(ProgressArgs, str, "polite", "Stop when asked.")

        async def run_stream(
            self, args: ProgressArgs, cancellation_token: CancellationToken
        ) -> AsyncGenerator[str, None]:
            done = 0
            for step in range(args.steps):
                if cancellation_token.is_cancelled():
                    break
                done += 1
                yield f"step {step}"
            yield f"stopped after {done}"

    bench = StaticStreamWorkbench([Polite()])
    token = CancellationToken()
    items: list[Any] = []
    async for item in bench.call_tool_stream("polite", {"steps": 5}, token):
        items.append(item)
        if len(items) == 2:
            token.cancel()
    assert items[:2] == ["step 0", "step 1"]
    assert items[-1] == ToolResult(
        name="polite", result=[TextResultContent(content="stopped after 3")]
    )


async def test_config_round_trip_needs_permission_for_function_tools() -> None:
    bench = StaticWorkbench(
        [
            FunctionTool(
                add,
                description="Add two integers.",
                global_imports=[ImportFromModule("typing", ("Annotated",))],
            )
        ],
        tool_overrides={"add": ToolOverride(name="plus")},
    )
    model = bench.dump_component()
    assert model.provider == "parlay_core.tools.StaticWorkbench"
    assert model.component_type == "workbench"
    assert model.config["tool_overrides"] == {"add": {"name": "plus", "description": None}}
    assert model.config["tools"][0]["provider"] == "parlay_core.tools.FunctionTool"
    data = json.loads(model.model_dump_json())
    with pytest.raises(ComponentNotAllowedError, match="allow_code_execution=True"):
        StaticWorkbench.load_component(data)
    loaded = StaticWorkbench.load_component(data, allow_code_execution=True)
    assert await loaded.list_tools() == await bench.list_tools()
    assert (await loaded.call_tool("plus", {"a": 20, "b": 22})).to_text() == "42"


async def test_stream_workbench_config_keeps_its_class() -> None:
    bench = StaticStreamWorkbench([])
    model = bench.dump_component()
    assert model.provider == "parlay_core.tools.StaticStreamWorkbench"
    loaded = Workbench.load_component(model)
    assert isinstance(loaded, StaticStreamWorkbench)
    assert await loaded.list_tools() == []
