"""Parlay extensions: model clients, code executors, caches, runtimes and state stores.

Each integration lives in its own subpackage and pulls in its third-party SDK only through an
extra (``pip install "parlay-ext[openai]"``), so importing ``parlay_ext`` itself is cheap.
Parlay finds these classes through entry points, exactly as it finds third-party plugins.
"""

__version__ = "0.1.0"

__all__: list[str] = []
