"""A CodeExecutorAgent that runs the code blocks it is sent in a Jupyter kernel.

The kernel keeps its state between messages, as a notebook does: the second task uses the
variable and the function the first one defined. Then a block that loops forever is stopped at
the executor's timeout by an interrupt, and the kernel still has its state afterwards.

Needs the ``jupyter`` extra (``pip install "parlay-ext[jupyter]"``); no model is involved.
Run it with ``python examples/code_executor_jupyter.py``.
"""

from __future__ import annotations

import asyncio

from parlay_agentchat.agents import CodeExecutorAgent
from parlay_ext.code_executors.jupyter import JupyterCodeExecutor

FIRST = """Load the prices and define a function:
```python
prices = {"tea": 2.5, "cake": 4.0, "soup": 6.25}

def with_tax(amount, rate=0.2):
    return round(amount * (1 + rate), 2)

print(f"loaded {len(prices)} prices")
```
"""

SECOND = """Now use them (defined by the previous message):
```python
total = sum(prices.values())
print(f"total {total:.2f}, with tax {with_tax(total):.2f}")
```
"""

RUNAWAY = """This one never ends on its own:
```python
while True:
    pass
```
"""

AFTER = """```python
print(f"still there: {sorted(prices)}")
```
"""


async def main() -> None:
    async with JupyterCodeExecutor(timeout=2) as executor:
        agent = CodeExecutorAgent("runner", code_executor=executor, supported_languages=["python"])
        for task in (FIRST, SECOND, RUNAWAY, AFTER):
            result = await agent.run(task=task)
            reply = result.messages[-1]
            print(f"({reply.source}) {reply.to_text().strip()}")
    print("jupyter example finished")


if __name__ == "__main__":
    asyncio.run(main())
