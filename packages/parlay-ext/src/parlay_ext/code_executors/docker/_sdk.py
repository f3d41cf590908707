"""The one place the ``docker`` SDK is imported; a missing SDK names the extra to install."""

from __future__ import annotations

from typing import Any

from parlay_ext.models._common import missing_sdk

try:
    import docker  # type: ignore[import-untyped]
    from docker.errors import DockerException, ImageNotFound  # type: ignore[import-untyped]
except ImportError as _error:  # pragma: no cover - exercised in an environment without the SDK
    raise missing_sdk("docker", "docker", _error) from _error

__all__ = ["DockerException", "ImageNotFound", "from_env"]


def from_env(timeout: int) -> Any:
    """A ``docker.DockerClient`` for the engine that ``DOCKER_HOST`` (or the default) names.

    The SDK has no type information, so the client is typed as ``Any`` here, once.
    """
    return docker.from_env(timeout=timeout)
