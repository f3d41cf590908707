"""Durable agent state: the state-store protocol and the embedded SQLite store.

Give a runtime a store and it keeps every agent's state there, under ``"<type>/<key>"``::

    from parlay_core import SingleThreadedAgentRuntime
    from parlay_core.state import SQLiteStateStore

    runtime = SingleThreadedAgentRuntime(state_store=SQLiteStateStore("state.db"))

After each handled message the agent's ``save_state()`` is written (the ``checkpoint`` policy can
make this explicit, or turn writes off); after a restart each agent loads its stored state the
first time it is addressed. Other stores (NATS key-value in ``parlay-ext``) implement
:class:`StateStore` and register in the ``parlay.state_stores`` entry-point group.
"""

from parlay_core.state._protocol import CheckpointPolicy, StateEntry, StateStore
from parlay_core.state._sqlite import SQLiteStateStore, SQLiteStateStoreConfig

__all__ = [
    "CheckpointPolicy",
    "SQLiteStateStore",
    "SQLiteStateStoreConfig",
    "StateEntry",
    "StateStore",
]
