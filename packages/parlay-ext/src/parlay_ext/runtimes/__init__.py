"""Agent runtimes beyond the in-process one; each lives in a subpackage behind an extra.

* :mod:`parlay_ext.runtimes.nats`: workers on NATS with JetStream (``parlay-ext[nats]``).
* :mod:`parlay_ext.runtimes.grpc`: AutoGen's gRPC host and worker names, on NATS
  (``parlay-ext[grpc]``).
"""

__all__: list[str] = []
