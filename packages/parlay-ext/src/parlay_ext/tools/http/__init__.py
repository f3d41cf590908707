"""Call a REST endpoint as a tool (extra ``http``: ``pip install "parlay-ext[http]"``).

:class:`HttpTool` reads the same component config as AutoGen's ``autogen_ext.tools.http``,
plus authentication whose secrets are masked in dumped configs.
"""

from parlay_ext.tools.http._tool import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    HttpTool,
    HttpToolConfig,
)

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT", "HttpTool", "HttpToolConfig"]
