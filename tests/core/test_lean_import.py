"""``import parlay_core`` loads what hosting agents needs and no more; the rest loads on first use.

Each import check runs a fresh interpreter, since this test process has long since imported
everything.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from parlay_core import (
    AgentId,
    CancellationToken,
    MessageContext,
    TopicId,
    UnknownPayload,
)
from parlay_core.exceptions import ParlayError

LAZY_MODULES = [
    # The errors of components, plugins, tools, models, code execution, images and browsers.
    "parlay_core._exceptions_more",
    # Component configuration and loading (and pydantic with them), images, cache stores.
    "parlay_core._component_config",
    "parlay_core._component_loading",
    "parlay_core._image",
    "parlay_core._cache_store",
    "pydantic",
    # Tracing is looked up when a runtime is made, not at import.
    "opentelemetry",
]
HELLO_WORLD_IMPORT = (
    "from parlay_core import "
    "AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler"
)


def _modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("statement", ["import parlay_core", HELLO_WORLD_IMPORT])
def test_importing_the_runtime_leaves_the_rest_unloaded(statement: str) -> None:
    loaded = _modules_after(statement)
    assert "parlay_core._single_threaded_agent_runtime" in loaded
    assert sorted(loaded.intersection(LAZY_MODULES)) == []


def test_a_lazy_error_loads_on_first_use_and_stays_one_class() -> None:
    loaded = _modules_after(
        "import parlay_core\n"
        "from parlay_core._exceptions import ToolError, ComponentLoadError\n"
        "import parlay_core.exceptions as public\n"
        "assert public.ToolError is ToolError and issubclass(ToolError, public.ParlayError)\n"
        "assert issubclass(ComponentLoadError, ValueError)"
    )
    assert "parlay_core._exceptions_more" in loaded


def test_lazy_errors_are_part_of_the_one_tree() -> None:
    import parlay_core._exceptions as private

    assert set(private.__all__) <= set(dir(private))  # listed before they are loaded too
    for name in private.__all__:
        error = getattr(private, name)
        assert issubclass(error, ParlayError), name
    # Unknown names (and the dunder probes of inspect and pytest) are errors, not lazy loads.
    for missing in ("NoSuchError", "__wrapped__"):
        with pytest.raises(AttributeError, match=missing):
            getattr(private, missing)


def _context(message_id: str = "m1") -> MessageContext:
    return MessageContext(
        AgentId("a", "k"), TopicId("t", "s"), False, CancellationToken(), message_id
    )


def test_message_context_is_the_dataclass_autogen_code_expects() -> None:
    ctx = _context()
    names = ["sender", "topic_id", "is_rpc", "cancellation_token", "message_id"]
    assert [f.name for f in dataclasses.fields(MessageContext)] == names
    assert MessageContext.__match_args__ == tuple(names)
    assert repr(ctx) == (
        f"MessageContext(sender={ctx.sender!r}, topic_id={ctx.topic_id!r}, is_rpc=False, "
        f"cancellation_token={ctx.cancellation_token!r}, message_id='m1')"
    )
    same = MessageContext(
        sender=ctx.sender,
        topic_id=ctx.topic_id,
        is_rpc=False,
        cancellation_token=ctx.cancellation_token,
        message_id="m1",
    )
    assert ctx == same
    other = dataclasses.replace(ctx, message_id="m2")
    assert other.message_id == "m2" and other.sender == ctx.sender and other != ctx
    assert ctx != "m1"
    with pytest.raises(TypeError, match="unhashable"):
        hash(ctx)
    with pytest.raises(AttributeError):  # slotted: a misspelt field is an error, not a new one
        ctx.mesage_id = "m3"  # type: ignore[attr-defined]


def test_unknown_payload_is_the_dataclass_autogen_code_expects() -> None:
    payload = UnknownPayload("Order", "application/json", b"{}")
    assert dataclasses.asdict(payload) == {
        "type_name": "Order",
        "data_content_type": "application/json",
        "payload": b"{}",
    }
    assert repr(payload) == (
        "UnknownPayload(type_name='Order', data_content_type='application/json', payload=b'{}')"
    )
    assert payload == UnknownPayload("Order", "application/json", b"{}")
    assert payload != dataclasses.replace(payload, payload=b"[]")
    with pytest.raises(TypeError, match="unhashable"):
        hash(payload)


HELLO_WORLD = """
import asyncio
from dataclasses import dataclass
from parlay_core import (
    AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler,
)

@dataclass
class Greeting:
    text: str

class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echoes")

    @message_handler
    async def on_greeting(self, message: Greeting, ctx: MessageContext) -> Greeting:
        return Greeting(message.text + "!")

async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    assert await runtime.send_message(Greeting("hi"), AgentId("echo", "k")) == Greeting("hi!")
    await runtime.stop()

asyncio.run(main())
"""


def test_a_runtime_that_nobody_traces_does_not_import_opentelemetry() -> None:
    # No tracer provider can exist before opentelemetry.trace is imported or named in the
    # environment, so running a hello world must not pay for importing it.
    loaded = _modules_after(HELLO_WORLD)
    assert "parlay_core._single_threaded_agent_runtime" in loaded
    assert "opentelemetry" not in loaded
