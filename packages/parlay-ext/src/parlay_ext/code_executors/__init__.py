"""Code executors for :class:`~parlay_core.code_executor.CodeExecutor`.

:mod:`parlay_ext.code_executors.local` runs code as local processes (no extra needed).
"""

__all__: list[str] = []
