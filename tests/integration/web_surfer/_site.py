"""A small web site served from 127.0.0.1 by a real HTTP server, for the web surfer's tests.

Pages: a home page with links (one opens a new tab, one starts a download), a form with a text
field and a drop-down list, a long page to scroll, a small scrollable box, a search page, a page that
shows text when hovered, and a page that never finishes loading. The server records each form
submission and each scroll of the box, so tests assert what the browser really did.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["REPORT_CSV", "Site", "serve_site"]

REPORT_CSV = b"city,colour\nParis,green\nOslo,blue\n"


def _page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<meta name='description' content='A test page of the Parlay web surfer'>"
        f"</head><body style='font-family: sans-serif'>{body}</body></html>"
    ).encode()


HOME = _page(
    "Parlay test home",
    "<h1>Welcome to the test site</h1>"
    "<p>This site exists to be browsed by a robot.</p>"
    "<ul>"
    "<li><a href='/form'>Open the form</a></li>"
    "<li><a href='/long'>Read the long page</a></li>"
    "<li><a href='/report.csv'>Download the report</a></li>"
    "<li><a href='/popup' target='_blank'>Open the pop-up page</a></li>"
    "<li><a href='/hover'>See the hover page</a></li>"
    "</ul>",
)
FORM = _page(
    "The form",
    "<h1>Tell us about yourself</h1>"
    "<form action='/submitted' method='get'>"
    "<label for='city'>City</label> <input id='city' name='city' type='text'><br>"
    "<label for='colour'>Favourite colour</label> "
    "<select id='colour' name='colour'>"
    "<option value='red'>Red</option><option value='green'>Green</option>"
    "<option value='blue'>Blue</option></select><br>"
    "<button type='submit'>Send</button>"
    "</form>",
)
LONG = _page(
    "The long page",
    "<h1>A very long page</h1>"
    + "".join(f"<p>Paragraph number {n} of the long page.</p>" for n in range(1, 201))
    + "<p id='end'>You reached the end marker.</p>",
)
POPUP = _page("The pop-up page", "<h1>This page opened in a new tab</h1>")
HOVER = _page(
    "The hover page",
    "<h1>Hover test</h1>"
    "<button id='menu' onmouseover=\"document.getElementById('tip').textContent="
    "'The secret menu is open'\">Menu</button>"
    "<p id='tip'>Nothing is open yet</p>",
)

MENU = _page(
    "The menu page",
    "<h1>A long menu in a small box</h1>"
    "<div id='menu' aria-label='Dishes' style='height: 120px; overflow-y: auto; border: 1px solid'"
    " onscroll=\"fetch('/scrolled?top=' + Math.round(this.scrollTop))\">"
    + "".join(f"<p>Dish number {n}</p>" for n in range(1, 41))
    + "</div>",
)


@dataclass
class Site:
    """The running site: its base URL and what the browser sent it."""

    url: str
    submissions: list[dict[str, str]] = field(default_factory=list[dict[str, str]])
    requests: list[str] = field(default_factory=list[str])
    scroll_positions: list[int] = field(default_factory=list[int])
    stop_hanging: threading.Event = field(default_factory=threading.Event)


def serve_site() -> tuple[Site, ThreadingHTTPServer]:
    """Start the site on a free loopback port (in a daemon thread); shut the server down after."""
    site = Site(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(
            self, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str
        ) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            site.requests.append(parts.path)
            if parts.path == "/":
                self._send(HOME)
            elif parts.path == "/form":
                self._send(FORM)
            elif parts.path == "/submitted":
                values = {key: value[0] for key, value in parse_qs(parts.query).items()}
                site.submissions.append(values)
                shown = ", ".join(f"{k}={html.escape(v)}" for k, v in sorted(values.items()))
                self._send(_page("Thank you", f"<h1>Thank you</h1><p>You sent: {shown}</p>"))
            elif parts.path == "/long":
                self._send(LONG)
            elif parts.path == "/popup":
                self._send(POPUP)
            elif parts.path == "/hover":
                self._send(HOVER)
            elif parts.path == "/menu":
                self._send(MENU)
            elif parts.path == "/scrolled":
                site.scroll_positions.append(int(parse_qs(parts.query)["top"][0]))
                self._send(b"", "text/plain")
            elif parts.path == "/search":
                query = html.escape(parse_qs(parts.query).get("q", [""])[0])
                self._send(
                    _page(
                        f"Results for {query}",
                        f"<h1>Search results for {query}</h1>"
                        "<p><a href='/form'>The form, a page about forms</a></p>",
                    )
                )
            elif parts.path == "/report.csv":
                self._send(
                    REPORT_CSV,
                    "text/csv",
                    Content_Disposition='attachment; filename="report.csv"',
                )
            elif parts.path == "/never-loads":
                # Headers and the start of the body, then nothing: the load event never fires.
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(b"<html><head><title>Still loading</title></head><body><p>Loading")
                self.wfile.flush()
                site.stop_hanging.wait(timeout=60)
            else:
                self.send_error(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site, server
