"""Publish/subscribe on Parlay: one event, several subscribers, one agent instance per topic source.

A ``TypeSubscription`` maps a topic type to an agent type; the topic *source* becomes the agent
key, so each order id gets its own ``billing`` and ``shipping`` agent, created on first use.
"""

import asyncio
from dataclasses import dataclass

from parlay_core import (
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
)


@dataclass
class OrderPlaced:
    item: str
    amount: float


class Billing(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Charges orders")
        self.charged = 0.0

    @event
    async def on_order(self, message: OrderPlaced, ctx: MessageContext) -> None:
        self.charged += message.amount
        print(
            f"[billing {self.id.key}] charged {message.amount:.2f} for {message.item} (total {self.charged:.2f})"
        )


class Shipping(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Ships orders")

    @event
    async def on_order(self, message: OrderPlaced, ctx: MessageContext) -> None:
        print(f"[shipping {self.id.key}] packing {message.item}")


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Billing.register(runtime, "billing", Billing)
    await Shipping.register(runtime, "shipping", Shipping)
    await runtime.add_subscription(TypeSubscription("orders", "billing"))
    await runtime.add_subscription(TypeSubscription("orders", "shipping"))
    runtime.start()
    await runtime.publish_message(OrderPlaced("teapot", 24.5), TopicId("orders", "order-1"))
    await runtime.publish_message(OrderPlaced("cups", 12.0), TopicId("orders", "order-2"))
    await runtime.publish_message(OrderPlaced("saucers", 8.0), TopicId("orders", "order-1"))
    await runtime.stop_when_idle()
    state = await runtime.save_state()
    print(f"agents created lazily: {sorted(state)}")
    await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
