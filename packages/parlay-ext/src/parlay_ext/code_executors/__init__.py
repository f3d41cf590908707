"""Code executors for :class:`~parlay_core.code_executor.CodeExecutor`.

:mod:`parlay_ext.code_executors.local` runs code as local processes (no extra needed),
:mod:`parlay_ext.code_executors.jupyter` in a stateful Jupyter kernel (extra ``jupyter``) and
:mod:`parlay_ext.code_executors.docker` inside a Docker container (extra ``docker``).
"""

__all__: list[str] = []
