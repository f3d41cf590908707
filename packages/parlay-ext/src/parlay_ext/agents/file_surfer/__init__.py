"""FileSurfer: Magentic-One's agent that reads local files as text, confined to one folder.

Needs the ``file-surfer`` extra: ``pip install "parlay-ext[file-surfer]"`` (it installs
parlay-agentchat and markitdown).
"""

from parlay_ext.models._common import missing_sdk

try:  # these are AgentChat agents: say which extra brings parlay-agentchat
    import parlay_agentchat as _agentchat  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError as _error:  # pragma: no cover - exercised in an environment without it
    raise missing_sdk("file-surfer", "parlay_agentchat", _error) from _error

from parlay_ext.agents.file_surfer._browser import MAX_FILE_BYTES, FileBrowser
from parlay_ext.agents.file_surfer._file_surfer import FileSurfer, FileSurferConfig

__all__ = ["MAX_FILE_BYTES", "FileBrowser", "FileSurfer", "FileSurferConfig"]
