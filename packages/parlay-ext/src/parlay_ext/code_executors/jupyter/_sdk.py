"""The one place ``jupyter_client`` is imported; a missing SDK names the extra to install."""

from __future__ import annotations

from typing import Any, Protocol, cast

from parlay_ext.models._common import missing_sdk

try:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager
except ImportError as _error:  # pragma: no cover - exercised in an environment without the SDK
    raise missing_sdk("jupyter", "jupyter_client", _error) from _error

__all__ = ["AsyncKernelClient", "KernelManager", "NoSuchKernel", "new_kernel_manager"]


class KernelManager(Protocol):
    """The part of ``AsyncKernelManager`` Parlay uses, typed (its own methods are not)."""

    provisioner: Any

    async def start_kernel(self) -> None: ...
    async def shutdown_kernel(self, now: bool = False) -> None: ...
    async def interrupt_kernel(self) -> None: ...
    async def is_alive(self) -> bool: ...
    def client(self) -> AsyncKernelClient: ...


def new_kernel_manager(**options: Any) -> KernelManager:
    """An ``AsyncKernelManager`` made with ``options``."""
    return cast(KernelManager, AsyncKernelManager(**options))
