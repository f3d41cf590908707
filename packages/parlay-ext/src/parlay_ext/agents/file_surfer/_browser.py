"""A text-mode file browser confined to one folder: what the FileSurfer's tools act on.

Files are converted to Markdown with markitdown and shown one viewport (a page of about
``viewport_size`` characters) at a time. Every path is resolved (``..`` and symbolic links
included) before it is opened and must lie inside the base folder; on Linux the file actually
opened is checked again through its descriptor, so a link swapped in between the check and the
open is caught too, and the converter only ever sees the bytes of that descriptor.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import stat
from typing import cast

from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_ext.agents.file_surfer._markitdown import (
    FileConversionException,
    MarkItDown,
    MissingDependencyException,
    StreamInfo,
    UnsupportedFormatException,
)

__all__ = ["MAX_FILE_BYTES", "FileBrowser"]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Larger files are not read: converting them would stall the agent and flood the model."""

# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class _OutsideBaseError(Exception):
    """The path resolves outside the base folder."""


def _within(path: str, base: str) -> bool:
    try:
        return os.path.commonpath([path, base]) == base
    except ValueError:  # different drives on Windows
        return False


def _descriptor_path(fd: int) -> str | None:
    """The real path of an open descriptor, where the OS tells it (Linux), else ``None``."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


_FEATURE = re.compile(r"markitdown\[(\w+)")


def _missing_feature(error: Exception) -> str | None:
    """The markitdown extra a failed conversion lacked (``pdf``, ``docx``...), if that was why.

    markitdown raises a missing optional dependency directly, or wrapped among the failed
    attempts of a FileConversionException.
    """
    causes: list[object] = [error]
    if isinstance(error, FileConversionException):
        for attempt in error.attempts or []:
            # markitdown leaves exc_info's tuple untyped: it is sys.exc_info()'s.
            info: object = getattr(attempt, "exc_info", None)
            if isinstance(info, tuple):
                causes.append(cast("tuple[object, ...]", info)[1])
    for cause in causes:
        if isinstance(cause, MissingDependencyException):
            found = _FEATURE.search(str(cause))
            if found is not None:
                return found.group(1)
    return None


def _split_pages(text: str, size: int) -> list[tuple[int, int]]:
    """Page bounds of about ``size`` characters, each ending after whitespace (no cut words)."""
    if not text:
        return [(0, 0)]
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        while end < len(text) and not text[end - 1].isspace():
            end += 1
        bounds.append((start, end))
        start = end
    return bounds


def _normalize(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _search_pattern(query: str) -> re.Pattern[str] | None:
    """A pattern over normalized text: words in order, ``*`` matching anything in between."""
    terms: list[str] = []
    for term in query.split():
        pieces = [_normalize(piece) for piece in term.split("*")]
        if any(pieces):
            terms.append(".*".join(re.escape(piece) for piece in pieces))
    if not terms:
        return None
    return re.compile(r"(?<!\w)" + " ".join(terms) + r"(?!\w)")


class FileBrowser:
    """Opens files and folders under ``base_path`` and pages through them as text.

    Args:
        base_path: The only folder (with its subfolders) the browser may read; it starts there.
        viewport_size: About how many characters one page shows.

    Raises:
        AgentConfigurationError: ``base_path`` is not an existing folder.
    """

    def __init__(self, base_path: str, viewport_size: int = 5 * 1024) -> None:
        base = os.path.realpath(base_path)
        if not os.path.isdir(base):
            raise AgentConfigurationError(
                f"The file surfer's base_path {base_path!r} is not an existing folder; pass the "
                "folder it may read."
            )
        self._base = base
        self._viewport_size = max(1, viewport_size)
        self._converter: MarkItDown | None = None
        self._location = base  # the folder relative paths start from
        self._path = base
        self._title: str | None = None
        self._content = ""
        self._pages: list[tuple[int, int]] = [(0, 0)]
        self._page = 0
        self._query: str | None = None
        self._last_match: int | None = None
        self.notice = ""
        """What the last action could not do (a failed search, the last page reached)."""
        self.open_path(base)

    # --- what the model is shown -------------------------------------------------------------

    @property
    def base_path(self) -> str:
        """The folder the browser is confined to (resolved)."""
        return self._base

    @property
    def path(self) -> str:
        """The path of the page on show (as requested, when it could not be opened)."""
        return self._path

    @property
    def page_title(self) -> str | None:
        """The document's title, if it has one."""
        return self._title

    @property
    def page_content(self) -> str:
        """The whole page as text."""
        return self._content

    @property
    def viewport(self) -> str:
        """The part of the page on show."""
        start, end = self._pages[self._page]
        return self._content[start:end]

    @property
    def viewport_current_page(self) -> int:
        """The index of the viewport on show (0-based)."""
        return self._page

    @property
    def viewport_pages(self) -> list[tuple[int, int]]:
        """The bounds of every viewport of the page."""
        return list(self._pages)

    # --- actions ---------------------------------------------------------------------------

    def open_path(self, requested: str) -> str:
        """Open a file or folder, given relative to the current folder or absolute.

        A path outside the base folder, a missing file, an unreadable or unconvertible one is
        shown as an error page that says so; nothing is raised.

        Returns:
            The first viewport of the new page.
        """
        self.notice = ""
        self._query = None
        self._last_match = None
        joined = os.path.join(self._location, os.path.expanduser(requested))
        # What the OS would open decides; the path as written (without resolving links) is
        # what the page shows and where relative paths go next, as in a web browser.
        target = os.path.realpath(joined)
        try:
            if not _within(target, self._base):
                raise _OutsideBaseError
            self._load(target, os.path.normpath(joined))
        except _OutsideBaseError:
            # The same page whether or not the file exists: nothing outside is revealed.
            self._show_error(
                requested,
                "Access denied",
                f"'{requested}' is outside the folder this file browser may read ({self._base}).",
            )
        except FileNotFoundError:
            self._show_error(
                requested, "File not found", f"There is no file or folder '{requested}'."
            )
        except OSError as error:
            self._show_error(
                requested, "Cannot open", f"'{requested}' cannot be opened: {error.strerror}."
            )
        return self.viewport

    def page_down(self) -> str:
        """Show the next viewport (the last one stays on show at the end)."""
        if self._page + 1 < len(self._pages):
            self._page += 1
            self.notice = ""
        else:
            self.notice = "This is already the last page."
        return self.viewport

    def page_up(self) -> str:
        """Show the previous viewport (the first one stays on show at the start)."""
        if self._page > 0:
            self._page -= 1
            self.notice = ""
        else:
            self.notice = "This is already the first page."
        return self.viewport

    def find_on_page(self, query: str) -> str | None:
        """Move to the first viewport, from the current one on (wrapping), that holds ``query``.

        Case and punctuation are ignored, ``*`` matches anything. Asking again for the query
        just found moves on to its next match.

        Returns:
            The viewport found, or ``None`` (the viewport stays) when there is no match.
        """
        if query == self._query and self._last_match == self._page:
            return self.find_next()
        self._query = query
        return self._find_from(self._page)

    def find_next(self) -> str | None:
        """Move to the next viewport that holds the last query (wrapping to the start).

        Returns:
            The viewport found, or ``None`` when there is no query or no further match.
        """
        if self._query is None:
            self.notice = "There is no search to continue: search with find_on_page_ctrl_f first."
            return None
        start = 0 if self._last_match is None else (self._last_match + 1) % len(self._pages)
        return self._find_from(start)

    # --- internals -------------------------------------------------------------------------

    def _find_from(self, start: int) -> str | None:
        assert self._query is not None
        pattern = _search_pattern(self._query)
        if pattern is not None:
            for index in [*range(start, len(self._pages)), *range(start)]:
                begin, end = self._pages[index]
                if pattern.search(_normalize(self._content[begin:end])):
                    self._page = self._last_match = index
                    self.notice = ""
                    return self.viewport
        self._last_match = None
        self.notice = f"'{self._query}' was not found on this page; the viewport did not move."
        return None

    def _show(self, path: str, title: str | None, content: str) -> None:
        self._path = path
        self._title = title
        self._content = content
        self._pages = _split_pages(content, self._viewport_size)
        self._page = 0

    def _show_error(self, requested: str, title: str, message: str) -> None:
        # The current folder stays, so relative paths keep working after a failed open.
        self._show(requested, title, f"# {title}\n\n{message}")

    def _open_inside(self, target: str) -> int:
        fd = os.open(target, _OPEN_FLAGS)
        opened = _descriptor_path(fd)
        if opened is not None and not _within(opened, self._base):
            os.close(fd)
            raise _OutsideBaseError
        return fd

    def _load(self, target: str, shown: str) -> None:
        fd = self._open_inside(target)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                self._show(shown, f"Index of {shown}", self._listing(fd, target, shown))
                self._location = shown
                return
            if not stat.S_ISREG(info.st_mode):
                self._show(shown, "Not a file", f"# Not a file\n\n'{shown}' is not a regular file.")
                return
            self._location = os.path.dirname(shown)
            if info.st_size > MAX_FILE_BYTES:
                self._show(
                    shown,
                    "File too large",
                    f"# File too large\n\n'{shown}' has {info.st_size} bytes; the file browser "
                    f"reads files of up to {MAX_FILE_BYTES} bytes.",
                )
                return
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
        finally:
            os.close(fd)
        title, content = self._convert(shown, data)
        self._show(shown, title, content)

    def _convert(self, target: str, data: bytes) -> tuple[str | None, str]:
        name = os.path.basename(target)
        extension = os.path.splitext(name)[1] or None
        if self._converter is None:
            self._converter = MarkItDown()
        try:
            result = self._converter.convert_stream(
                io.BytesIO(data), stream_info=StreamInfo(extension=extension, filename=name)
            )
        except UnsupportedFormatException:
            return (
                "Unsupported format",
                f"# Unsupported format\n\n'{name}' cannot be shown as text.",
            )
        except (MissingDependencyException, FileConversionException) as error:
            missing = _missing_feature(error)
            if missing is not None:
                # Said to the model and, through the team's output, to the person running it.
                return (
                    "Cannot convert",
                    f"# Cannot convert\n\n'{name}' needs markitdown's optional converter for "
                    f"{missing} files, which is not installed (pip install "
                    f"'markitdown[{missing}]').",
                )
            return (
                "Conversion failed",
                f"# Conversion failed\n\n'{name}' could not be converted to text.",
            )
        return result.title, result.text_content

    def _listing(self, fd: int, folder: str, shown: str) -> str:
        names = sorted(os.listdir(fd) if os.listdir in os.supports_fd else os.listdir(folder))
        rows = ["| Name | Size | Date Modified |", "| ---- | ---- | ------------- |"]
        if folder != self._base:
            rows.append("| .. (parent folder) | | |")
        use_fd = os.stat in os.supports_dir_fd
        for name in names:
            try:
                info = (
                    os.stat(name, dir_fd=fd, follow_symlinks=False)
                    if use_fd
                    else os.lstat(os.path.join(folder, name))
                )
            except OSError as error:
                rows.append(f"| {name} | n/a: {error.strerror} | |")
                continue
            when = datetime.datetime.fromtimestamp(info.st_mtime).strftime("%Y-%m-%d %H:%M")
            if stat.S_ISDIR(info.st_mode):
                rows.append(f"| {name}{os.sep} | | {when} |")
            elif stat.S_ISLNK(info.st_mode):
                rows.append(f"| {name} (link) | | {when} |")
            else:
                rows.append(f"| {name} | {info.st_size} | {when} |")
        return f"# Index of {shown}\n\n" + "\n".join(rows) + "\n"
