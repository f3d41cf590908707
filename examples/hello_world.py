"""The article's Hello World on Parlay: a manager agent sends a message to a worker agent.

This is the AutoGen 0.4 example with its imports renamed from ``autogen_core`` to ``parlay_core``.
Run it with ``python examples/hello_world.py``.
"""

import asyncio
from dataclasses import dataclass

from parlay_core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)


@dataclass
class MyTextMessage:
    content: str


class MyWorkerAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyWorkerAgent")

    @message_handler
    async def handle_my_message(self, message: MyTextMessage, ctx: MessageContext) -> MyTextMessage:
        print(f"{self.id.key} received from {ctx.sender}: {message.content}\n")
        return MyTextMessage(content="OK, Got it!")


class MyManagerAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyManagerAgent")
        self.worker_agent_id = AgentId("my_worker_agent", "worker")

    @message_handler
    async def handle_my_message(self, message: MyTextMessage, ctx: MessageContext) -> None:
        print(f"{self.id.key} received: {message.content}\n")
        print(f"{self.id.key} sending to {self.worker_agent_id}...\n")
        response = await self.send_message(message, self.worker_agent_id)
        print(f"{self.id.key} got reply from {self.worker_agent_id}: {response.content}\n")


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    await MyManagerAgent.register(runtime, "my_manager_agent", lambda: MyManagerAgent())
    await MyWorkerAgent.register(runtime, "my_worker_agent", lambda: MyWorkerAgent())
    runtime.start()
    agent_id = AgentId("my_manager_agent", "manager")
    await runtime.send_message(MyTextMessage(content="Hello World!"), agent_id)
    await runtime.stop_when_idle()


if __name__ == "__main__":
    asyncio.run(main())
