"""Load every page of the built documentation in headless Chromium and check its links.

Usage: ``python tools/docs/browser_check.py SITE_DIR [--chromium PATH]``

The site is served on 127.0.0.1 (a free port). Each page is loaded by Chromium, which runs the
theme's JavaScript, and the DOM it ends with is checked: the page has its article and the
navigation, no script error was logged, and every internal link, navigation ones included,
answers 200 and, when it names an anchor, lands on an element with that id. Exit status 1 lists
every problem.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import html.parser
import http.server
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE_TIMEOUT = 60


@dataclass
class Page:
    url: str
    links: list[str] = field(default_factory=list[str])
    nav_links: list[str] = field(default_factory=list[str])
    ids: set[str] = field(default_factory=set[str])
    has_article: bool = False
    problems: list[str] = field(default_factory=list[str])


class _Scanner(html.parser.HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__()
        self.page = page
        self.nav_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.page.ids.add(attributes["id"] or "")
        if tag == "a" and attributes.get("name"):
            self.page.ids.add(attributes["name"] or "")
        if tag == "article":
            self.page.has_article = True
        href = attributes.get("href")
        if tag == "a" and href:
            self.page.links.append(href)
            if "md-nav__link" in (attributes.get("class") or ""):
                self.page.nav_links.append(href)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Chromium drops connections it no longer needs (a page left for the next one); the
        # broken pipe that leaves in the server is not a problem of the site.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class Browser:
    """One headless Chromium driven over the DevTools protocol on a pipe (no extra packages).

    ``--remote-debugging-pipe`` makes Chromium read commands from file descriptor 3 and write
    replies and events to descriptor 4, each a JSON text ended by a NUL byte.
    """

    def __init__(self, chromium: str) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # The child's descriptors 3 and 4 must be these pipe ends. Copies numbered 10 and up
        # cannot be overwritten by the dup2 calls that put them in place in the child.
        child_read = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
        child_write = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
        os.close(to_browser_read)
        os.close(from_browser_write)

        def wire() -> None:
            os.dup2(child_read, 3)
            os.dup2(child_write, 4)

        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),  # kept open after preexec_fn has placed the pipes there
        )
        os.close(child_read)
        os.close(child_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        self.call("Page.enable", session=self.session)
        self.call("Runtime.enable", session=self.session)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], PAGE_TIMEOUT)
            if not ready:
                raise TimeoutError(f"Chromium sent nothing for {PAGE_TIMEOUT} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        deadline = time.monotonic() + PAGE_TIMEOUT
        while time.monotonic() < deadline:
            event = self._read()
            if event.get("method") == method:
                return event
            self.events.append(event)
        raise TimeoutError(f"no {method} in {PAGE_TIMEOUT} s")

    def load(self, url: str) -> Page:
        """Navigate the one tab to ``url``; the DOM once loaded, and any script errors."""
        page = Page(url)
        self.events.clear()
        navigated = self.call("Page.navigate", {"url": url}, session=self.session)
        if navigated.get("errorText"):
            page.problems.append(f"did not load: {navigated['errorText']}")
            return page
        self.wait_for("Page.loadEventFired")
        dom = self.call(
            "Runtime.evaluate",
            {"expression": "document.documentElement.outerHTML", "returnByValue": True},
            session=self.session,
        )["result"]["value"]
        for event in self.events:
            if event.get("method") == "Runtime.exceptionThrown":
                details = event["params"]["exceptionDetails"]
                text = details.get("exception", {}).get("description") or details.get("text")
                page.problems.append(f"script error: {str(text)[:300]}")
        _Scanner(page).feed(dom)
        if not page.has_article:
            page.problems.append("no <article>: the page content did not render")
        if not page.nav_links:
            page.problems.append("no navigation links")
        return page

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def check(site: Path, chromium: str) -> list[str]:
    server, base = _serve(site)
    try:
        urls: list[str] = []
        for path in sorted(site.rglob("*.html")):
            relative = path.relative_to(site)
            if path.name == "404.html" or "assets" in relative.parts:
                continue
            folder = relative.parent.as_posix()
            if path.name != "index.html":
                urls.append(base + relative.as_posix())
            else:
                urls.append(base if folder == "." else f"{base}{folder}/")
        browser = Browser(chromium)
        try:
            pages = {url: browser.load(url) for url in urls}
        finally:
            browser.close()
        problems = [f"{url}: {problem}" for url, page in pages.items() for problem in page.problems]
        statuses: dict[str, int] = {}
        for page in pages.values():
            for href in {*page.links, *page.nav_links}:
                target = urllib.parse.urljoin(page.url, href)
                if not target.startswith(base):
                    continue  # external links are not checked: the check runs offline
                document, _, anchor = target.partition("#")
                if document not in statuses:
                    statuses[document] = _status(document)
                if statuses[document] != 200:
                    problems.append(f"{page.url}: link {href} answers {statuses[document]}")
                    continue
                landed = pages.get(document)
                if anchor and landed is not None and urllib.parse.unquote(anchor) not in landed.ids:
                    problems.append(f"{page.url}: link {href} names a missing anchor")
        index = pages.get(base)
        if index is None or len(set(index.nav_links)) < 10:
            problems.append("the home page's navigation is missing or nearly empty")
        print(f"checked {len(pages)} pages and {len(statuses)} linked documents in Chromium")
        return problems
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description="Check the built docs in headless Chromium.")
    parser.add_argument("site", type=Path)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    arguments = parser.parse_args()
    started = time.monotonic()
    problems = check(arguments.site, arguments.chromium)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"browser check took {time.monotonic() - started:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
