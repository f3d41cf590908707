"""Run model-written Python and shell code as local processes (not a sandbox; see the docs)."""

from parlay_ext.code_executors.local._executor import (
    CommandLineCodeResult,
    LocalCommandLineCodeExecutor,
    LocalCommandLineCodeExecutorConfig,
)

__all__ = [
    "CommandLineCodeResult",
    "LocalCommandLineCodeExecutor",
    "LocalCommandLineCodeExecutorConfig",
]
