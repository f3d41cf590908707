"""Agent runtimes beyond the in-process one; each lives in a subpackage behind an extra.

* :mod:`parlay_ext.runtimes.nats`: workers on NATS with JetStream (``parlay-ext[nats]``).
"""

__all__: list[str] = []
