"""Fixtures shared by the integration tests: the loopback provider server of the ext tests."""

from tests.ext.conftest import wire

__all__ = ["wire"]
