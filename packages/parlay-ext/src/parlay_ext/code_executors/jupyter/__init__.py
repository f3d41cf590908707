"""Run model-written Python in a Jupyter kernel that keeps its state (not a sandbox; see the docs).

Needs the ``jupyter`` extra: ``pip install "parlay-ext[jupyter]"``.
"""

from parlay_ext.code_executors.jupyter._executor import (
    JupyterCodeExecutor,
    JupyterCodeExecutorConfig,
    JupyterCodeResult,
)

__all__ = ["JupyterCodeExecutor", "JupyterCodeExecutorConfig", "JupyterCodeResult"]
