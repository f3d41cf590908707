"""Tools and workbenches for agents.

:mod:`parlay_ext.tools.mcp` adapts Model Context Protocol servers (extra ``mcp``),
:mod:`parlay_ext.tools.http` calls REST endpoints (extra ``http``) and
:mod:`parlay_ext.tools.code_execution` lets a model run Python on any code executor.
"""

__all__: list[str] = []
