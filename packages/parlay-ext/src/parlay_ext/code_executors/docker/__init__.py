"""Run model-written code in a Docker container (isolated processes and files; see the docs).

Needs the ``docker`` extra: ``pip install "parlay-ext[docker]"``, and a running Docker engine.
"""

from parlay_ext.code_executors._common import CommandLineCodeResult
from parlay_ext.code_executors.docker._executor import (
    DockerCommandLineCodeExecutor,
    DockerCommandLineCodeExecutorConfig,
)

__all__ = [
    "CommandLineCodeResult",
    "DockerCommandLineCodeExecutor",
    "DockerCommandLineCodeExecutorConfig",
]
