"""Cold start: a whole hello-world program, from launching Python to its exit.

Each measurement launches a new interpreter (the same one as this script) on a small inline
program and takes the wall time until it exits, so it includes interpreter start-up, imports,
creating the runtime, registering an agent, one round trip and shutting down. One untimed
warm-up run fills a private bytecode cache first; we report the best and the median run.

The framework program (the same text for ``parlay_core`` and ``autogen_core``): a ``RoutedAgent``
with one ``@message_handler`` that answers a ``Greeting`` dataclass; it is registered on a
``SingleThreadedAgentRuntime``, which is started, sent one message from the main task (the reply
is printed), stopped when idle and closed.

Baseline: the same program in bare asyncio: a server task reads ``(greeting, future)`` pairs from
an ``asyncio.Queue`` and resolves the future with the reply; the main task sends one greeting and
prints the reply.

Run with ``--quick`` for a smoke run.
"""

from __future__ import annotations

from collections.abc import Sequence

import _harness as h

FRAMEWORK_PROGRAM = """\
import asyncio
from dataclasses import dataclass

from {module} import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler


@dataclass
class Greeting:
    text: str


class Greeter(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Greets whoever writes to it.")  # pyright: ignore[reportUnknownMemberType]

    @message_handler
    async def on_greeting(self, message: Greeting, ctx: MessageContext) -> Greeting:
        return Greeting(f"Hello, {{message.text}}!")


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Greeter.register(runtime, "greeter", Greeter)
    runtime.start()
    reply = await runtime.send_message(Greeting("world"), AgentId("greeter", "default"))
    print(reply.text)
    await runtime.stop_when_idle()
    await runtime.close()


asyncio.run(main())
"""

ASYNCIO_PROGRAM = """\
import asyncio
from dataclasses import dataclass


@dataclass
class Greeting:
    text: str


async def greeter(queue: asyncio.Queue) -> None:
    while True:
        message, future = await queue.get()
        future.set_result(Greeting(f"Hello, {message.text}!"))


async def main() -> None:
    queue: asyncio.Queue = asyncio.Queue()
    server = asyncio.create_task(greeter(queue))
    future = asyncio.get_running_loop().create_future()
    queue.put_nowait((Greeting("world"), future))
    print((await future).text)
    server.cancel()


asyncio.run(main())
"""


def main(argv: Sequence[str] | None = None) -> None:
    settings = h.parse_args(__doc__, argv)
    results = [
        h.repeat_subprocess(
            fw.label,
            fw.key,
            FRAMEWORK_PROGRAM.format(module=fw.module_name),
            settings,
            report_inner=False,
            expect="Hello, world!",
        )
        for fw in h.frameworks()
    ]
    results.append(
        h.repeat_subprocess(
            h.ASYNCIO,
            "asyncio",
            ASYNCIO_PROGRAM,
            settings,
            report_inner=False,
            expect="Hello, world!",
        )
    )
    summary = h.duration_table(
        "Cold start of a hello world (new interpreter to exit, wall time)",
        results,
        what="cold start",
        notes=[f"({h.describe_python()}; interpreter start-up included in every row)"],
    )
    h.emit_summary(settings, summary)


if __name__ == "__main__":
    main()
